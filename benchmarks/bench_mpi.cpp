// Data-parallel figures on this machine, run under mpirun with 1 and 2 ranks (a plain program,
// best of N repetitions per figure, the same count on every rank so the collectives stay in step;
// rank 0 prints):
//   benchmarks/run_mpi.sh build-bench      (runs both rank counts side by side)
// 1. one training step of an MLP 784-512-512-10 at a global batch of 128: single process without
//    a strategy, and with the strategy on N ranks (each rank 128/N rows, gradients summed);
// 2. allreduce bandwidth at gradient-like sizes: ksave's Collectives::allreduce_sum
//    (reduce-scatter + allgather, identical bytes on every rank) against MPI_Allreduce itself;
// 3. a 100 MB model's TF checkpoint: sharded save (one shard per rank, in parallel) against one
//    process writing one shard, and the restore of each.
#include <mpi.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>

#include "bench_support.hpp"
#include "ksave/model.hpp"
#include "ksave/mpi.hpp"
#include "ksave/ops.hpp"
#include "ksave/optimizer.hpp"
#include "ksave/saving.hpp"
#include "ksave/serialization.hpp"

namespace {

using namespace ksave;
namespace fs = std::filesystem;

// Best wall time of `repetitions` runs; every rank starts each run together.
double best_seconds(Collectives& world, int repetitions, const std::function<void()>& run) {
  double best = 1e30;
  for (int i = 0; i < repetitions; ++i) {
    world.barrier();
    const auto start = std::chrono::steady_clock::now();
    run();
    world.barrier();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return best;
}

// bench::mlp, compiled with SGD and categorical crossentropy.
ModelPtr mlp(const std::vector<Dim>& sizes) {
  ModelPtr model = bench::mlp(sizes);
  model->compile("sgd", "categorical_crossentropy");
  return model;
}

void training_step(Collectives& world, const std::shared_ptr<DataParallelStrategy>& strategy) {
  constexpr Dim kBatch = 128;
  const Tensor x = bench::pseudo_random({kBatch, 784}, 9), y = bench::one_hot_labels(kBatch, 10);
  FitOptions fit;
  fit.batch_size = kBatch;
  fit.epochs = 20;  // 20 steps per run (fit's start-up, the state broadcast, is spread over them)
  fit.shuffle = false;
  fit.verbose = 0;
  ModelPtr alone = mlp({784, 512, 512, 10});
  const double single = best_seconds(world, 5, [&] { alone->fit({x}, {y}, fit); }) / 20;
  fit.strategy = strategy;
  ModelPtr replica = mlp({784, 512, 512, 10});
  const double replicated = best_seconds(world, 5, [&] { replica->fit({x}, {y}, fit); }) / 20;
  if (world.rank() == 0)
    std::printf("training step, MLP 784-512-512-10, global batch 128: one process %.2f ms; %d rank(s) %.2f ms "
                "(%.2fx one process)\n",
                single * 1e3, world.size(), replicated * 1e3, single / replicated);
}

void allreduce_bandwidth(Collectives& world) {
  if (world.size() == 1) return;  // nothing to sum
  for (std::size_t bytes : {std::size_t{4} << 10, std::size_t{64} << 10, std::size_t{1} << 20, std::size_t{16} << 20,
                            std::size_t{64} << 20}) {
    std::vector<float> data(bytes / sizeof(float), 1.f), out(data.size());
    const int reps = bytes >= (std::size_t{16} << 20) ? 5 : 50;
    const double ours = best_seconds(world, reps, [&] { world.allreduce_sum(data); });
    const double theirs = best_seconds(world, reps, [&] {
      MPI_Allreduce(data.data(), out.data(), static_cast<int>(data.size()), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    });
    // Bus bandwidth as NCCL and Horovod report it: each byte crosses 2(N-1)/N links.
    const double factor = 2.0 * (world.size() - 1) / world.size();
    if (world.rank() == 0)
      std::printf("allreduce %8zu KiB: ksave %8.1f us (%6.2f GB/s bus), MPI_Allreduce %8.1f us (%6.2f GB/s bus), "
                  "ratio %.2f\n",
                  bytes >> 10, ours * 1e6, factor * static_cast<double>(bytes) / ours / 1e9, theirs * 1e6,
                  factor * static_cast<double>(bytes) / theirs / 1e9, ours / theirs);
  }
}

void sharded_checkpoint(Collectives& world, const fs::path& dir) {
  // 25 Dense(1024) on 1024 inputs: 25 x 4 MiB kernels, about 105 MB.
  std::vector<Dim> sizes(26, 1024);
  ModelPtr model = mlp(sizes), target = mlp(sizes);
  if (world.rank() == 0) fs::create_directories(dir);
  world.barrier();
  // Alternated, best of 3 each, so neither side gets the quieter moments of a shared machine.
  double single = 1e30, parallel = 1e30, load_single = 1e30, load_sharded = 1e30;
  for (int round = 0; round < 3; ++round) {
    single = std::min(single, best_seconds(world, 1, [&] {
      run_on_chief("single-shard save", [&] { save_weights(*model, dir / "single"); });
    }));
    CollectiveScope sharded(world);
    parallel = std::min(parallel, best_seconds(world, 1, [&] { save_weights(*model, dir / "sharded"); }));
    load_single = std::min(load_single, best_seconds(world, 1, [&] { load_weights(*target, dir / "single"); }));
    load_sharded = std::min(load_sharded, best_seconds(world, 1, [&] { load_weights(*target, dir / "sharded"); }));
  }
  if (world.rank() == 0)
    std::printf("checkpoint of 105 MB: save one shard (rank 0) %.0f ms, %d shards in parallel %.0f ms (%.2fx); "
                "every rank restores: from one shard %.0f ms, from %d shards %.0f ms\n",
                single * 1e3, world.size(), parallel * 1e3, single / parallel, load_single * 1e3, world.size(),
                load_sharded * 1e3);
  world.barrier();
  if (world.rank() == 0) fs::remove_all(dir);
}

}  // namespace

int main(int argc, char** argv) {
  auto strategy = mpi::strategy();
  Collectives& world = strategy->collectives();
  const fs::path dir = argc > 1 ? fs::path(argv[1]) : fs::temp_directory_path() / "ksave-bench-mpi";
  if (world.rank() == 0)
    std::printf("%d rank(s), KSAVE_NUM_THREADS=%s\n", world.size(), std::getenv("KSAVE_NUM_THREADS"));
  training_step(world, strategy);
  allreduce_bandwidth(world);
  sharded_checkpoint(world, dir);
  return 0;
}
