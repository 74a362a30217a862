// The "json" format: a model's architecture as Keras JSON (what model.to_json() returns, what
// tfjs writes as model.json). It holds no weights, so it saves and loads architectures only;
// `ksave predict` pairs such a file with a weights file.
#include <fstream>

#include "ksave/error_context.hpp"
#include "ksave/plugin.hpp"
#include "ksave/saving.hpp"
#include "ksave/serialization.hpp"
#include "model_json_file.hpp"

namespace ksave::plugins::json_format {
namespace {
namespace fs = std::filesystem;

// {"name", "class"} of each top-level layer, read from the (normalized) config: inspect works
// even when some layer class is not available to build the model.
Json layers_from_config(const Json& model) {
  Json layers = Json::array();
  const Json normalized = normalize_config(model);
  const Json& config = normalized.value("config", Json::object());
  if (!config.is_object() || !config.contains("layers") || !config["layers"].is_array()) return layers;
  for (const Json& layer : config["layers"]) {
    if (!layer.is_object()) continue;
    Json name = layer.contains("name") ? layer["name"] : Json(nullptr);
    if (name.is_null() && layer.contains("config") && layer["config"].is_object())
      name = layer["config"].value("name", Json(nullptr));
    layers.push_back({{"name", name}, {"class", layer.value("class_name", Json(nullptr))}});
  }
  return layers;
}

Json layers_of(const Model& model) {
  Json layers = Json::array();
  for (const auto& layer : model.layers())
    layers.push_back({{"name", layer->name()}, {"class", layer->class_name()}});
  return layers;
}

class JsonFormat : public Format {
 public:
  std::string name() const override { return "json"; }

  std::vector<Capability> capabilities() const override {
    return {Capability::SaveModel, Capability::LoadModel, Capability::Inspect};
  }

  // An architecture only: its models take their weights from another file.
  FormatTraits traits() const override { return {.model_endings = {".json"}, .holds_values = false}; }

  bool sniff(const fs::path& path) const override { return claims_file(path); }

  void save_model(const Model& model, const fs::path& path, const SaveOptions& options) override {
    if (!options.overwrite && fs::exists(path)) throw Error("'" + path.string() + "' exists and overwrite is off");
    const std::string text = model.to_json(2);
    write_atomically(path, [&](const fs::path& temporary) {
      std::ofstream out(temporary, std::ios::binary);
      if (!out) throw Error("cannot create '" + temporary.string() + "' to save '" + path.string() + "'");
      out << text << '\n';
      out.close();
      if (!out) throw Error("cannot write '" + path.string() + "' (disk full?)");
    });
  }

  ModelPtr load_model(const fs::path& path, const LoadOptions& options) override {
    const Json value = read_model_json(path);
    // Through the model JSON reader, which knows Keras 3's to_json (its hard_sigmoid is another function).
    ModelPtr model = errors_naming(path.string(), [&] { return model_from_json(value.dump(), options.custom_objects); });
    Json training_config = training_config_part(value);
    if (training_config.is_object()) model->set_training_config(std::move(training_config));
    return model;
  }

  Json inspect(const fs::path& path) const override {
    const Json value = read_model_json(path);
    const Json& model_json = model_part(value);
    Json out = Json::object();
    out["format"] = "json";
    out["path"] = path.string();
    out["keras_version"] = keras_version_of(value);
    out["backend"] = backend_of(value);
    out["class_name"] = model_json.value("class_name", Json(nullptr));
    out["weights"] = false;  // an architecture only
    try {
      ModelPtr model = model_from_json(value.dump());
      out["name"] = model->name();
      out["layers"] = layers_of(*model);
      out["summary"] = model->summary();
    } catch (const Error& e) {
      // Still describe what the config says; say why no summary could be made.
      out["layers"] = layers_from_config(model_json);
      out["summary"] = nullptr;
      out["error"] = e.what();
    }
    out["training_config"] = training_config_part(value);
    return out;
  }
};

void register_objects(PluginRegistrar& registrar) { registrar.format<JsonFormat>("json"); }

}  // namespace
}  // namespace ksave::plugins::json_format

KSAVE_PLUGIN("format_json", "0.1.0", ksave::plugins::json_format::register_objects)
