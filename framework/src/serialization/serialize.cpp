// serialize / deserialize of layers and models through the registry.
#include <set>

#include "ksave/json.hpp"
#include "ksave/plugin_loader.hpp"
#include "ksave/registry.hpp"
#include "ksave/serialization.hpp"
#include "ksave/shape.hpp"
#include "ksave/sublayer_config.hpp"
#include "serialization/declared_module.hpp"
#include "serialization/keras3_activations.hpp"
#include "serialization/unknown_classes.hpp"

namespace ksave {

namespace {

thread_local ConfigDialect config_dialect = ConfigDialect::Current;

// build_config's input_shape: one shape, or a list of them for a layer of several inputs.
Json input_shape_json(const std::vector<Shape>& shapes) {
  if (shapes.size() == 1) return shape_to_json(shapes[0]);
  Json list = Json::array();
  for (const auto& shape : shapes) list.push_back(shape_to_json(shape));
  return list;
}

}  // namespace

ConfigDialectScope::ConfigDialectScope(ConfigDialect dialect) : previous_(config_dialect) { config_dialect = dialect; }
ConfigDialectScope::~ConfigDialectScope() { config_dialect = previous_; }
ConfigDialect current_config_dialect() { return config_dialect; }

Json serialize(const Layer& layer) {
  const std::string registered = Registry::global().registered_name_for(Kind::Layer, layer.class_name());
  Json j = Json::object();
  if (config_dialect != ConfigDialect::Current) {
    j["class_name"] = registered;
    j["config"] = layer.get_config();
    return j;
  }
  const bool keras = Registry::global().origin_of(Kind::Layer, layer.class_name()) == Registry::Origin::Keras ||
                     dynamic_cast<const Functional*>(&layer) || dynamic_cast<const Sequential*>(&layer);
  const auto* functional = dynamic_cast<const Functional*>(&layer);
  const char* module = dynamic_cast<const Model*>(&layer) ? "keras" : "keras.layers";
  // tf-keras 2.21 writes a Functional model (not a public class) under its module's path, with
  // registered_name "Functional" and its inputs' shapes as build_config. The module is spelled as
  // the Keras 2 package does: tf-keras maps "keras." onto its own package, and Keras 2.15 reads it.
  if (functional) module = "keras.src.engine.functional";
  j["module"] = keras ? Json(module) : declared_module(Kind::Layer, layer.class_name());
  j["class_name"] = layer.class_name();
  j["config"] = layer.get_config();
  j["registered_name"] = functional ? Json("Functional") : keras ? Json() : Json(registered);
  if (const auto& shapes = layer.build_input_shapes()) {
    j["build_config"] = {{"input_shape", input_shape_json(*shapes)}};
  } else if (functional && !functional->inputs().empty()) {
    std::vector<Shape> shapes;
    for (const auto& input : functional->inputs()) shapes.push_back(input.shape());
    j["build_config"] = {{"input_shape", input_shape_json(shapes)}};
  }
  return j;
}

Json serialize_sublayer(const Layer& layer) {
  if (config_dialect != ConfigDialect::HDF5) return serialize(layer);
  const ConfigDialectScope current(ConfigDialect::Current);
  return serialize(layer);
}

LayerPtr layer_from_entry(const Json& entry) {
  if (!entry.is_object() || !entry.contains("class_name") || !entry["class_name"].is_string() ||
      !entry.contains("config"))
    throw Error("expected a serialized layer {\"class_name\": ..., \"config\": ...}, found " +
                entry.dump().substr(0, 200));
  std::string class_name = entry["class_name"].get<std::string>();
  ClassRef cls = Registry::global().require(Kind::Layer, class_name);
  try {
    return cls->as<LayerFactory>()(entry["config"]);
  } catch (const Error& e) {
    // The name only when it is a string: the Error may be about a name of another type.
    const Json& config = entry["config"];
    const bool named = config.is_object() && config.contains("name") && config["name"].is_string();
    const std::string name = named ? config["name"].get<std::string>() : "";
    if (name.empty() || std::string(e.what()).find("'" + name + "'") != std::string::npos) throw;
    throw Error("layer '" + name + "' (" + class_name + "): " + e.what());
  }
}

LayerPtr deserialize_layer(const Json& value, const CustomObjects& custom_objects) {
  check_json_depth(value, "the layer config");  // before the recursive walks below
  CustomObjectsArgument argument(custom_objects);
  Json normalized = normalize_config(value);
  std::vector<std::string> unknown = unknown_classes_in_normalized(normalized);
  if (!unknown.empty()) {
    std::string list;
    for (const auto& u : unknown) list += (list.empty() ? "" : ", ") + u;
    throw Error("the config names " + std::to_string(unknown.size()) + " unknown class" +
                (unknown.size() > 1 ? "es: " : ": ") + list +
                ". Load the plugins that provide them, or pass them in custom_objects or a scope (" +
                Registry::global().plugins().search_summary() + ")");
  }
  return layer_from_entry(normalized);
}

ModelPtr model_from_config(const Json& value, const CustomObjects& custom_objects) {
  LayerPtr layer = deserialize_layer(value, custom_objects);
  auto model = std::dynamic_pointer_cast<Model>(layer);
  if (!model)
    throw Error("the config describes a layer of class " + layer->class_name() + " ('" + layer->name() +
                "'), not a model");
  return model;
}

ModelPtr model_from_json(const std::string& json_text, const CustomObjects& custom_objects) {
  Json value = parse_json(json_text, "the model JSON");
  if (!value.is_object()) throw Error("model JSON must be an object with class_name and config, found " +
                                      std::string(value.type_name()));
  // Keras 3's to_json: its activation names mean Keras 3's functions (hard_sigmoid among them).
  if (is_keras3_model_json(value)) keras3_activation_names_to_ksave(value);
  return model_from_config(value, custom_objects);
}

LayerPtr make_layer(const std::string& class_name, const Json& config) {
  // Checked before the copy below: nlohmann copies recursively, once per level, so a value nested
  // 10,000 deep would overflow the stack there (found under AddressSanitizer's larger frames).
  check_json_depth(config, "the config of a " + class_name);
  return deserialize_layer(Json{{"class_name", class_name}, {"config", config.is_null() ? Json::object() : config}});
}

}  // namespace ksave
