#include "graph_objects.hpp"

#include <deque>

#include "graph_runtime/graph_tensor.hpp"
#include "ksave/error.hpp"
#include "ksave/tf/object_graph.hpp"
#include "saved_model_file.hpp"

namespace ksave::plugins::savedmodel {
namespace fs = std::filesystem;
namespace {

void flatten_into(const tfproto::StructuredValue& value, const std::string& key, std::vector<FlatSpec>& out,
                  const std::string& where, int depth) {
  if (depth > 32) throw Error(where + ": the structured signature nests too deeply");
  switch (value.kind_case()) {
    case tfproto::StructuredValue::kTensorSpecValue: {
      const auto& spec = value.tensor_spec_value();
      tfproto::TensorInfo info;
      info.set_name(spec.name());
      info.set_dtype(spec.dtype());
      *info.mutable_tensor_shape() = spec.shape();
      out.push_back({key.empty() ? spec.name() : key, tensor_spec_from_info(info, where)});
      return;
    }
    case tfproto::StructuredValue::kListValue:
      for (const auto& v : value.list_value().values()) flatten_into(v, key, out, where, depth + 1);
      return;
    case tfproto::StructuredValue::kTupleValue:
      for (const auto& v : value.tuple_value().values()) flatten_into(v, key, out, where, depth + 1);
      return;
    case tfproto::StructuredValue::kDictValue: {
      std::map<std::string, const tfproto::StructuredValue*> sorted;  // protobuf maps are unordered
      for (const auto& [k, v] : value.dict_value().fields()) sorted[k] = &v;
      for (const auto& [k, v] : sorted) flatten_into(*v, k, out, where, depth + 1);
      return;
    }
    case tfproto::StructuredValue::kNamedTupleValue:
      for (const auto& pair : value.named_tuple_value().values()) flatten_into(pair.value(), pair.key(), out, where, depth + 1);
      return;
    case tfproto::StructuredValue::kTypeSpecValue:
    case tfproto::StructuredValue::kBoundedTensorSpecValue:
      throw Error(where + ": composite or bounded tensor specs in a function signature are not supported");
    default: return;  // None and Python values are baked into the traced function
  }
}

}  // namespace

std::vector<FlatSpec> flatten_tensor_specs(const tfproto::StructuredValue& value, const std::string& where) {
  std::vector<FlatSpec> out;
  flatten_into(value, "", out, where, 0);
  return out;
}

const tfproto::SavedObject& saved_node(const tfproto::SavedObjectGraph& graph, int id, const std::string& where) {
  if (id < 0 || id >= graph.nodes_size())
    throw Error(where + ": object graph node " + std::to_string(id) + " does not exist (the graph has " +
                std::to_string(graph.nodes_size()) + " nodes)");
  return graph.nodes(id);
}

int saved_child(const tfproto::SavedObjectGraph& graph, int id, const std::string& local_name) {
  if (id < 0 || id >= graph.nodes_size()) return -1;
  for (const auto& child : graph.nodes(id).children())
    if (child.local_name() == local_name) return child.node_id();
  return -1;
}

SavedVariables::SavedVariables(const tfproto::SavedObjectGraph& graph, const fs::path& directory) : graph_(graph), directory_(directory) {
  bool has_variables = false;
  for (const auto& node : graph.nodes()) has_variables |= node.has_variable();
  if (!has_variables) return;
  const fs::path prefix = variables_prefix(directory);
  bundle_ = std::make_unique<tf::BundleReader>(prefix);
  const Tensor serialized = bundle_->read(tf::kObjectGraphKey);
  tfproto::TrackableObjectGraph checkpoint;
  if (serialized.dtype() != DType::String || serialized.size() != 1 || !checkpoint.ParseFromString(serialized.string_values()[0]))
    throw Error("SavedModel " + quoted(directory) + ": the checkpoint object graph in " + prefix.string() + " is corrupt");
  // Both graphs are walked together from their roots by local names.
  std::deque<std::pair<int, int>> queue{{0, 0}};
  std::vector<char> seen(static_cast<std::size_t>(graph.nodes_size()), 0);
  while (!queue.empty()) {
    auto [saved, ckpt] = queue.front();
    queue.pop_front();
    if (saved < 0 || saved >= graph.nodes_size() || seen[static_cast<std::size_t>(saved)] || ckpt < 0 || ckpt >= checkpoint.nodes_size()) continue;
    seen[static_cast<std::size_t>(saved)] = 1;
    for (const auto& attribute : checkpoint.nodes(ckpt).attributes())
      if (attribute.name() == tf::kVariableValue) keys_[saved] = attribute.checkpoint_key();
    for (const auto& child : graph.nodes(saved).children())
      for (const auto& ckpt_child : checkpoint.nodes(ckpt).children())
        if (ckpt_child.local_name() == child.local_name()) queue.emplace_back(child.node_id(), ckpt_child.node_id());
  }
}

VariablePtr SavedVariables::variable(int id) {
  std::lock_guard lock(mutex_);
  if (auto it = made_.find(id); it != made_.end()) return it->second;
  const std::string where = "SavedModel " + quoted(directory_) + " object graph node " + std::to_string(id);
  const tfproto::SavedObject& node = saved_node(graph_, id, where);
  if (!node.has_variable()) throw Error(where + " is not a variable");
  auto key = keys_.find(id);
  if (!bundle_ || key == keys_.end())
    throw Error(where + ": variable '" + node.variable().name() + "' has no value in " + variables_prefix(directory_).string());
  Tensor value = bundle_->read(key->second);
  const DType dtype = tf::from_tf_dtype(node.variable().dtype(), where);
  const auto shape = shape_from_proto(node.variable().shape(), where);
  if (value.dtype() != dtype || (shape && !shapes_compatible(*shape, value.shape())))
    throw Error(where + ": variable '" + node.variable().name() + "' is declared " + std::string(dtype_name(dtype)) +
                (shape ? " " + shape_to_string(*shape) : "") + " but its value " + key->second + " is " +
                std::string(dtype_name(value.dtype())) + " " + shape_to_string(value.shape()));
  auto variable = std::make_shared<Variable>(node.variable().name(), value, node.variable().trainable());
  made_[id] = variable;
  return variable;
}

GraphValues captured_inputs(const tfproto::MetaGraphDef& meta_graph, const tfproto::SavedConcreteFunction& function,
                            SavedVariables& variables, const fs::path& directory, const std::string& where) {
  const auto& graph = meta_graph.object_graph_def();
  GraphValues values;
  for (int id : function.bound_inputs()) {
    const tfproto::SavedObject& node = saved_node(graph, id, where);
    if (node.has_variable()) {
      values.push_back(variable_value(variables.variable(id)));
    } else if (node.has_asset()) {
      const int index = node.asset().asset_file_def_index();
      if (index < 0 || index >= meta_graph.asset_file_def_size()) throw Error(where + ": asset index " + std::to_string(index) + " does not exist");
      const fs::path path =
          inside_folder(directory, fs::path(kAssetsDirectory) / meta_graph.asset_file_def(index).filename(), "asset file");
      values.push_back(tensor_value(Tensor::strings({path.string()}, {})));
    } else {
      throw Error(where + ": captured input node " + std::to_string(id) + " is neither a variable nor an asset");
    }
  }
  return values;
}

}  // namespace ksave::plugins::savedmodel
