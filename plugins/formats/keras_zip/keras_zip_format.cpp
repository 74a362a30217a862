// The "keras" format plugin: Keras 3's `.keras` zip archives (config.json, metadata.json and
// model.weights.h5) and Keras 3's standalone `*.weights.h5` weights files. Found by content: a
// zip signature, or HDF5 in Keras 3's weights layout. Other HDF5 files (named .keras or not)
// belong to the h5 format.
//
// Why this plugin claims Keras 3 weights files rather than the h5 plugin delegating to it:
// the layout is this plugin's (the archive's model.weights.h5), so reading and writing it stays
// in one place, the format ksave reports (`inspect`, detect_format) is the one that reads the
// file, and the two plugins do not call each other. Both sniffs ask the same question
// (has_keras3_weights_layout, in the shared HDF5 library), so exactly one claims any HDF5 file.
#include "keras3_weights_layout.hpp"
#include "ksave/plugin.hpp"
#include "model_archive.hpp"
#include "weights_file.hpp"
#include "zip_archive.hpp"

namespace ksave::plugins::keras_zip {
namespace {

class KerasZipFormat : public Format {
 public:
  std::string name() const override { return "keras"; }
  std::vector<Capability> capabilities() const override {
    return {Capability::SaveModel, Capability::LoadModel, Capability::SaveWeights, Capability::LoadWeights, Capability::Inspect};
  }
  // Keras >= 2.13 and Keras 3 write a `.keras` path as this archive (HDF5 files older tf.keras
  // saved under that name are recognized by content on load); Keras 3's weights files must be
  // named `*.weights.h5`, a longer ending than the h5 format's ".h5".
  FormatTraits traits() const override { return {.model_endings = {".keras"}, .weights_endings = {".weights.h5"}}; }
  bool sniff(const std::filesystem::path& path) const override {
    return has_zip_signature(path) || h5::has_keras3_weights_layout(path);
  }

  void save_model(const Model& model, const std::filesystem::path& path, const SaveOptions& options) override {
    write_model_archive(model, path, options);
  }
  ModelPtr load_model(const std::filesystem::path& path, const LoadOptions& options) override {
    return read_model_archive(path, options);
  }
  void save_weights(const Model& model, const std::filesystem::path& path, const SaveOptions& options) override {
    save_weights_file(model, path, options);
  }
  // Keras 3's load_weights takes an archive or a weights file.
  LoadStatus load_weights(Model& model, const std::filesystem::path& path, const LoadOptions& options) override {
    return has_zip_signature(path) ? read_archive_weights(model, path, options) : load_weights_file(model, path, options);
  }
  Json inspect(const std::filesystem::path& path) const override {
    return has_zip_signature(path) ? describe_archive(path) : describe_weights_file(path);
  }
};

void register_objects(PluginRegistrar& r) { r.format<KerasZipFormat>("keras"); }

}  // namespace
}  // namespace ksave::plugins::keras_zip

KSAVE_PLUGIN("format_keras_zip", "1.0.0", ksave::plugins::keras_zip::register_objects)
