// tf.train.Checkpoint, CheckpointManager and the checkpoint reader, over tensor bundles that
// TensorFlow reads and writes.
//
//   auto ckpt = std::make_shared<ksave::tf::Checkpoint>(
//       ksave::tf::Checkpoint::Objects{{"model", model}, {"optimizer", model->optimizer()}});
//   std::string path = ckpt->save("dir/ckpt");       // "dir/ckpt-1"
//   ckpt->restore(path).assert_consumed();
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ksave/tf/bundle.hpp"
#include "ksave/tf/restore.hpp"
#include "ksave/trackable.hpp"
#include "ksave/variable.hpp"

namespace ksave::tf {

// ---- the `checkpoint` state file (text CheckpointState) ----
struct CheckpointState {
  std::string model_checkpoint_path;
  std::vector<std::string> all_model_checkpoint_paths;
  std::vector<double> all_model_checkpoint_timestamps;
  std::optional<double> last_preserved_timestamp;
};
std::optional<CheckpointState> read_checkpoint_state(const std::filesystem::path& directory);
void write_checkpoint_state(const std::filesystem::path& directory, const CheckpointState& state);
// tf.train.latest_checkpoint: the prefix the state file names, if its .index exists.
std::optional<std::filesystem::path> latest_checkpoint(const std::filesystem::path& directory);
// A prefix from what a user passes: a prefix, its `.index` file, or a directory with a
// `checkpoint` file. Throws saying what was looked for.
std::filesystem::path resolve_checkpoint_prefix(const std::filesystem::path& path);

// ---- tf.train.Checkpoint ----
class Checkpoint : public Trackable, public std::enable_shared_from_this<Checkpoint> {
 public:
  using Objects = std::vector<std::pair<std::string, std::shared_ptr<Trackable>>>;
  // Children are the named objects sorted by name (TensorFlow sets its keyword arguments in
  // sorted order), then `save_counter` once it exists.
  explicit Checkpoint(Objects objects);

  // Increments save_counter, writes "<prefix>-<counter>" and updates the `checkpoint` file.
  std::string save(const std::filesystem::path& prefix);
  // Writes exactly `prefix`, without touching the counter or the state file.
  std::string write(const std::filesystem::path& prefix);
  // `path`: a prefix, an .index file or a directory (its latest checkpoint).
  CheckpointStatus restore(const std::filesystem::path& path);
  CheckpointStatus read(const std::filesystem::path& prefix);

  // int64 scalar (created on the first save or restore).
  VariablePtr save_counter();

  std::vector<TrackableChild> trackable_children() const override;
  std::string trackable_kind() const override { return "checkpoint"; }

 private:
  Objects objects_;
  VariablePtr save_counter_;
};

// ---- tf.train.CheckpointManager ----
class CheckpointManager {
 public:
  CheckpointManager(std::shared_ptr<Checkpoint> checkpoint, std::filesystem::path directory, int max_to_keep,
                    std::string checkpoint_name = "ckpt");
  // Saves, deletes the oldest beyond max_to_keep and records the kept ones in `checkpoint`.
  std::string save();
  std::optional<std::string> latest_checkpoint() const;
  const std::vector<std::string>& checkpoints() const { return kept_; }

 private:
  void record_state() const;  // the `checkpoint` file naming kept_, newest as the latest
  std::shared_ptr<Checkpoint> checkpoint_;
  std::filesystem::path directory_;
  int max_to_keep_;
  std::string checkpoint_name_;
  std::vector<std::string> kept_;  // prefixes, oldest first
  std::vector<double> timestamps_;
};

// ---- tf.train.load_checkpoint ----
class CheckpointReader {
 public:
  explicit CheckpointReader(const std::filesystem::path& path);
  std::map<std::string, Shape> variable_to_shape_map() const;
  std::map<std::string, std::string> variable_to_dtype_map() const;  // TensorFlow dtype names
  bool has_tensor(const std::string& key) const { return bundle_.contains(key); }
  Tensor get_tensor(const std::string& key) const { return bundle_.read(key); }
  const BundleReader& bundle() const { return bundle_; }

 private:
  BundleReader bundle_;
};

// One tensor of a checkpoint (for `ksave ckpt PATH --tensor KEY`): `path` as for
// resolve_checkpoint_prefix.
Tensor read_checkpoint_tensor(const std::filesystem::path& path, const std::string& key);

// What `ksave ckpt` / Format::inspect lists: {"format","prefix","num_shards",
// "variables":[{"name","dtype","shape","shard_id","offset","size","file"}...]} ("file": the
// data shard's absolute path).
Json describe_checkpoint(const std::filesystem::path& path);

}  // namespace ksave::tf
