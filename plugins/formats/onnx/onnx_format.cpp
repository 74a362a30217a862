// The "onnx" format: exports a model ksave holds (loaded from any format it reads, or built in
// C++) as an ONNX model that ONNX Runtime, TensorRT or OpenVINO run. Export only: ONNX files are
// not read back as Keras models, but `ksave inspect` describes them.
//
// save_model(model, "m.onnx") picks it by extension. SaveOptions::format_options:
//   "opset": 13 (default) to 17     ai.onnx operator set
//   "external_data": "auto" (default: only when the model would pass protobuf's 2 GiB limit),
//                    a size in bytes (when the model would reach it), true (always) or false (never)
#include "inspect.hpp"
#include "ksave/plugin.hpp"
#include "model_export.hpp"
#include "onnx_file.hpp"

namespace ksave::plugins::onnx_export {
namespace {
namespace fs = std::filesystem;

struct Options {
  ExportOptions export_options;
  ExternalData external;
};

Options read_options(const Json& given, const fs::path& path) {
  Options o;
  const std::string where = "cannot save '" + path.string() + "' as ONNX: format option ";
  if (!given.is_object())
    throw Error("cannot save '" + path.string() + "' as ONNX: format options must be an object, found " + given.dump());
  for (const auto& [key, value] : given.items()) {
    if (key == "opset") {
      if (!value.is_number_integer()) throw Error(where + "'opset' must be an integer, found " + value.dump());
      o.export_options.opset = value.get<int>();
    } else if (key == "external_data") {
      if (value.is_boolean()) {
        o.external.when = value.get<bool>() ? ExternalData::When::Always : ExternalData::When::Never;
      } else if (value.is_number_integer() && value.get<std::int64_t>() > 0) {
        o.external.threshold = value.get<std::uint64_t>();
      } else if (value != "auto") {
        throw Error(where + "'external_data' must be true, false, \"auto\" or a size in bytes, found " + value.dump());
      }
    } else {
      throw Error(where + "'" + key + "' is not one the onnx format knows (opset, external_data)");
    }
  }
  return o;
}

class OnnxFormat : public Format {
 public:
  std::string name() const override { return "onnx"; }
  std::vector<Capability> capabilities() const override { return {Capability::SaveModel, Capability::Inspect}; }
  FormatTraits traits() const override { return {.model_endings = {".onnx"}}; }
  bool sniff(const fs::path& path) const override { return looks_like_onnx(path); }

  void save_model(const Model& model, const fs::path& path, const SaveOptions& options) override {
    const Options o = read_options(options.format_options, path);
    if (!options.overwrite && fs::exists(path)) throw Error("'" + path.string() + "' exists and overwrite is off");
    proto::ModelProto onnx;
    try {
      onnx = export_model(model, o.export_options);
    } catch (const Error& e) {
      throw Error("cannot save '" + path.string() + "' as ONNX: " + e.what());
    }
    write_onnx(std::move(onnx), path, o.external);
  }

  Json inspect(const fs::path& path) const override { return describe_onnx(path); }
};

void register_objects(PluginRegistrar& registrar) { registrar.format<OnnxFormat>("onnx"); }

}  // namespace
}  // namespace ksave::plugins::onnx_export

KSAVE_PLUGIN("format_onnx", ksave::plugins::onnx_export::kPluginVersion, ksave::plugins::onnx_export::register_objects)
