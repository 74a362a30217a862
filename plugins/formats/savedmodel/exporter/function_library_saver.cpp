#include "function_library_saver.hpp"

#include "ksave/tf/bundle.hpp"
#include "trace_ops.hpp"

namespace ksave::plugins::savedmodel {

namespace {

constexpr const char* kCpu = "/device:CPU:0";

tfproto::NodeDef& add(tfproto::FunctionDef& def, const std::string& name, const std::string& op, std::vector<std::string> inputs,
                      const char* device = kCpu) {
  tfproto::NodeDef& node = *def.add_node_def();
  node.set_name(name);
  node.set_op(op);
  for (auto& input : inputs) node.add_input(std::move(input));
  if (device) node.set_device(device);
  return node;
}

void set_const(tfproto::NodeDef& node, const Tensor& value) {
  set_type_attr(node, "dtype", value.dtype());
  auto& tensor = *(*node.mutable_attr())["value"].mutable_tensor();
  tensor.set_dtype(tf::to_tf_dtype(value.dtype()));
  set_shape(*tensor.mutable_tensor_shape(), value.shape());
  if (value.dtype() == DType::String)
    for (const auto& s : value.string_values()) tensor.add_string_val(s);
  else
    tensor.add_int_val(static_cast<std::int32_t>(value.item(0)));
}

void add_arg(tfproto::FunctionDef& def, const std::string& name, tfproto::DataType type) {
  auto* arg = def.mutable_signature()->add_input_arg();
  arg->set_name(name);
  arg->set_type(type);
}

// The checkpoint keys, then the object graph's: what SaveV2 writes and RestoreV2 reads.
Tensor tensor_names(const tf::ObjectGraphPlan& plan) {
  std::vector<std::string> keys;
  for (const auto& tensor : plan.tensors) keys.push_back(tensor.key);
  keys.push_back(tf::kObjectGraphKey);
  return Tensor::strings(keys, {static_cast<Dim>(keys.size())});
}
Tensor empty_slices(std::size_t count) {
  return Tensor::strings(std::vector<std::string>(count, ""), {static_cast<Dim>(count)});
}

void set_dtypes(tfproto::NodeDef& node, const tf::ObjectGraphPlan& plan) {
  auto* list = (*node.mutable_attr())["dtypes"].mutable_list();
  for (const auto& tensor : plan.tensors) list->add_type(tf::to_tf_dtype(tensor.variable->dtype()));
  list->add_type(tfproto::DT_STRING);
}

// The function's result: Identity_<n> of `value` after NoOp (control `controls`).
void add_result(tfproto::FunctionDef& def, const std::string& value, std::size_t index, const std::vector<std::string>& controls,
                const std::string& noop) {
  const std::string identity = numbered("Identity", index);
  tfproto::NodeDef& out = add(def, identity, "Identity", {value, "^" + noop}, nullptr);
  set_type_attr(out, "T", DType::String);
  tfproto::NodeDef& done = add(def, noop, "NoOp", {}, nullptr);
  for (const auto& control : controls) {
    done.add_input("^" + control);
    def.mutable_signature()->add_control_output(control);
    (*def.mutable_control_ret())[control] = control;
  }
  (*done.mutable_attr())["_acd_function_control_output"].set_b(true);
  auto* arg = def.mutable_signature()->add_output_arg();
  arg->set_name(lowercase_identifier(identity));
  arg->set_type(tfproto::DT_STRING);
  (*def.mutable_ret())[arg->name()] = identity + ":output:0";
  def.mutable_signature()->set_is_stateful(true);
}

void write_save_function(tfproto::FunctionDef& def, const tf::ObjectGraphPlan& plan, const std::map<const Variable*, std::string>& handles) {
  add_arg(def, "file_prefix", tfproto::DT_STRING);
  std::vector<std::string> values;
  for (const auto& tensor : plan.tensors) {
    values.push_back("savev2_" + lowercase_identifier(handles.at(tensor.variable.get()) + "/Read/ReadVariableOp"));
    add_arg(def, values.back(), tf::to_tf_dtype(tensor.variable->dtype()));
  }
  add_arg(def, "savev2_const", tfproto::DT_STRING);
  // A temporary shard name beside the prefix (".part" on s3, "_temp/part" elsewhere), as TF does.
  (*add(def, "StaticRegexFullMatch", "StaticRegexFullMatch", {"file_prefix"}, "/device:CPU:*").mutable_attr())["pattern"].set_s("^s3://.*");
  set_const(add(def, "Const", "Const", {}, "/device:CPU:*"), Tensor::strings({".part"}, {}));
  set_const(add(def, "Const_1", "Const", {}, "/device:CPU:*"), Tensor::strings({"_temp/part"}, {}));
  set_type_attr(add(def, "Select", "Select", {"StaticRegexFullMatch:output:0", "Const:output:0", "Const_1:output:0"}, "/device:CPU:*"),
                "T", DType::String);
  (*add(def, "StringJoin", "StringJoin", {"file_prefix", "Select:output:0"}, "/device:CPU:*").mutable_attr())["N"].set_i(2);
  set_const(add(def, "num_shards", "Const", {}, nullptr), Tensor::scalar<std::int32_t>(1));
  set_const(add(def, "ShardedFilename/shard", "Const", {}), Tensor::scalar<std::int32_t>(0));
  add(def, "ShardedFilename", "ShardedFilename", {"StringJoin:output:0", "ShardedFilename/shard:output:0", "num_shards:output:0"});
  set_const(add(def, "SaveV2/tensor_names", "Const", {}), tensor_names(plan));
  set_const(add(def, "SaveV2/shape_and_slices", "Const", {}), empty_slices(plan.tensors.size() + 1));
  std::vector<std::string> save_inputs{"ShardedFilename:filename:0", "SaveV2/tensor_names:output:0", "SaveV2/shape_and_slices:output:0"};
  save_inputs.insert(save_inputs.end(), values.begin(), values.end());
  save_inputs.push_back("savev2_const");
  set_dtypes(add(def, "SaveV2", "SaveV2", save_inputs), plan);
  tfproto::NodeDef& prefixes = add(def, "MergeV2Checkpoints/checkpoint_prefixes", "Pack", {"ShardedFilename:filename:0", "^SaveV2"});
  (*prefixes.mutable_attr())["N"].set_i(1);
  set_type_attr(prefixes, "T", DType::String);
  add(def, "MergeV2Checkpoints", "MergeV2Checkpoints", {"MergeV2Checkpoints/checkpoint_prefixes:output:0", "file_prefix"});
  set_type_attr(add(def, "Identity", "Identity", {"file_prefix", "^MergeV2Checkpoints"}), "T", DType::String);
  add_result(def, "Identity:output:0", 1, {"MergeV2Checkpoints"}, "NoOp");
}

void write_restore_function(tfproto::FunctionDef& def, const tf::ObjectGraphPlan& plan,
                            const std::map<const Variable*, std::string>& handles) {
  add_arg(def, "file_prefix", tfproto::DT_STRING);
  set_const(add(def, "RestoreV2/tensor_names", "Const", {}), tensor_names(plan));
  set_const(add(def, "RestoreV2/shape_and_slices", "Const", {}), empty_slices(plan.tensors.size() + 1));
  set_dtypes(add(def, "RestoreV2", "RestoreV2", {"file_prefix", "RestoreV2/tensor_names:output:0", "RestoreV2/shape_and_slices:output:0"}),
             plan);
  std::vector<std::string> assigns;
  for (std::size_t i = 0; i < plan.tensors.size(); ++i) {
    const Variable& variable = *plan.tensors[i].variable;
    const std::string base = i == 0 ? "assignvariableop" : numbered("assignvariableop", i);
    const std::string arg_name = base + "_" + lowercase_identifier(handles.at(&variable));
    auto* arg = def.mutable_signature()->add_input_arg();
    arg->set_name(arg_name);
    arg->set_type(tfproto::DT_RESOURCE);
    auto* handle = arg->add_handle_data();
    handle->set_dtype(tf::to_tf_dtype(variable.dtype()));
    set_shape(*handle->mutable_shape(), variable.shape());
    const std::string identity = i == 0 ? std::string("Identity") : numbered("Identity", i);
    set_type_attr(add(def, identity, "Identity", {"RestoreV2:tensors:" + std::to_string(i)}), "T", variable.dtype());
    assigns.push_back(i == 0 ? std::string("AssignVariableOp") : numbered("AssignVariableOp", i));
    set_type_attr(add(def, assigns.back(), "AssignVariableOp", {arg_name, identity + ":output:0"}), "dtype", variable.dtype());
  }
  add(def, "NoOp", "NoOp", {});
  const std::size_t n = plan.tensors.size();
  std::vector<std::string> inputs{"file_prefix"};
  for (const auto& assign : assigns) inputs.push_back("^" + assign);
  inputs.push_back("^NoOp");
  set_type_attr(add(def, numbered("Identity", n), "Identity", inputs), "T", DType::String);
  add_result(def, numbered("Identity", n) + ":output:0", n + 1, assigns, "NoOp_1");
}

}  // namespace

tfproto::SaverDef add_saver(TraceLibrary& functions, tfproto::GraphDef& graph, const tf::ObjectGraphPlan& plan,
                            const std::map<const Variable*, std::string>& handles) {
  tfproto::FunctionDef& save = functions.add_function(functions.unique_name("_traced_save"));
  write_save_function(save, plan, handles);
  const tfproto::FunctionDef save_copy = save;  // the next add may move it
  tfproto::FunctionDef& restore = functions.add_function(functions.unique_name("_traced_restore"));
  write_restore_function(restore, plan, handles);

  tfproto::NodeDef& object_graph = *graph.add_node();
  object_graph.set_name("Const");
  object_graph.set_op("Const");
  object_graph.set_device("/device:CPU:0");
  set_type_attr(object_graph, "dtype", DType::String);
  auto& tensor = *(*object_graph.mutable_attr())["value"].mutable_tensor();
  tensor.set_dtype(tfproto::DT_STRING);
  tensor.mutable_tensor_shape();
  tensor.add_string_val(plan.graph.SerializeAsString());
  tfproto::NodeDef& filename = *graph.add_node();
  filename.set_name("saver_filename");
  filename.set_op("Placeholder");
  set_type_attr(filename, "dtype", DType::String);
  (*filename.mutable_attr())["shape"].mutable_shape();

  std::vector<std::string> save_inputs{"saver_filename"}, restore_inputs{"saver_filename"};
  for (const auto& t : plan.tensors) {
    save_inputs.push_back(handles.at(t.variable.get()) + "/Read/ReadVariableOp");
    restore_inputs.push_back(handles.at(t.variable.get()));
  }
  save_inputs.push_back("Const");
  // SaveV2 and AssignVariableOp are stateful: both calls are StatefulPartitionedCalls.
  add_call_node(*graph.mutable_node(), "StatefulPartitionedCall_1", save_copy, save_inputs, {Shape{}}).set_op("StatefulPartitionedCall");
  add_call_node(*graph.mutable_node(), "StatefulPartitionedCall_2", functions.function(restore.signature().name()), restore_inputs,
                {Shape{}})
      .set_op("StatefulPartitionedCall");

  tfproto::SaverDef saver;
  saver.set_filename_tensor_name("saver_filename:0");
  saver.set_save_tensor_name("StatefulPartitionedCall_1:0");
  saver.set_restore_op_name("StatefulPartitionedCall_2");
  saver.set_version(tfproto::SaverDef::V2);
  return saver;
}

}  // namespace ksave::plugins::savedmodel
