// The multi-run checkpoint scenarios of the mpi suite (driven by checkpoint_scenarios.sh), each
// a subcommand run by mpirun with some number of ranks, or alone:
//   write DIR              train a little, save_weights DIR/sharded/weights (one shard per rank)
//                          and, from rank 0 alone, the same state as DIR/single/weights
//   read DIR               restore DIR/sharded/weights (any number of ranks) and compare every
//                          variable, optimizer state included, with DIR/single/weights
//   save-killed DIR        CheckpointManager save 1, then rank 1 dies (SIGKILL) inside save 2
//   check-previous DIR     (alone) the manager's latest checkpoint is save 1 and restores whole
//   train DIR E [S]        E epochs with a CheckpointManager save after each, resuming from the
//                          latest checkpoint; with S, rank 1 dies inside the S-th save of this run.
//                          Rank 0 writes the final weights to DIR/final.h5
//   same A.h5 B.h5         (alone) the two weight files hold bit-identical values
// Exit status 0 when the scenario's checks pass, 1 with a message otherwise.
#include <csignal>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <set>

#include "ksave/mpi.hpp"
#include "ksave/optimizer.hpp"
#include "ksave/saving.hpp"
#include "ksave/tf/checkpoint.hpp"
#include "mpi_test_models.hpp"

namespace {

using namespace ksave;
namespace fs = std::filesystem;

struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void require(bool ok, const std::string& what) {
  if (!ok) throw Failure(what);
}

ModelPtr fresh_model() {
  ModelPtr m = mpi_test::classifier();
  m->compile(Json{{"class_name", "Adam"}, {"config", {{"learning_rate", 0.01}}}}, "categorical_crossentropy");
  m->optimizer()->build(m->trainable_weights());  // slots exist before a restore gives them values
  return m;
}

Tensors inputs() { return {mpi_test::sequence({40, 6}, 3)}; }
Tensors targets() { return {mpi_test::one_hot_targets(40, 3)}; }

FitOptions options(std::shared_ptr<DataParallelStrategy> strategy, int epochs) {
  FitOptions o;
  o.batch_size = 8;
  o.epochs = epochs;
  o.seed = 11;
  o.verbose = 0;
  o.strategy = std::move(strategy);
  return o;
}

std::vector<VariablePtr> state_of(const Model& m) {
  std::vector<VariablePtr> all = m.weights();
  for (const auto& v : m.optimizer()->variables()) all.push_back(v);
  return all;
}

void require_same_values(const Model& a, const Model& b, const std::string& what) {
  const auto x = state_of(a), y = state_of(b);
  require(x.size() == y.size(), what + ": different numbers of variables");
  for (std::size_t i = 0; i < x.size(); ++i)
    require(x[i]->value().nbytes() == y[i]->value().nbytes() &&
                std::memcmp(x[i]->value().raw_data(), y[i]->value().raw_data(), x[i]->value().nbytes()) == 0,
            what + ": variable '" + x[i]->name() + "' differs");
}

// Forwards to another Collectives, and kills this process (SIGKILL, nothing cleaned up) at its
// n-th allgather while armed: in a sharded save the first allgather comes right after the rank
// has written its data shard, before anything is renamed into place.
class KillingCollectives : public Collectives {
 public:
  KillingCollectives(std::shared_ptr<Collectives> inner, bool victim) : inner_(std::move(inner)), victim_(victim) {}
  void arm(int nth) { countdown_ = nth; }
  int rank() const override { return inner_->rank(); }
  int size() const override { return inner_->size(); }
  void barrier() override { inner_->barrier(); }
  void broadcast(std::span<std::byte> data, int root) override { inner_->broadcast(data, root); }
  void allreduce_sum(std::span<float> data) override { inner_->allreduce_sum(data); }
  void allreduce_sum(std::span<double> data) override { inner_->allreduce_sum(data); }
  bool background_reductions() const override { return inner_->background_reductions(); }
  std::vector<std::string> allgather(const std::string& mine) override {
    if (victim_ && countdown_ > 0 && --countdown_ == 0) std::raise(SIGKILL);
    return inner_->allgather(mine);
  }

