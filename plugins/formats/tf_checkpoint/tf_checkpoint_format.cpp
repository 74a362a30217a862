// The "tf-checkpoint" format: Keras's save_weights/load_weights for every path that is not
// HDF5 — an object-based TensorFlow checkpoint (tensor bundle + object graph) with the model
// as root, the optimizer state included when the model is compiled. The work is in ksave_tf.
#include "ksave/collectives.hpp"
#include "ksave/plugin.hpp"
#include "ksave/tf/checkpoint.hpp"
#include "ksave/tf/object_graph.hpp"

namespace ksave::plugins::tf_checkpoint {
namespace {
namespace fs = std::filesystem;

std::shared_ptr<Trackable> root_of(const Model& model) {
  return std::const_pointer_cast<Layer>(model.shared_from_this());
}

class TfCheckpointFormat : public Format {
 public:
  std::string name() const override { return "tf-checkpoint"; }

  std::vector<Capability> capabilities() const override {
    return {Capability::SaveWeights, Capability::LoadWeights, Capability::Inspect, Capability::ShardedSaveWeights};
  }

  // Keras's save_weights writes a checkpoint for every path no other format claims.
  FormatTraits traits() const override { return {.default_for_weights = true}; }

  // A checkpoint is a prefix: "ckpt" names ckpt.index and ckpt.data-*.
  bool names_files_at(const fs::path& path) const override {
    std::error_code ec;
    return fs::is_regular_file(tf::index_path(path), ec);
  }

  bool sniff(const fs::path& path) const override {
    std::error_code ec;
    if (fs::is_directory(path, ec)) return fs::is_regular_file(path / "checkpoint", ec);
    if (path.extension() == ".index" && fs::is_regular_file(path, ec)) return true;
    return fs::is_regular_file(tf::index_path(path), ec);
  }

  void save_weights(const Model& model, const fs::path& path, const SaveOptions& options) override {
    if (!options.overwrite && fs::exists(tf::index_path(path)))
      throw Error("checkpoint '" + path.string() + "' exists and overwrite is off");
    std::shared_ptr<Trackable> root = root_of(model);
    if (!options.include_optimizer) root = tf::without_optimizer(root);
    // Under a multi-process CollectiveScope every rank writes its shard (saving.hpp).
    tf::save_object_checkpoint(root, path);
    // Keras records the weights file as the directory's latest checkpoint (relative path).
    const fs::path directory = path.parent_path().empty() ? fs::path(".") : path.parent_path();
    const std::string name = path.filename().string();
    run_on_chief("writing the checkpoint state file beside '" + path.string() + "'",
                 [&] { tf::write_checkpoint_state(directory, {name, {name}, {}, std::nullopt}); });
  }

  LoadStatus load_weights(Model& model, const fs::path& path, const LoadOptions& options) override {
    if (options.by_name)
      throw UsageError("load_weights(by_name=True) is not supported for TensorFlow checkpoints (as in Keras); "
                       "'" + path.string() + "' is matched through its object graph");
    const fs::path prefix = tf::resolve_checkpoint_prefix(path);
    tf::CheckpointStatus status = tf::restore_checkpoint(root_of(model), prefix);
    return status.status();
  }

  Json inspect(const fs::path& path) const override { return tf::describe_checkpoint(path); }
};

void register_objects(PluginRegistrar& registrar) { registrar.format<TfCheckpointFormat>("tf-checkpoint"); }

}  // namespace
}  // namespace ksave::plugins::tf_checkpoint

KSAVE_PLUGIN("format_tf_checkpoint", "1.0.0", ksave::plugins::tf_checkpoint::register_objects)
