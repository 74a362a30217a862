// The "keras" format plugin: Keras 3's `.keras` zip archives (config.json, metadata.json and
// model.weights.h5). Found by content, a zip signature; HDF5 files named .keras belong to the
// h5 format.
#include "ksave/plugin.hpp"
#include "model_archive.hpp"
#include "zip_archive.hpp"

namespace ksave::plugins::keras_zip {
namespace {

class KerasZipFormat : public Format {
 public:
  std::string name() const override { return "keras"; }
  std::vector<Capability> capabilities() const override {
    return {Capability::SaveModel, Capability::LoadModel, Capability::LoadWeights, Capability::Inspect};
  }
  bool sniff(const std::filesystem::path& path) const override { return has_zip_signature(path); }

  void save_model(const Model& model, const std::filesystem::path& path, const SaveOptions& options) override {
    write_model_archive(model, path, options);
  }
  ModelPtr load_model(const std::filesystem::path& path, const LoadOptions& options) override {
    return read_model_archive(path, options);
  }
  LoadStatus load_weights(Model& model, const std::filesystem::path& path, const LoadOptions& options) override {
    return read_archive_weights(model, path, options);
  }
  Json inspect(const std::filesystem::path& path) const override { return describe_archive(path); }
};

void register_objects(PluginRegistrar& r) { r.format<KerasZipFormat>("keras"); }

}  // namespace
}  // namespace ksave::plugins::keras_zip

KSAVE_PLUGIN("format_keras_zip", "1.0.0", ksave::plugins::keras_zip::register_objects)
