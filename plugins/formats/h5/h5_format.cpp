// The "h5" format plugin: Keras's legacy HDF5 files, whole models and weights.
#include "hdf5_handle.hpp"
#include "keras3_weights_layout.hpp"
#include "ksave/error_context.hpp"
#include "ksave/plugin.hpp"
#include "model_file.hpp"

namespace ksave::plugins::h5 {
namespace {

// Every entry point names the file in its errors (errors_naming): the HDF5 readers below report
// objects, datasets and layers, and a reader several calls up needs to know which file.
class H5Format : public Format {
 public:
  std::string name() const override { return "h5"; }
  std::vector<Capability> capabilities() const override {
    return {Capability::SaveModel, Capability::LoadModel, Capability::SaveWeights, Capability::LoadWeights, Capability::Inspect};
  }
  FormatTraits traits() const override {
    return {.model_endings = {".h5", ".hdf5"}, .weights_endings = {".h5", ".hdf5"}};
  }
  // By content only: real files carry .keras and .h5.h5 names. Keras 3 `*.weights.h5` files
  // are HDF5 too, in the .keras archive's layout: the keras format claims those.
  bool sniff(const std::filesystem::path& path) const override {
    return has_hdf5_signature(path) && !has_keras3_weights_layout(path);
  }

  void save_model(const Model& model, const std::filesystem::path& path, const SaveOptions& options) override {
    errors_naming(path.string(), [&] { write_model_file(model, path, options); });
  }
  ModelPtr load_model(const std::filesystem::path& path, const LoadOptions& options) override {
    return errors_naming(path.string(), [&] { return read_model_file(path, options); });
  }
  void save_weights(const Model& model, const std::filesystem::path& path, const SaveOptions& options) override {
    if (!options.overwrite && std::filesystem::exists(path))
      throw Error("cannot save to '" + path.string() + "': the file exists and overwrite is off");
    errors_naming(path.string(), [&] { write_weights_file(model, path); });
  }
  LoadStatus load_weights(Model& model, const std::filesystem::path& path, const LoadOptions& options) override {
    return errors_naming(path.string(), [&] { return read_weights_file(model, path, options); });
  }
  Json inspect(const std::filesystem::path& path) const override {
    return errors_naming(path.string(), [&] { return describe_file(path); });
  }
};

void register_objects(PluginRegistrar& r) { r.format<H5Format>("h5"); }

}  // namespace
}  // namespace ksave::plugins::h5

KSAVE_PLUGIN("format_h5", "1.0.0", ksave::plugins::h5::register_objects)
