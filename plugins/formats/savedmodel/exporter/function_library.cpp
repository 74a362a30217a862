#include "function_library.hpp"

#include <algorithm>

#include "ksave/error.hpp"
#include "ksave/tf/bundle.hpp"
#include "trace_ops.hpp"

namespace ksave::plugins::savedmodel {

namespace {

// TensorFlow's serialized ConfigProto that tf.function puts on every call node (CPU and GPU
// device counts, as in the TF 2.11 fixture).
const char kCallConfigProto[] = "\n\007\n\003CPU\020\001\n\007\n\003GPU\020\0002\002J\0008\001\202\001\000";

void add_input_arg(tfproto::OpDef& signature, const std::string& name, DType dtype) {
  auto* arg = signature.add_input_arg();
  arg->set_name(name);
  arg->set_type(tf::to_tf_dtype(dtype));
}

void add_resource_arg(tfproto::OpDef& signature, const std::string& name, const Variable& variable) {
  auto* arg = signature.add_input_arg();
  arg->set_name(name);
  arg->set_type(tfproto::DT_RESOURCE);
  auto* handle = arg->add_handle_data();
  handle->set_dtype(tf::to_tf_dtype(variable.dtype()));
  set_shape(*handle->mutable_shape(), variable.shape());
}

void set_arg_attrs(tfproto::FunctionDef& def, std::uint32_t index, const std::string& user_name, const Shape& shape) {
  auto& attrs = *def.mutable_arg_attr();
  auto* attr = attrs[index].mutable_attr();
  set_shape(*(*attr)["_output_shapes"].mutable_list()->add_shape(), shape);
  (*attr)["_user_specified_name"].set_s(user_name);
}

// The outputs as tf.function returns them: one Identity per result (after the NoOp that orders
// the function's stateful ops, named by `control_outputs`), rets "identity", "identity_1", ...
void add_outputs(tfproto::FunctionDef& def, const std::vector<std::string>& endpoints, const std::vector<Shape>& shapes,
                 const std::vector<DType>& dtypes, const std::vector<std::string>& control_outputs) {
  for (std::size_t i = 0; i < endpoints.size(); ++i) {
    const std::string suffix = i == 0 ? "" : numbered("", i);
    tfproto::NodeDef* identity = def.add_node_def();
    identity->set_name("Identity" + suffix);
    identity->set_op("Identity");
    identity->add_input(endpoints[i]);
    if (!control_outputs.empty()) identity->add_input("^NoOp");
    set_type_attr(*identity, "T", dtypes[i]);
    set_shapes_attr(*identity, {shapes[i]});
    auto* out = def.mutable_signature()->add_output_arg();
    out->set_name("identity" + suffix);
    out->set_type(tf::to_tf_dtype(dtypes[i]));
    (*def.mutable_ret())["identity" + suffix] = "Identity" + suffix + ":output:0";
  }
  if (control_outputs.empty()) return;
  tfproto::NodeDef* noop = def.add_node_def();
  noop->set_name("NoOp");
  noop->set_op("NoOp");
  for (const auto& name : control_outputs) {
    noop->add_input("^" + name);
    def.mutable_signature()->add_control_output(name);
    (*def.mutable_control_ret())[name] = name;
  }
  (*noop->mutable_attr())["_acd_function_control_output"].set_b(true);
  def.mutable_signature()->set_is_stateful(true);
}

void set_common_attrs(tfproto::FunctionDef& def, const std::vector<Shape>& input_shapes) {
  (*def.mutable_attr())["_construction_context"].set_s("kEagerRuntime");
  auto* shapes = (*def.mutable_attr())["_input_shapes"].mutable_list();
  for (const auto& shape : input_shapes) set_shape(*shapes->add_shape(), shape);
}

// The shapes of a function's outputs, from its Identity nodes.
std::vector<Shape> output_shapes_of(const tfproto::FunctionDef& def) {
  std::vector<Shape> out;
  for (const auto& node : def.node_def()) {
    if (node.op() != "Identity") continue;
    const auto& proto = node.attr().at("_output_shapes").list().shape(0);
    Shape shape;
    for (const auto& dim : proto.dim()) shape.push_back(dim.size());
    out.push_back(shape);
  }
  return out;
}

}  // namespace

std::string TraceLibrary::unique_name(const std::string& base) {
  return "__inference_" + base + "_" + std::to_string(next_uid_++);
}

const tfproto::FunctionDef& TraceLibrary::function(const std::string& name) const {
  for (const auto& def : library_.function())
    if (def.signature().name() == name) return def;
  throw Error("the function library has no function '" + name + "'");
}

tfproto::FunctionDef& TraceLibrary::add_function(const std::string& name) {
  tfproto::FunctionDef& def = *library_.add_function();
  def.mutable_signature()->set_name(name);
  return def;
}

void TraceLibrary::add_traced(const std::string& name, const TracedFunction& traced) {
  tfproto::FunctionDef& def = *library_.add_function();
  def.mutable_signature()->set_name(name);
  std::vector<Shape> input_shapes;
  for (std::uint32_t i = 0; i < traced.args.size(); ++i) {
    const TraceArg& arg = traced.args[i];
    add_input_arg(*def.mutable_signature(), arg.name, arg.dtype);
    const Shape shape = symbolic_shape(arg.shape);
    set_arg_attrs(def, i, arg.name, shape);
    input_shapes.push_back(shape);
  }
  for (std::size_t i = 0; i < traced.captures.size(); ++i) {
    add_resource_arg(*def.mutable_signature(), traced.capture_arg_names[i], *traced.captures[i]);
    input_shapes.push_back(Shape{});
  }
  for (const auto& node : traced.nodes) *def.add_node_def() = node;
  add_outputs(def, traced.outputs, traced.output_shapes, traced.output_dtypes, traced.read_nodes);
  set_common_attrs(def, input_shapes);
}

void TraceLibrary::add_wrapper(const std::string& name, const std::string& callee_name, const std::vector<std::string>& arg_names,
                               bool keyword_order) {
  const tfproto::FunctionDef callee = function(callee_name);  // a copy: adding to the library may move it
  tfproto::FunctionDef& def = *library_.add_function();
  def.mutable_signature()->set_name(name);
  struct Arg {
    tfproto::OpDef::ArgDef def;
    Shape shape;  // of a data argument; resources are scalars
    bool resource = false;
  };
  std::vector<Arg> args;            // in the callee's order
  std::vector<std::string> inputs;  // the callee's inputs, by the wrapper's names
  std::size_t data_args = 0, resources = 0;
  for (const auto& arg : callee.signature().input_arg()) {
    Arg a{arg, {}, arg.type() == tfproto::DT_RESOURCE};
    if (a.resource) {
      // tf.function names captured inputs of a wrapper "unknown", "unknown_0", "unknown_1", ...
      a.def.set_name(resources == 0 ? std::string("unknown") : numbered("unknown", resources - 1));
      ++resources;
    } else {
      a.def.set_name(data_args < arg_names.size() ? arg_names[data_args] : arg.name());
      const auto& attrs = callee.arg_attr().at(static_cast<std::uint32_t>(data_args)).attr();
      for (const auto& dim : attrs.at("_output_shapes").list().shape(0).dim()) a.shape.push_back(dim.size());
      ++data_args;
    }
    inputs.push_back(a.def.name());
    args.push_back(std::move(a));
  }
  // Data arguments before resources, as in the callee; sorted by name for a signature.
  std::vector<std::size_t> order(args.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  if (keyword_order)
    std::stable_sort(order.begin(), order.end(), [&](std::size_t i, std::size_t j) {
      if (args[i].resource != args[j].resource) return !args[i].resource;
      return !args[i].resource && args[i].def.name() < args[j].def.name();
    });
  std::vector<Shape> input_shapes;
  for (std::size_t position = 0; position < order.size(); ++position) {
    const Arg& a = args[order[position]];
    *def.mutable_signature()->add_input_arg() = a.def;
    if (!a.resource) set_arg_attrs(def, static_cast<std::uint32_t>(position), a.def.name(), a.shape);
    input_shapes.push_back(a.shape);
  }
  const std::vector<Shape> shapes = output_shapes_of(callee);
  tfproto::NodeDef& call = add_call_node(*def.mutable_node_def(), resources ? "StatefulPartitionedCall" : "PartitionedCall",
                                         callee, inputs, shapes);
  const std::string call_name = call.name();
  std::vector<std::string> endpoints;
  std::vector<DType> dtypes;
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    endpoints.push_back(call_name + ":output:" + std::to_string(i));
    dtypes.push_back(tf::from_tf_dtype(callee.signature().output_arg(static_cast<int>(i)).type(), name));
  }
  add_outputs(def, endpoints, shapes, dtypes, resources ? std::vector<std::string>{call_name} : std::vector<std::string>{});
  set_common_attrs(def, input_shapes);
}

tfproto::NodeDef& add_call_node(google::protobuf::RepeatedPtrField<tfproto::NodeDef>& nodes, const std::string& name,
                                const tfproto::FunctionDef& callee, const std::vector<std::string>& inputs,
                                const std::vector<Shape>& output_shapes) {
  tfproto::NodeDef& call = *nodes.Add();
  call.set_name(name);
  bool stateful = false;
  auto& attrs = *call.mutable_attr();
  auto* tin = attrs["Tin"].mutable_list();
  auto* read_only = attrs["_read_only_resource_inputs"].mutable_list();
  for (int i = 0; i < callee.signature().input_arg_size(); ++i) {
    const auto type = callee.signature().input_arg(i).type();
    tin->add_type(type);
    if (type == tfproto::DT_RESOURCE) {
      stateful = true;
      read_only->add_i(i);  // traced calls only read their variables
    }
  }
  call.set_op(stateful ? "StatefulPartitionedCall" : "PartitionedCall");
  for (const auto& input : inputs) call.add_input(input);
  auto* tout = attrs["Tout"].mutable_list();
  for (const auto& arg : callee.signature().output_arg()) tout->add_type(arg.type());
  attrs["_collective_manager_ids"].mutable_list();
  attrs["config_proto"].set_s(std::string(kCallConfigProto, sizeof(kCallConfigProto) - 1));
  attrs["f"].mutable_func()->set_name(callee.signature().name());
  set_shapes_attr(call, output_shapes);
  return call;
}

tfproto::StructuredValue tensor_spec(const std::string& name, const Shape& shape, DType dtype) {
  tfproto::StructuredValue out;
  auto* spec = out.mutable_tensor_spec_value();
  spec->set_name(name);
  set_shape(*spec->mutable_shape(), symbolic_shape(shape));
  spec->set_dtype(tf::to_tf_dtype(dtype));
  return out;
}

tfproto::StructuredValue tuple_of(std::vector<tfproto::StructuredValue> values) {
  tfproto::StructuredValue out;
  auto* tuple = out.mutable_tuple_value();
  for (auto& v : values) *tuple->add_values() = std::move(v);
  return out;
}

tfproto::StructuredValue list_of(std::vector<tfproto::StructuredValue> values) {
  tfproto::StructuredValue out;
  auto* list = out.mutable_list_value();
  for (auto& v : values) *list->add_values() = std::move(v);
  return out;
}

tfproto::StructuredValue dict_of(std::map<std::string, tfproto::StructuredValue> fields) {
  tfproto::StructuredValue out;
  auto* dict = out.mutable_dict_value();
  for (auto& [key, value] : fields) (*dict->mutable_fields())[key] = std::move(value);
  return out;
}

tfproto::StructuredValue bool_value(bool value) {
  tfproto::StructuredValue out;
  out.set_bool_value(value);
  return out;
}

tfproto::StructuredValue none_value() {
  tfproto::StructuredValue out;
  out.mutable_none_value();
  return out;
}

}  // namespace ksave::plugins::savedmodel
