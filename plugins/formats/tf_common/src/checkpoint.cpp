#include "ksave/tf/checkpoint.hpp"

#include <algorithm>
#include <chrono>

#include "bundle_publish.hpp"
#include "ksave/collectives.hpp"
#include "ksave/error.hpp"
#include "ksave/tf/object_graph.hpp"

namespace ksave::tf {
namespace fs = std::filesystem;

namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Paths in the state file are relative to its directory (save_relative_paths=True).
std::string relative_to(const fs::path& prefix, const fs::path& directory) {
  return fs::path(prefix).lexically_relative(directory.empty() ? fs::path(".") : directory).string();
}

}  // namespace

Checkpoint::Checkpoint(Objects objects) : objects_(std::move(objects)) {
  for (const auto& [name, object] : objects_) {
    if (!object) throw Error("tf::Checkpoint: object '" + name + "' is null");
    if (name == "save_counter") throw Error("tf::Checkpoint: the name 'save_counter' is reserved");
  }
  std::stable_sort(objects_.begin(), objects_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (std::size_t i = 1; i < objects_.size(); ++i)
    if (objects_[i].first == objects_[i - 1].first) throw Error("tf::Checkpoint: two objects named '" + objects_[i].first + "'");
}

VariablePtr Checkpoint::save_counter() {
  if (!save_counter_) save_counter_ = std::make_shared<Variable>("save_counter:0", Tensor::scalar<std::int64_t>(0), false);
  return save_counter_;
}

std::vector<TrackableChild> Checkpoint::trackable_children() const {
  std::vector<TrackableChild> out;
  for (const auto& [name, object] : objects_) out.push_back({name, object});
  if (save_counter_) out.push_back({"save_counter", save_counter_});
  return out;
}

std::string Checkpoint::write(const fs::path& prefix) {
  save_object_checkpoint(shared_from_this(), prefix);
  return prefix.string();
}

std::string Checkpoint::save(const fs::path& prefix) {
  VariablePtr counter = save_counter();
  const std::int64_t next = counter->value().data<std::int64_t>()[0] + 1;
  counter->assign(Tensor::scalar<std::int64_t>(next));
  const fs::path path = prefix.string() + "-" + std::to_string(next);
  write(path);
  const fs::path directory = path.parent_path();
  const std::string relative = relative_to(path, directory);
  run_on_chief("writing the checkpoint state file of '" + path.string() + "'", [&] {
    write_checkpoint_state(directory.empty() ? fs::path(".") : directory, {relative, {relative}, {}, std::nullopt});
  });
  return path.string();
}

CheckpointStatus Checkpoint::read(const fs::path& prefix) { return restore_checkpoint(shared_from_this(), prefix); }

CheckpointStatus Checkpoint::restore(const fs::path& path) {
  save_counter();  // TensorFlow creates the counter before restoring, so it gets its value
  return read(resolve_checkpoint_prefix(path));
}

CheckpointManager::CheckpointManager(std::shared_ptr<Checkpoint> checkpoint, fs::path directory, int max_to_keep,
                                     std::string checkpoint_name)
    : checkpoint_(std::move(checkpoint)), directory_(std::move(directory)), max_to_keep_(max_to_keep),
      checkpoint_name_(std::move(checkpoint_name)) {
  if (!checkpoint_) throw Error("CheckpointManager: null checkpoint");
  fs::create_directories(directory_);
  // Picks up what an earlier manager on this directory kept, as TensorFlow does.
  if (auto state = read_checkpoint_state(directory_)) {
    for (std::size_t i = 0; i < state->all_model_checkpoint_paths.size(); ++i) {
      fs::path p = state->all_model_checkpoint_paths[i];
      if (p.is_relative()) p = directory_ / p;
      if (!fs::exists(index_path(p))) continue;
      kept_.push_back(p.string());
      timestamps_.push_back(i < state->all_model_checkpoint_timestamps.size() ? state->all_model_checkpoint_timestamps[i]
                                                                              : now_seconds());
    }
  }
}

std::string CheckpointManager::save() {
  const std::string path = checkpoint_->save(directory_ / checkpoint_name_);
  // A fresh Checkpoint (its save_counter at 0) over an earlier run's directory writes ckpt-1
  // again: as TensorFlow does, the path moves to the end of the list instead of being listed
  // twice (else the oldest-first sweep would delete the file just written).
  if (const auto again = std::find(kept_.begin(), kept_.end(), path); again != kept_.end()) {
    timestamps_.erase(timestamps_.begin() + (again - kept_.begin()));
    kept_.erase(again);
  }
  kept_.push_back(path);
  timestamps_.push_back(now_seconds());
  // As TensorFlow orders it: the state names the new checkpoint before any old one is deleted,
  // and is written again without the deleted ones, so that it never names a missing checkpoint.
  record_state();
  if (max_to_keep_ > 0 && kept_.size() > static_cast<std::size_t>(max_to_keep_)) {
    std::vector<fs::path> dropped;
    while (kept_.size() > static_cast<std::size_t>(max_to_keep_)) {
      dropped.push_back(kept_.front());
      kept_.erase(kept_.begin());
      timestamps_.erase(timestamps_.begin());
    }
    // In a data-parallel job every rank keeps the same list; rank 0 alone deletes.
    run_on_chief("removing old checkpoints in '" + directory_.string() + "'", [&] {
      for (const fs::path& old : dropped) remove_bundle(SaveLock(old));
    });
    record_state();
  }
  return path;
}

void CheckpointManager::record_state() const {
  CheckpointState state;
  state.model_checkpoint_path = relative_to(kept_.back(), directory_);
  for (const auto& p : kept_) state.all_model_checkpoint_paths.push_back(relative_to(p, directory_));
  state.all_model_checkpoint_timestamps = timestamps_;
  state.last_preserved_timestamp = timestamps_.empty() ? now_seconds() : timestamps_.front();
  // In a data-parallel job every rank keeps the same list; rank 0 alone writes it.
  run_on_chief("updating checkpoint state in '" + directory_.string() + "'",
               [&] { write_checkpoint_state(directory_, state); });
}

std::optional<std::string> CheckpointManager::latest_checkpoint() const {
  if (kept_.empty()) return std::nullopt;
  return kept_.back();
}

CheckpointReader::CheckpointReader(const fs::path& path) : bundle_(resolve_checkpoint_prefix(path)) {}

std::map<std::string, Shape> CheckpointReader::variable_to_shape_map() const {
  std::map<std::string, Shape> out;
  for (const auto& key : bundle_.keys()) out.emplace(key, bundle_.shape(key));
  return out;
}

std::map<std::string, std::string> CheckpointReader::variable_to_dtype_map() const {
  std::map<std::string, std::string> out;
  for (const auto& key : bundle_.keys()) out.emplace(key, bundle_.dtype_name(key));
  return out;
}

Tensor read_checkpoint_tensor(const fs::path& path, const std::string& key) { return CheckpointReader(path).get_tensor(key); }

Json describe_checkpoint(const fs::path& path) {
  const fs::path prefix = resolve_checkpoint_prefix(path);
  const BundleReader reader(prefix);
  Json variables = Json::array();
  for (const auto& key : reader.keys()) {
    const auto& e = reader.entry(key);
    Json shape = Json::array();
    for (const auto& d : e.shape().dim()) shape.push_back(d.size());
    // "file" (absolute) lets a reader of this description find the bytes whatever path it was given.
    const fs::path file = fs::absolute(shard_path(reader.files_prefix(), e.shard_id(), reader.header().num_shards()));
    variables.push_back({{"name", key}, {"dtype", reader.dtype_name(key)}, {"shape", shape}, {"shard_id", e.shard_id()},
                         {"offset", e.offset()}, {"size", e.size()}, {"file", file.string()}});
  }
  return Json{{"format", "tf-checkpoint"},
              {"prefix", prefix.string()},
              {"num_shards", reader.header().num_shards()},
              {"object_based", reader.contains(kObjectGraphKey)},
              {"index_blocks", {{"snappy_blocks", reader.snappy_blocks()}, {"plain_blocks", reader.plain_blocks()}}},
              {"variables", variables}};
}

}  // namespace ksave::tf
