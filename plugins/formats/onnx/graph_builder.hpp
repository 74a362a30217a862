// Building one ONNX graph: nodes in the order they are added (callers add a node after the nodes
// of its inputs, so the graph is topologically sorted), initializers, graph inputs and outputs,
// unique names. A subgraph (the body of a Scan) has its own nodes and inputs but shares the root
// graph's names and initializers: ONNX lets a body read values of the graph around it, and names
// must be unique across both.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "ksave/shape.hpp"
#include "ksave/tensor.hpp"
#include "tensor_proto.hpp"

namespace ksave::plugins::onnx_export {

using Attributes = std::vector<proto::AttributeProto>;

proto::AttributeProto int_attr(const std::string& name, std::int64_t value);
proto::AttributeProto float_attr(const std::string& name, double value);
proto::AttributeProto string_attr(const std::string& name, const std::string& value);
proto::AttributeProto ints_attr(const std::string& name, const std::vector<std::int64_t>& values);
proto::AttributeProto floats_attr(const std::string& name, const std::vector<float>& values);
proto::AttributeProto strings_attr(const std::string& name, const std::vector<std::string>& values);
proto::AttributeProto tensor_attr(const std::string& name, const Tensor& value);
proto::AttributeProto graph_attr(const std::string& name, proto::GraphProto graph);

// The name ONNX files give the dynamic batch dimension of inputs and outputs.
inline constexpr const char* kBatchDim = "batch";

class GraphBuilder {
 public:
  // The root graph of a model, for `opset` (ai.onnx).
  GraphBuilder(proto::GraphProto& graph, int opset);
  // A subgraph inside `parent`'s root graph.
  GraphBuilder(proto::GraphProto& graph, GraphBuilder& parent);
  GraphBuilder(const GraphBuilder&) = delete;
  GraphBuilder& operator=(const GraphBuilder&) = delete;

  int opset() const { return root_->opset_; }
  // A name no value or node has yet, made from `hint` ("dense/MatMul", "dense/MatMul_1", ...).
  std::string unique_name(const std::string& hint);

  // Adds a node of `op` with `outputs` fresh outputs named from `hint`; returns their names. An
  // empty input name is ONNX's "input left out".
  std::vector<std::string> add_node(const std::string& op, const std::vector<std::string>& inputs, std::size_t outputs,
                                    Attributes attributes, const std::string& hint);
  // The same with outputs of given names (graph outputs), which must be free.
  void add_node_with_outputs(const std::string& op, const std::vector<std::string>& inputs,
                             const std::vector<std::string>& outputs, Attributes attributes, const std::string& hint);
  std::string add(const std::string& op, const std::vector<std::string>& inputs, Attributes attributes,
                  const std::string& hint) {
    return add_node(op, inputs, 1, std::move(attributes), hint).front();
  }
  // A node of an operator set other than ai.onnx (`domain` "ai.onnx.ml" at `version`), which the
  // model then imports.
  std::string add_in_domain(const std::string& domain, int version, const std::string& op, const std::vector<std::string>& inputs,
                            Attributes attributes, const std::string& hint);
  // The operator sets besides ai.onnx that nodes use, with their versions.
  const std::map<std::string, int>& other_domains() const { return root_->other_domains_; }

  // An initializer made once per (owner, tag): a weight in the form ONNX needs (transposed,
  // reordered), shared by every use of the same weight (shared layers, a nested model called
  // twice). `make` runs on the first request only.
  std::string weight(const void* owner, const std::string& tag, const std::string& hint,
                     const std::function<Tensor()>& make);
  // Constants, one initializer per distinct value.
  std::string ints(const std::vector<std::int64_t>& values);  // 1-D int64
  std::string scalar(float value);                             // float32 of shape ()
  std::string constant(const Tensor& value, const std::string& hint);

  // Graph inputs and outputs, typed. The first dimension of a shape is the batch, written as the
  // symbolic `batch` whatever Keras declared (every converter is batch-agnostic), or, with
  // `batch_param` false, as Keras has it; other unknown dimensions are left unnamed.
  void add_input(const std::string& name, DType dtype, const Shape& shape, bool batch_param = true);
  void add_output(const std::string& name, DType dtype, const Shape& shape, bool batch_param = true);

  std::size_t initializer_bytes() const { return root_->initializer_bytes_; }

 private:
  std::string add_initializer(proto::TensorProto tensor);

  proto::GraphProto& graph_;
  GraphBuilder* root_;
  int opset_ = 0;
  std::set<std::string> used_names_;                 // root only
  std::map<std::string, int> next_suffix_;           // root only: hint → last suffix given
  std::map<std::string, std::string> constants_;     // root only: value key → initializer
  std::map<std::pair<const void*, std::string>, std::string> weights_;  // root only
  std::size_t initializer_bytes_ = 0;
  std::map<std::string, int> other_domains_;        // root only
  std::size_t batched_inputs_ = 0;  // graph inputs given a symbolic batch dimension so far
};

// The ValueInfo of a typed tensor.
proto::ValueInfoProto value_info(const std::string& name, DType dtype, const Shape& shape, bool batch_param,
                                 const std::string& batch_name = kBatchDim);

}  // namespace ksave::plugins::onnx_export
