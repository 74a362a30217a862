#include "function_library_graph.hpp"

#include <map>

#include "function_library_saver.hpp"
#include "ksave/tf/bundle.hpp"
#include "trace_ops.hpp"

namespace ksave::plugins::savedmodel {

namespace {

// GraphDef versions of the TF 2.12 fixture (producer of that release, min_consumer 12).
constexpr int kGraphProducer = 1395;
constexpr int kGraphMinConsumer = 12;

// A variable's resource handle in the graph, named as the variable ("dense/kernel"), and its
// "<name>/Read/ReadVariableOp".
std::string add_variable_handle(tfproto::GraphDef& graph, const Variable& variable, std::map<std::string, int>& used) {
  std::string name = tf::variable_full_name(variable);
  if (const int count = used[name]++; count > 0) name = numbered(name, static_cast<std::size_t>(count));
  tfproto::NodeDef& handle = *graph.add_node();
  handle.set_name(name);
  handle.set_op("VarHandleOp");
  set_type_attr(handle, "dtype", variable.dtype());
  set_shape(*(*handle.mutable_attr())["shape"].mutable_shape(), variable.shape());
  (*handle.mutable_attr())["shared_name"].set_s(name);
  set_shapes_attr(handle, {Shape{}});
  tfproto::NodeDef& read = *graph.add_node();
  read.set_name(name + "/Read/ReadVariableOp");
  read.set_op("ReadVariableOp");
  read.add_input(name);
  set_type_attr(read, "dtype", variable.dtype());
  set_shapes_attr(read, {variable.shape()});
  return name;
}

void add_serving_call(tfproto::GraphDef& graph, const TracedModel& traced, const std::map<const Variable*, std::string>& handles) {
  const TracedConcreteFunction& signature = traced.functions.concrete().at(traced.signature_function);
  std::vector<std::string> inputs;
  for (const auto& input : traced.signature_inputs) {
    tfproto::NodeDef& placeholder = *graph.add_node();
    placeholder.set_name("serving_default_" + input.key);
    placeholder.set_op("Placeholder");
    set_type_attr(placeholder, "dtype", input.dtype);
    set_shape(*(*placeholder.mutable_attr())["shape"].mutable_shape(), input.shape);
    set_shapes_attr(placeholder, {input.shape});
    inputs.push_back(placeholder.name());
  }
  for (const auto& variable : signature.captures) inputs.push_back(handles.at(variable.get()));
  const tfproto::FunctionDef& wrapper = traced.functions.function(traced.signature_function);
  std::vector<Shape> output_shapes(traced.signature_outputs.size());
  const std::vector<std::size_t> positions = sorted_output_positions(traced.signature_outputs);
  for (std::size_t i = 0; i < positions.size(); ++i) output_shapes[positions[i]] = traced.signature_outputs[i].shape;
  add_call_node(*graph.mutable_node(), "StatefulPartitionedCall", wrapper, inputs, output_shapes);
}

}  // namespace

ServingGraph serving_graph(TracedModel& traced, const tf::ObjectGraphPlan& plan) {
  ServingGraph out;
  tfproto::GraphDef& graph = out.graph;
  graph.mutable_versions()->set_producer(kGraphProducer);
  graph.mutable_versions()->set_min_consumer(kGraphMinConsumer);
  std::map<const Variable*, std::string> handles;
  std::map<std::string, int> used;
  for (const auto& tensor : plan.tensors)
    if (!handles.count(tensor.variable.get())) handles[tensor.variable.get()] = add_variable_handle(graph, *tensor.variable, used);
  if (!traced.signature_function.empty()) add_serving_call(graph, traced, handles);
  tfproto::NodeDef& noop = *graph.add_node();
  noop.set_name("NoOp");
  noop.set_op("NoOp");
  out.saver = add_saver(traced.functions, graph, plan, handles);
  *graph.mutable_library() = traced.functions.library();
  return out;
}

}  // namespace ksave::plugins::savedmodel