 private:
  std::shared_ptr<Collectives> inner_;
  bool victim_;
  int countdown_ = 0;
};

int write(const fs::path& dir) {
  auto strategy = mpi::strategy();
  ModelPtr m = fresh_model();
  m->fit(inputs(), targets(), options(strategy, 2));
  CollectiveScope sharded(strategy->collectives());
  save_weights(*m, dir / "sharded" / "weights");
  run_on_chief("writing the single-shard reference", [&] { save_weights(*m, dir / "single" / "weights"); });
  const Json described = tf::describe_checkpoint(dir / "sharded" / "weights");
  require(described["num_shards"] == strategy->num_replicas(), "the index does not name one shard per rank");
  std::set<int> shards;
  for (const auto& v : described["variables"]) shards.insert(v["shard_id"].get<int>());
  require(static_cast<int>(shards.size()) == strategy->num_replicas(), "some rank's shard holds no tensor");
  return 0;
}

int read(const fs::path& dir) {
  std::shared_ptr<DataParallelStrategy> strategy = mpi::launched_by_mpi() ? mpi::strategy() : nullptr;
  ModelPtr sharded = fresh_model(), single = fresh_model();
  load_weights(*sharded, dir / "sharded" / "weights").assert_consumed();
  load_weights(*single, dir / "single" / "weights").assert_consumed();
  require_same_values(*sharded, *single, "sharded restore against the single-shard reference");
  if (strategy) {  // and the restored model trains on with these ranks
    sharded->fit(inputs(), targets(), options(strategy, 1));
    require(mpi_test::identical_on_every_rank(state_of(*sharded)), "ranks differ after training on from the restore");
  }
  return 0;
}

std::shared_ptr<tf::Checkpoint> checkpoint_of(const ModelPtr& m) {
  return std::make_shared<tf::Checkpoint>(tf::Checkpoint::Objects{{"model", m}});
}

int save_killed(const fs::path& dir) {
  auto world = mpi::world();
  auto killer = std::make_shared<KillingCollectives>(world, world->rank() == 1);
  ModelPtr m = fresh_model();
  tf::CheckpointManager manager(checkpoint_of(m), dir, 3);
  CollectiveScope scope(*killer);
  manager.save();
  m->fit(inputs(), targets(), options(mpi::strategy(), 1));
  killer->arm(1);
  manager.save();  // rank 1 dies in here
  return 0;
}

int check_previous(const fs::path& dir) {
  const auto latest = tf::latest_checkpoint(dir);
  require(latest && latest->filename() == "ckpt-1", "the latest checkpoint is not ckpt-1");
  require(!fs::exists(dir / "ckpt-2.index"), "the interrupted save left an index");
  ModelPtr m = fresh_model(), initial = fresh_model();
  auto checkpoint = checkpoint_of(m);
  checkpoint->restore(dir).assert_consumed();
  require_same_values(*m, *initial, "ckpt-1 restored");
  return 0;
}

int train(const fs::path& dir, int epochs, int kill_in_save) {
  auto strategy = mpi::strategy();
  auto killer = std::make_shared<KillingCollectives>(mpi::world(), strategy->rank() == 1);
  ModelPtr m = fresh_model();
  auto checkpoint = checkpoint_of(m);
  tf::CheckpointManager manager(checkpoint, dir, 2);
  FitOptions o = options(strategy, epochs);
  if (auto latest = manager.latest_checkpoint()) {
    checkpoint->restore(*latest).assert_consumed();
    o.initial_epoch = static_cast<int>(checkpoint->save_counter()->value().item());
  }
  struct SaveEachEpoch : Callback {
    tf::CheckpointManager* manager;
    KillingCollectives* killer;
    int saves = 0, kill_in_save = 0;
    void on_epoch_end(Model&, int, const Logs&) override {
      CollectiveScope scope(*killer);
      if (++saves == kill_in_save) killer->arm(1);
      manager->save();
    }
  };
  auto saver = std::make_shared<SaveEachEpoch>();
  saver->manager = &manager;
  saver->killer = killer.get();
  saver->kill_in_save = kill_in_save;
  o.callbacks.push_back(saver);
  m->fit(inputs(), targets(), o);
  CollectiveScope scope(strategy->collectives());
  save_weights(*m, dir / "final.h5");
  return 0;
}

int same(const fs::path& a, const fs::path& b) {
  ModelPtr x = fresh_model(), y = fresh_model();
  load_weights(*x, a);
  load_weights(*y, b);
  const auto wx = x->weights(), wy = y->weights();
  for (std::size_t i = 0; i < wx.size(); ++i)
    require(std::memcmp(wx[i]->value().raw_data(), wy[i]->value().raw_data(), wx[i]->value().nbytes()) == 0,
            "weight '" + wx[i]->name() + "' differs between " + a.string() + " and " + b.string());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.size() == 2 && args[0] == "write") return write(args[1]);
    if (args.size() == 2 && args[0] == "read") return read(args[1]);
    if (args.size() == 2 && args[0] == "save-killed") return save_killed(args[1]);
    if (args.size() == 2 && args[0] == "check-previous") return check_previous(args[1]);
    if (args.size() >= 3 && args.size() <= 4 && args[0] == "train")
      return train(args[1], std::stoi(args[2]), args.size() == 4 ? std::stoi(args[3]) : 0);
    if (args.size() == 3 && args[0] == "same") return same(args[1], args[2]);
    std::cerr << "usage: see the comment at the top of mpi_checkpoint_tool.cpp\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "mpi_checkpoint_tool " << (args.empty() ? "" : args[0]) << ": " << e.what() << "\n";
    return 1;
  }
}
