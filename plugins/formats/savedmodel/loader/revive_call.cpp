#include "revive_call.hpp"

#include "ksave/error.hpp"

namespace ksave::plugins::savedmodel {
namespace fs = std::filesystem;
namespace {

// The `training` keyword baked into a canonicalized input signature ((args), {kwargs}).
std::optional<bool> baked_training_flag(const tfproto::StructuredValue& signature) {
  if (!signature.has_tuple_value()) return std::nullopt;
  for (const auto& part : signature.tuple_value().values()) {
    if (!part.has_dict_value()) continue;
    auto it = part.dict_value().fields().find("training");
    if (it != part.dict_value().fields().end() && it->second.kind_case() == tfproto::StructuredValue::kBoolValue)
      return it->second.bool_value();
  }
  return std::nullopt;
}

std::size_t first_output_count(const tfproto::StructuredValue& output, const std::string& where) {
  if (output.has_tuple_value() && output.tuple_value().values_size() > 0)
    return flatten_tensor_specs(output.tuple_value().values(0), where).size();
  return flatten_tensor_specs(output, where).size();
}

bool has_training_argument(const tfproto::FunctionSpec& spec) {
  for (const auto& pair : spec.fullargspec().named_tuple_value().values()) {
    if (pair.key() != "args") continue;
    for (const auto& arg : pair.value().list_value().values())
      if (arg.string_value() == "training") return true;
  }
  return false;
}

bool matches(const std::vector<FlatSpec>& specs, const Tensors& inputs) {
  if (specs.size() != inputs.size()) return false;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    if (specs[i].spec.dtype != inputs[i].dtype()) return false;
    if (specs[i].spec.shape && !shapes_compatible(*specs[i].spec.shape, inputs[i].shape())) return false;
  }
  return true;
}

}  // namespace

std::shared_ptr<SavedModelGraph> SavedModelGraph::open(std::shared_ptr<const tfproto::SavedModel> saved_model,
                                                       const tfproto::MetaGraphDef& meta_graph, const fs::path& directory) {
  auto graph = std::make_shared<SavedModelGraph>();
  graph->saved_model = std::move(saved_model);
  graph->meta_graph = &meta_graph;
  graph->library = std::make_unique<FunctionLibrary>(nullptr, meta_graph.graph_def().library());
  graph->directory = directory;
  if (meta_graph.has_object_graph_def()) graph->variables = std::make_unique<SavedVariables>(meta_graph.object_graph_def(), directory);
  return graph;
}

TracedCall::TracedCall(std::shared_ptr<SavedModelGraph> graph, int node, const std::vector<std::vector<std::string>>& candidate_paths,
                       std::string where)
    : graph_(std::move(graph)), where_(std::move(where)) {
  const auto& objects = graph_->objects();
  int function = -1;
  for (const auto& path : candidate_paths) {
    int at = node;
    for (const auto& name : path) at = saved_child(objects, at, name);
    if (at >= 0 && saved_node(objects, at, where_).has_function()) {
      function = at;
      break;
    }
  }
  if (function < 0) throw Error(where_ + " has no traced call function in the SavedModel (saved with save_traces=False?)");
  takes_training_ = has_training_argument(objects.nodes(function).function().function_spec());
  for (const auto& name : objects.nodes(function).function().concrete_functions()) {
    auto it = objects.concrete_functions().find(name);
    if (it == objects.concrete_functions().end()) throw Error(where_ + ": concrete function '" + name + "' is not described in the object graph");
    if (!graph_->library->find(name)) throw Error(where_ + ": function '" + name + "' is missing from the function library");
    const std::string at = where_ + " function '" + name + "'";
    concretes_.push_back({name, &it->second, flatten_tensor_specs(it->second.canonicalized_input_signature(), at),
                          baked_training_flag(it->second.canonicalized_input_signature()),
                          first_output_count(it->second.output_signature(), at)});
  }
  if (concretes_.empty()) throw Error(where_ + ": its traced call function has no concrete functions");
  std::vector<std::string> names;
  for (const auto& c : concretes_) names.push_back(c.name);
  if (std::string problem = graph_->library->unsupported_ops(names); !problem.empty()) throw Error(where_ + ": " + problem);
}

const TracedCall::Concrete& TracedCall::choose(const Tensors& inputs, bool training) const {
  const Concrete* fallback = nullptr;
  for (const auto& c : concretes_) {
    if (!matches(c.inputs, inputs)) continue;
    if (!c.training || *c.training == training) return c;
    if (!fallback) fallback = &c;
  }
  if (fallback) return *fallback;
  std::string given, traced;
  for (const auto& t : inputs) given += (given.empty() ? "" : ", ") + std::string(dtype_name(t.dtype())) + " " + shape_to_string(t.shape());
  for (const auto& c : concretes_) {
    std::string one;
    for (const auto& s : c.inputs)
      one += (one.empty() ? "" : ", ") + std::string(dtype_name(s.spec.dtype)) + " " + (s.spec.shape ? shape_to_string(*s.spec.shape) : "(any)");
    traced += " [" + one + "]";
  }
  throw Error(where_ + ": no traced function takes inputs [" + given + "]; traced for:" + traced);
}

const std::vector<FlatSpec>& TracedCall::inference_inputs() const {
  for (const auto& c : concretes_)
    if (!c.training || !*c.training) return c.inputs;
  return concretes_.front().inputs;
}

Tensors TracedCall::operator()(const Tensors& inputs, bool training, const CaptureResolver& captures) const {
  const Concrete& c = choose(inputs, training);
  GraphValues args;
  for (const auto& t : inputs) args.push_back(tensor_value(t));
  for (int id : c.spec->bound_inputs()) args.push_back(captures(id));
  GraphValues results = graph_->library->call(c.name, std::move(args));
  if (results.size() < c.output_count)
    throw Error(where_ + ": function '" + c.name + "' returned " + std::to_string(results.size()) + " values, expected at least " +
                std::to_string(c.output_count));
  Tensors outputs;
  for (std::size_t i = 0; i < c.output_count; ++i) outputs.push_back(results[i].tensor);
  return outputs;
}

}  // namespace ksave::plugins::savedmodel
