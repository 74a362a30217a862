#include "graph_builder.hpp"

#include <algorithm>
#include <cstring>

namespace ksave::plugins::onnx_export {

namespace {

proto::AttributeProto named(const std::string& name, proto::AttributeProto::AttributeType type) {
  proto::AttributeProto a;
  a.set_name(name);
  a.set_type(type);
  return a;
}

// A key that identifies a constant's dtype, shape and bytes.
std::string constant_key(const Tensor& value) {
  std::string key = std::string(dtype_name(value.dtype())) + shape_to_string(value.shape());
  key.append(static_cast<const char*>(value.raw_data()), value.nbytes());
  return key;
}

}  // namespace

proto::AttributeProto int_attr(const std::string& name, std::int64_t value) {
  auto a = named(name, proto::AttributeProto::INT);
  a.set_i(value);
  return a;
}

proto::AttributeProto float_attr(const std::string& name, double value) {
  auto a = named(name, proto::AttributeProto::FLOAT);
  a.set_f(static_cast<float>(value));
  return a;
}

proto::AttributeProto string_attr(const std::string& name, const std::string& value) {
  auto a = named(name, proto::AttributeProto::STRING);
  a.set_s(value);
  return a;
}

proto::AttributeProto ints_attr(const std::string& name, const std::vector<std::int64_t>& values) {
  auto a = named(name, proto::AttributeProto::INTS);
  for (auto v : values) a.add_ints(v);
  return a;
}

proto::AttributeProto floats_attr(const std::string& name, const std::vector<float>& values) {
  auto a = named(name, proto::AttributeProto::FLOATS);
  for (auto v : values) a.add_floats(v);
  return a;
}

proto::AttributeProto strings_attr(const std::string& name, const std::vector<std::string>& values) {
  auto a = named(name, proto::AttributeProto::STRINGS);
  for (const auto& v : values) a.add_strings(v);
  return a;
}

proto::AttributeProto tensor_attr(const std::string& name, const Tensor& value) {
  auto a = named(name, proto::AttributeProto::TENSOR);
  *a.mutable_t() = to_tensor_proto(value, "");
  a.mutable_t()->clear_name();
  return a;
}

proto::AttributeProto graph_attr(const std::string& name, proto::GraphProto graph) {
  auto a = named(name, proto::AttributeProto::GRAPH);
  *a.mutable_g() = std::move(graph);
  return a;
}

proto::ValueInfoProto value_info(const std::string& name, DType dtype, const Shape& shape, bool batch_param,
                                 const std::string& batch_name) {
  proto::ValueInfoProto info;
  info.set_name(name);
  auto* tensor = info.mutable_type()->mutable_tensor_type();
  // Strings are only ever graph inputs and outputs (a lookup's), never initializers: their
  // element type is here rather than in onnx_type, which tensor data is written by.
  tensor->set_elem_type(dtype == DType::String ? proto::TensorProto::STRING : onnx_type(dtype));
  auto* dims = tensor->mutable_shape();
  for (std::size_t i = 0; i < shape.size(); ++i) {
    auto* dim = dims->add_dim();
    if (i == 0 && batch_param) dim->set_dim_param(batch_name);
    else if (shape[i] >= 0) dim->set_dim_value(shape[i]);
  }
  return info;
}

GraphBuilder::GraphBuilder(proto::GraphProto& graph, int opset) : graph_(graph), root_(this), opset_(opset) {}

GraphBuilder::GraphBuilder(proto::GraphProto& graph, GraphBuilder& parent) : graph_(graph), root_(parent.root_) {}

std::string GraphBuilder::unique_name(const std::string& hint) {
  const std::string base = hint.empty() ? std::string("value") : hint;
  if (root_->used_names_.insert(base).second) return base;
  int& suffix = root_->next_suffix_[base];
  std::string name;
  do {
    name = base + "_" + std::to_string(++suffix);
  } while (!root_->used_names_.insert(name).second);
  return name;
}

std::vector<std::string> GraphBuilder::add_node(const std::string& op, const std::vector<std::string>& inputs,
                                                std::size_t outputs, Attributes attributes, const std::string& hint) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < outputs; ++i) {
    // Built by appending (GCC 12 reports a false -Wrestrict on ":" + std::string temporaries).
    std::string name = hint;
    name.append("/").append(op);
    if (outputs > 1) name.append(":").append(std::to_string(i));
    names.push_back(unique_name(name));
  }
  add_node_with_outputs(op, inputs, names, std::move(attributes), hint);
  return names;
}

void GraphBuilder::add_node_with_outputs(const std::string& op, const std::vector<std::string>& inputs,
                                         const std::vector<std::string>& outputs, Attributes attributes,
                                         const std::string& hint) {
  proto::NodeProto* node = graph_.add_node();
  node->set_op_type(op);
  node->set_name(unique_name(hint + "/" + op + "_node"));
  for (const auto& input : inputs) node->add_input(input);
  for (const auto& output : outputs) node->add_output(output);
  for (auto& a : attributes) *node->add_attribute() = std::move(a);
}

std::string GraphBuilder::add_in_domain(const std::string& domain, int version, const std::string& op,
                                        const std::vector<std::string>& inputs, Attributes attributes, const std::string& hint) {
  const std::string output = add(op, inputs, std::move(attributes), hint);
  graph_.mutable_node(graph_.node_size() - 1)->set_domain(domain);
  int& imported = root_->other_domains_[domain];
  imported = std::max(imported, version);
  return output;
}

std::string GraphBuilder::add_initializer(proto::TensorProto tensor) {
  root_->initializer_bytes_ += tensor.raw_data().size();
  const std::string name = tensor.name();
  *root_->graph_.add_initializer() = std::move(tensor);
  return name;
}

std::string GraphBuilder::weight(const void* owner, const std::string& tag, const std::string& hint,
                                 const std::function<Tensor()>& make) {
  auto& cache = root_->weights_;
  const auto key = std::make_pair(owner, tag);
  if (auto found = cache.find(key); found != cache.end()) return found->second;
  const std::string name = add_initializer(to_tensor_proto(make(), unique_name(hint)));
  cache.emplace(key, name);
  return name;
}

std::string GraphBuilder::constant(const Tensor& value, const std::string& hint) {
  auto& cache = root_->constants_;
  std::string key = constant_key(value);
  if (auto found = cache.find(key); found != cache.end()) return found->second;
  const std::string name = add_initializer(to_tensor_proto(value, unique_name(hint)));
  cache.emplace(std::move(key), name);
  return name;
}

std::string GraphBuilder::ints(const std::vector<std::int64_t>& values) {
  return constant(Tensor::from_vector(values, {static_cast<Dim>(values.size())}), "const_ints");
}

std::string GraphBuilder::scalar(float value) { return constant(Tensor::scalar(value), "const_float"); }

void GraphBuilder::add_input(const std::string& name, DType dtype, const Shape& shape, bool batch_param) {
  // The second and later inputs get batch dimensions named apart ("batch_2", ...): ONNX Runtime
  // 1.32 ran a two-input model (the interop suite's attention) 7% slower per call when both
  // inputs' batch dimensions shared one name, with the same graph otherwise.
  const std::string batch_name = batch_param && batched_inputs_++ > 0 ? std::string(kBatchDim) + "_" + std::to_string(batched_inputs_) : kBatchDim;
  *graph_.add_input() = value_info(name, dtype, shape, batch_param, batch_name);
}

void GraphBuilder::add_output(const std::string& name, DType dtype, const Shape& shape, bool batch_param) {
  *graph_.add_output() = value_info(name, dtype, shape, batch_param);
}

}  // namespace ksave::plugins::onnx_export
