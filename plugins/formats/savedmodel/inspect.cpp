#include "inspect.hpp"

#include <map>

#include "graph_runtime/graph_executor.hpp"
#include "keras_metadata.hpp"
#include "ksave/tf/bundle.hpp"
#include "saved_model_file.hpp"

namespace ksave::plugins::savedmodel {
namespace fs = std::filesystem;

namespace {

Json describe_shape(const tfproto::TensorShapeProto& shape) {
  if (shape.unknown_rank()) return nullptr;
  Json dims = Json::array();
  for (const auto& dim : shape.dim()) dims.push_back(dim.size());
  return dims;
}

Json describe_tensor_map(const google::protobuf::Map<std::string, tfproto::TensorInfo>& tensors) {
  const std::map<std::string, tfproto::TensorInfo> sorted(tensors.begin(), tensors.end());
  Json out = Json::object();
  for (const auto& [key, info] : sorted) out[key] = describe_tensor_info(info);
  return out;
}

// The traced functions (FunctionDefs) and whether ksave can run them all: it writes them when it
// saves (save_traces) and runs them, the signatures through load_functions and `ksave predict`,
// layers of classes nothing defines revived from their traces.
Json describe_traced_functions(const tfproto::MetaGraphDef& meta_graph, int object_graph_functions) {
  const auto& library = meta_graph.graph_def().library();
  std::vector<std::string> names;
  for (const auto& f : library.function()) names.push_back(f.signature().name());
  std::string cannot_run;
  try {
    cannot_run = FunctionLibrary(nullptr, library).unsupported_ops(names);
  } catch (const Error& e) {
    cannot_run = e.what();
  }
  Json out = {{"count", object_graph_functions}, {"function_defs", names.size()}, {"runnable", cannot_run.empty()}};
  if (!cannot_run.empty()) out["cannot_run"] = cannot_run;
  return out;
}

Json describe_object_graph(const tfproto::MetaGraphDef& meta_graph) {
  const tfproto::SavedObjectGraph& graph = meta_graph.object_graph_def();
  std::map<std::string, int> kinds, user_objects;
  Json variables = Json::array();
  for (const auto& node : graph.nodes()) {
    ++kinds[node.has_user_object() ? "user_object" : describe_object_kind(node)];
    if (node.has_user_object()) ++user_objects[node.user_object().identifier()];
    if (node.has_variable()) {
      const auto& v = node.variable();
      variables.push_back({{"name", v.name()}, {"dtype", tf::tf_dtype_name(v.dtype())}, {"shape", describe_shape(v.shape())},
                           {"trainable", v.trainable()}});
    }
  }
  Json out = {{"nodes", graph.nodes_size()}, {"kinds", Json::object()}, {"user_objects", Json::object()}};
  for (const auto& [kind, count] : kinds) out["kinds"][kind] = count;
  for (const auto& [identifier, count] : user_objects) out["user_objects"][identifier] = count;
  const int functions = kinds.count("function") ? kinds["function"] : 0;
  const int bare = kinds.count("bare concrete function") ? kinds["bare concrete function"] : 0;
  out["traced_functions"] = describe_traced_functions(meta_graph, functions + bare);
  out["variables"] = std::move(variables);
  return out;
}

Json describe_keras(const tfproto::MetaGraphDef& meta_graph, const fs::path& directory) {
  try {
    const KerasRootMetadata root = keras_root_metadata(meta_graph, read_keras_metadata(directory), directory);
    Json out = {{"identifier", root.identifier}, {"source", root.source}};
    for (const char* key : {"class_name", "name", "keras_version", "backend"})
      if (root.metadata.contains(key)) out[key] = root.metadata[key];
    out["compiled"] = root.metadata.contains("training_config") && root.metadata["training_config"].is_object();
    return out;
  } catch (const Error& e) {
    return {{"error", e.what()}};
  }
}

}  // namespace

Json describe_tensor_info(const tfproto::TensorInfo& info) {
  Json out = Json::object();
  if (info.has_coo_sparse())
    out["coo_sparse"] = {{"values", info.coo_sparse().values_tensor_name()},
                         {"indices", info.coo_sparse().indices_tensor_name()},
                         {"dense_shape", info.coo_sparse().dense_shape_tensor_name()}};
  else
    out["name"] = info.name();
  out["dtype"] = tf::tf_dtype_name(info.dtype());
  out["shape"] = info.has_tensor_shape() ? describe_shape(info.tensor_shape()) : Json(nullptr);
  return out;
}

Json describe_signature(const tfproto::SignatureDef& signature) {
  return {{"method_name", signature.method_name()},
          {"inputs", describe_tensor_map(signature.inputs())},
          {"outputs", describe_tensor_map(signature.outputs())}};
}

Json describe_saved_model(const fs::path& directory) {
  const auto saved_model_file = read_saved_model(directory);
  const tfproto::SavedModel& saved_model = *saved_model_file;
  Json out = {{"format", "savedmodel"}, {"path", directory.string()},
              {"saved_model_schema_version", saved_model.saved_model_schema_version()}, {"meta_graphs", Json::array()}};
  for (const auto& meta_graph : saved_model.meta_graphs()) {
    Json tags = Json::array();
    for (const auto& tag : meta_graph.meta_info_def().tags()) tags.push_back(tag);
    Json signatures = Json::object();
    const std::map<std::string, tfproto::SignatureDef> sorted(meta_graph.signature_def().begin(), meta_graph.signature_def().end());
    for (const auto& [key, signature] : sorted) signatures[key] = describe_signature(signature);
    Json entry = {{"tags", tags}, {"tensorflow_version", meta_graph.meta_info_def().tensorflow_version()},
                  {"tensorflow_git_version", meta_graph.meta_info_def().tensorflow_git_version()}, {"signatures", signatures}};
    if (meta_graph.has_object_graph_def()) entry["object_graph"] = describe_object_graph(meta_graph);
    out["meta_graphs"].push_back(std::move(entry));
  }
  out["keras"] = describe_keras(main_meta_graph(saved_model, directory), directory);
  std::error_code ec;
  out["has_keras_metadata"] = fs::is_regular_file(directory / kKerasMetadataFile, ec);
  out["has_fingerprint"] = fs::is_regular_file(directory / kFingerprintFile, ec);
  const fs::path prefix = variables_prefix(directory);
  if (fs::is_regular_file(tf::index_path(prefix), ec)) {
    const tf::BundleReader bundle(prefix);
    out["variables_bundle"] = {{"prefix", prefix.string()}, {"num_shards", bundle.header().num_shards()}, {"tensors", bundle.keys().size()}};
  }
  return out;
}

}  // namespace ksave::plugins::savedmodel
