#include "keras_loader.hpp"

#include <iostream>

#include "keras_metadata.hpp"
#include "ksave/error.hpp"
#include "ksave/serialization.hpp"
#include "ksave/tf/bundle.hpp"
#include "ksave/tf/restore.hpp"
#include "revive_layer.hpp"
#include "saved_model_file.hpp"

namespace ksave::plugins::savedmodel {
namespace fs = std::filesystem;

namespace {

void print_warning(const std::string& message) { std::cerr << "ksave: warning: " << message << "\n"; }

std::string join(const std::vector<std::string>& items, std::size_t limit = 8) {
  std::string out;
  for (std::size_t i = 0; i < items.size() && i < limit; ++i) out += (i ? ", " : "") + items[i];
  if (items.size() > limit) out += ", ... (" + std::to_string(items.size()) + " in all)";
  return out;
}

bool is_optimizer_path(const std::string& path) { return path.rfind("optimizer", 0) == 0 || path.find(".OPTIMIZER_SLOT") != std::string::npos; }

// Layers of classes nothing defines are revived from their traced functions (revive_layer);
// the model itself must be a class ksave knows (Sequential, Functional or a plugin's).
ModelPtr rebuild_from_config(const Json& config, const fs::path& directory, const CustomObjects& custom_objects) {
  try {
    return model_from_config(config, custom_objects);
  } catch (const Error& e) {
    throw Error("cannot rebuild the Keras model of SavedModel " + quoted(directory) + " from its config: " + e.what() +
                " — load the plugin that defines the class or pass it in custom_objects (layers of unknown classes are "
                "revived from their traced functions only when the SavedModel holds them)");
  }
}

void compile_from_metadata(Model& model, const Json& metadata, const fs::path& directory, const LoadOptions& options) {
  auto training_config = metadata.find("training_config");
  if (training_config == metadata.end() || !training_config->is_object()) return;
  model.set_training_config(*training_config);
  if (!options.compile) return;
  auto optimizer = training_config->find("optimizer_config");
  if (optimizer == training_config->end() || optimizer->is_null()) {
    print_warning("SavedModel " + quoted(directory) + " has a training_config without an optimizer; the model is not compiled");
    return;
  }
  try {
    model.compile_from_training_config(*training_config);
  } catch (const Error& e) {
    // As with Keras's compile=False: the model still predicts.
    print_warning("the model from SavedModel " + quoted(directory) + " was not compiled: " + e.what());
  }
}

// Restores every variable of the model (and of its optimizer) from variables/ by walking the
// stored checkpoint object graph by child names, as TensorFlow's load does. A model variable
// without a value is an error; optimizer state that does not match is a warning (training then
// starts the optimizer afresh, as tf.keras does for legacy optimizer slots).
void restore_variables(Model& model, const fs::path& directory) {
  const fs::path prefix = variables_prefix(directory);
  std::error_code ec;
  if (!fs::is_regular_file(tf::index_path(prefix), ec)) {
    if (model.weights().empty()) return;
    throw Error("SavedModel " + quoted(directory) + " has no variables bundle (" + tf::index_path(prefix).string() +
                " is missing) but its model has " + std::to_string(model.weights().size()) + " weights");
  }
  auto root = std::const_pointer_cast<Layer>(model.shared_from_this());
  tf::CheckpointStatus checkpoint;
  try {
    checkpoint = tf::restore_checkpoint(root, prefix);
    checkpoint.restore_deferred();
  } catch (const Error& e) {
    throw Error("cannot restore the variables of SavedModel " + quoted(directory) + ": " + e.what());
  }
  const LoadStatus& status = checkpoint.status();
  std::vector<std::string> missing, optimizer_missing;
  for (const auto& path : status.unmatched_in_model) (is_optimizer_path(path) ? optimizer_missing : missing).push_back(path);
  if (!missing.empty())
    throw Error("SavedModel " + quoted(directory) + ": " + std::to_string(missing.size()) +
                " model variable(s) have no value in " + prefix.string() + ": " + join(missing));
  if (!optimizer_missing.empty())
    print_warning("SavedModel " + quoted(directory) + ": the optimizer state was not fully restored (" +
                  join(optimizer_missing) + "); training resumes with fresh optimizer state for those");
}


// The model rebuilt from the Keras metadata and compiled, its variables not yet read. The parsed
// saved_model.pb (for a ResNet50, 2.8 MB of functions: about 25 MiB parsed) goes when this
// returns, unless revived layers run its functions, so the variables are read without it.
ModelPtr rebuild_compiled_model(const fs::path& directory, const LoadOptions& options) {
  const auto saved_model = read_saved_model(directory);
  const tfproto::MetaGraphDef& meta_graph = main_meta_graph(*saved_model, directory);
  const auto keras_metadata = read_keras_metadata(directory);
  const KerasRootMetadata root = keras_root_metadata(meta_graph, keras_metadata, directory);
  CustomObjects custom_objects = options.custom_objects;
  RevivedLayers revived = revived_layer_classes(saved_model, meta_graph, keras_metadata, directory, options.custom_objects);
  custom_objects.insert(revived.classes.begin(), revived.classes.end());
  // Normalized first (as model_from_config does, and it leaves a normalized config unchanged), so
  // that revived layers keep the configs they were always given.
  const Json config = revived.configs->reduce(normalize_config(model_config_of(root)), revived.classes);
  ModelPtr model = rebuild_from_config(config, directory, custom_objects);
  compile_from_metadata(*model, root.metadata, directory, options);
  return model;
}

}  // namespace

ModelPtr load_keras_saved_model(const fs::path& directory, const LoadOptions& options) {
  ModelPtr model = rebuild_compiled_model(directory, options);
  restore_variables(*model, directory);
  return model;
}

}  // namespace ksave::plugins::savedmodel
