// Symbolic tensors: the edges of a functional graph. Calling a layer on KerasTensors records a
// Node (the layer, its inbound tensors, its call arguments) instead of computing numbers.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ksave/dtype.hpp"
#include "ksave/json.hpp"
#include "ksave/shape.hpp"

namespace ksave {

class Layer;
struct Node;

class KerasTensor {
 public:
  KerasTensor() = default;
  // `owner` keeps the producing layer alive for nodes the layer owns itself (an InputLayer's
  // node, a model's node 0), whose back-reference to the layer does not own it.
  KerasTensor(std::shared_ptr<Node> node, int index, std::shared_ptr<Layer> owner = nullptr);

  bool defined() const { return node_ != nullptr; }
  const Shape& shape() const;  // kUnknown for None dimensions
  DType dtype() const;
  // The layer whose call produced this tensor, and which of its calls and outputs it is.
  const std::shared_ptr<Layer>& layer() const;
  const std::shared_ptr<Node>& node() const { return node_; }
  int index() const { return index_; }
  bool operator==(const KerasTensor& other) const {
    return node_ == other.node_ && index_ == other.index_;
  }

 private:
  std::shared_ptr<Node> node_;
  int index_ = 0;
  std::shared_ptr<Layer> owner_;
};

using KerasTensors = std::vector<KerasTensor>;

// One call of a layer in a graph.
struct Node {
  std::shared_ptr<Layer> layer;
  KerasTensors inputs;  // empty for an InputLayer's own node
  Json call_kwargs = Json::object();  // keyword arguments of the call, as in "inbound_nodes"
  std::vector<Shape> output_shapes;
  std::vector<DType> output_dtypes;
};

// keras.Input: a symbolic input of `shape` (without the batch dimension).
KerasTensor Input(const Shape& shape, const std::string& name = "", DType dtype = DType::Float32,
                  std::optional<Dim> batch_size = std::nullopt);

}  // namespace ksave
