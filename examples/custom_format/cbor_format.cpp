// A file format written as a third party would, with the ksave SDK alone: "kcbor", a model's
// Keras config and weights in one CBOR document (cbor_document.hpp). It declares its endings and
// that it holds values (Format::traits), so `save_model(model, "m.kcbor")`, `ksave convert
// m.h5 m.kcbor` and `load_model` (by content) use it with no change to ksave.
#include "cbor_document.hpp"
#include "ksave/error_context.hpp"
#include "ksave/plugin.hpp"
#include "ksave/serialization.hpp"

namespace kcbor {
namespace {
namespace fs = std::filesystem;

class KcborFormat final : public ksave::Format {
 public:
  std::string name() const override { return "kcbor"; }
  std::vector<ksave::Capability> capabilities() const override {
    using ksave::Capability;
    return {Capability::SaveModel, Capability::LoadModel, Capability::SaveWeights, Capability::LoadWeights,
            Capability::Inspect};
  }
  ksave::FormatTraits traits() const override {
    return {.model_endings = {".kcbor"}, .weights_endings = {".weights.kcbor"}};
  }
  bool sniff(const fs::path& path) const override { return is_document(path); }

  void save_model(const ksave::Model& model, const fs::path& path, const ksave::SaveOptions&) override {
    write_document(model, true, path);
  }
  ksave::ModelPtr load_model(const fs::path& path, const ksave::LoadOptions& options) override {
    const ksave::Json document = read_document(path);
    if (document["model"].is_null())
      throw ksave::Error("kcbor file '" + path.string() + "' holds weights only: load them with load_weights");
    ksave::ModelPtr model =
        ksave::errors_naming(path.string(), [&] { return ksave::model_from_config(document["model"], options.custom_objects); });
    assign_weights(document, *model, path);
    return model;
  }
  void save_weights(const ksave::Model& model, const fs::path& path, const ksave::SaveOptions&) override {
    write_document(model, false, path);
  }
  ksave::LoadStatus load_weights(ksave::Model& model, const fs::path& path, const ksave::LoadOptions&) override {
    assign_weights(read_document(path), model, path);
    return {};
  }
  ksave::Json inspect(const fs::path& path) const override {
    const ksave::Json document = read_document(path);
    ksave::Json weights = ksave::Json::array();
    for (const ksave::Json& w : document["weights"])
      weights.push_back({{"name", w.value("name", "")}, {"dtype", w.value("dtype", "")}, {"shape", w.value("shape", ksave::Json::array())}});
    return {{"format", "kcbor"}, {"path", path.string()}, {"whole_model", !document["model"].is_null()}, {"weights", weights}};
  }
};

void register_objects(ksave::PluginRegistrar& registrar) { registrar.format<KcborFormat>("kcbor"); }

}  // namespace
}  // namespace kcbor

KSAVE_PLUGIN("custom_format", "1.0.0", kcbor::register_objects)
