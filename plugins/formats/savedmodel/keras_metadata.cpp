#include "keras_metadata.hpp"

#include "ksave/error.hpp"
#include "saved_model_file.hpp"

namespace ksave::plugins::savedmodel {
namespace fs = std::filesystem;

bool is_keras_identifier(const std::string& identifier) { return identifier.rfind("_tf_keras_", 0) == 0; }

Json untuple(const Json& value) {
  if (value.is_array()) {
    Json out = Json::array();
    for (const auto& item : value) out.push_back(untuple(item));
    return out;
  }
  if (!value.is_object()) return value;
  auto class_name = value.find("class_name");
  auto items = value.find("items");
  if (class_name != value.end() && items != value.end() && value.size() == 2 && class_name->is_string() &&
      (*class_name == "__tuple__" || *class_name == "TensorShape"))
    return untuple(*items);
  Json out = Json::object();
  for (auto it = value.begin(); it != value.end(); ++it) out[it.key()] = untuple(it.value());
  return out;
}

std::string describe_object_kind(const tfproto::SavedObject& object) {
  switch (object.kind_case()) {
    case tfproto::SavedObject::kUserObject: return "user object '" + object.user_object().identifier() + "'";
    case tfproto::SavedObject::kAsset: return "asset";
    case tfproto::SavedObject::kFunction: return "function";
    case tfproto::SavedObject::kVariable: return "variable";
    case tfproto::SavedObject::kBareConcreteFunction: return "bare concrete function";
    case tfproto::SavedObject::kConstant: return "constant";
    case tfproto::SavedObject::kResource: return "resource";
    case tfproto::SavedObject::kCapturedTensor: return "captured tensor";
    default: return "object of an unknown kind";
  }
}

namespace {

Json parse_metadata(const std::string& text, const std::string& where) {
  if (text.empty()) throw Error(where + ": the Keras metadata is empty");
  return untuple(parse_json(text, where + ": the Keras metadata"));
}

}  // namespace

KerasRootMetadata keras_root_metadata(const tfproto::MetaGraphDef& meta_graph,
                                      const std::optional<tfproto::KerasSavedMetadata>& keras_metadata,
                                      const fs::path& directory) {
  const std::string folder = "SavedModel " + quoted(directory);
  if (keras_metadata) {
    for (const auto& node : keras_metadata->nodes())
      if (node.node_path() == "root" || node.node_id() == 0)
        return {node.identifier(),
                parse_metadata(node.metadata(), folder + ", keras_metadata.pb node '" + node.node_path() + "'"),
                "keras_metadata.pb"};
    throw Error(folder + ": keras_metadata.pb has " + std::to_string(keras_metadata->nodes_size()) +
                " nodes but none for the root object (node_path 'root')");
  }
  const auto& graph = meta_graph.object_graph_def();
  if (graph.nodes_size() == 0)
    throw Error(folder + " has no object graph (a TF1 SavedModel?): it is not a Keras model");
  const auto& root = graph.nodes(0);
  if (!root.has_user_object() || !is_keras_identifier(root.user_object().identifier()))
    throw Error(folder + " is not a Keras model: its root object is a " + describe_object_kind(root) +
                " and there is no keras_metadata.pb");
  return {root.user_object().identifier(),
          parse_metadata(root.user_object().metadata(), folder + ", saved_model.pb root user object"),
          "saved_model.pb user-object metadata"};
}

namespace {

// A config that cannot rebuild the model: tf.keras <= 2.12 marks a model whose get_config raised
// NotImplementedError with "layer was saved without config"; tf.keras >= 2.13 writes {} for a
// subclassed model whose constructor takes no arguments.
bool saved_without_config(const Json& config) {
  return config.is_object() && (config.empty() || config.contains("layer was saved without config"));
}

}  // namespace

Json model_config_of(const KerasRootMetadata& root) {
  const Json& metadata = root.metadata;
  if (!metadata.is_object())
    throw Error("the root Keras metadata (" + root.source + ") is not a JSON object");
  auto class_name = metadata.find("class_name");
  auto config = metadata.find("config");
  const auto model_config = metadata.find("model_config");
  if (class_name != metadata.end() && config != metadata.end() && class_name->is_string() && config->is_object() &&
      !saved_without_config(*config))
    return Json{{"class_name", *class_name}, {"config", *config}};
  if (model_config != metadata.end() && model_config->is_object() && !saved_without_config(model_config->value("config", Json())))
    return *model_config;
  // A subclassed model saved without a config: named after its saved object, it is revived from
  // its traced call (revive_layer.hpp) unless a registered class builds it from that name alone.
  const auto name = metadata.find("name");
  if (class_name != metadata.end() && class_name->is_string() && name != metadata.end() && name->is_string())
    return Json{{"class_name", *class_name}, {"config", {{"name", *name}}}};
  throw Error("the root Keras metadata (" + root.source + ", identifier '" + root.identifier +
              "') has no usable config ('class_name' + 'config' or 'model_config') and names no class and object to "
              "revive from its traced functions");
}

}  // namespace ksave::plugins::savedmodel
