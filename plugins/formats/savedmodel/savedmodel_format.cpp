// The "savedmodel" format: a SavedModel folder (saved_model.pb + variables/ + keras_metadata.pb).
// Keras models save and load through their configs and the variables bundle, with the traced
// functions of every layer written and run (save_traces); load_functions runs a SavedModel's signatures like tf.saved_model.load
// (graph_loader); `ksave inspect` shows the signatures and the object graph. The protobuf schemas and bundle code live in ksave_tf.
#include "loader/graph_loader.hpp"
#include "inspect.hpp"
#include "loader/keras_loader.hpp"
#include "exporter/keras_saver.hpp"
#include "ksave/plugin.hpp"
#include "saved_model_file.hpp"

namespace ksave::plugins::savedmodel {
namespace {
namespace fs = std::filesystem;

class SavedModelFormat : public Format {
 public:
  std::string name() const override { return "savedmodel"; }

  std::vector<Capability> capabilities() const override {
    return {Capability::SaveModel, Capability::LoadModel, Capability::Inspect, Capability::LoadFunctions};
  }

  // Keras's save_model writes a SavedModel folder for every path no other format claims.
  FormatTraits traits() const override { return {.default_for_models = true}; }

  bool sniff(const fs::path& path) const override {
    std::error_code ec;
    return fs::is_directory(path, ec) && fs::is_regular_file(path / kSavedModelFile, ec);
  }

  void save_model(const Model& model, const fs::path& path, const SaveOptions& options) override {
    save_keras_saved_model(model, path, options);
  }

  ModelPtr load_model(const fs::path& path, const LoadOptions& options) override { return load_keras_saved_model(path, options); }

  Json inspect(const fs::path& path) const override { return describe_saved_model(path); }

  LoadedFunctionsPtr load_functions(const fs::path& path) override { return load_saved_model_functions(path); }
};

void register_objects(PluginRegistrar& registrar) { registrar.format<SavedModelFormat>("savedmodel"); }

}  // namespace
}  // namespace ksave::plugins::savedmodel

KSAVE_PLUGIN("format_savedmodel", "1.0.0", ksave::plugins::savedmodel::register_objects)
