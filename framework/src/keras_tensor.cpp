#include "ksave/keras_tensor.hpp"

#include "ksave/error.hpp"
#include "ksave/layer.hpp"
#include "input_layer.hpp"

namespace ksave {

KerasTensor::KerasTensor(std::shared_ptr<Node> node, int index, std::shared_ptr<Layer> owner)
    : node_(std::move(node)), index_(index), owner_(std::move(owner)) {
  if (!node_ || index_ < 0 || index_ >= static_cast<int>(node_->output_shapes.size()))
    throw Error("KerasTensor: output index " + std::to_string(index) + " does not exist");
}

const Shape& KerasTensor::shape() const {
  if (!node_) throw Error("KerasTensor is empty");
  return node_->output_shapes[static_cast<std::size_t>(index_)];
}

DType KerasTensor::dtype() const {
  if (!node_) throw Error("KerasTensor is empty");
  return node_->output_dtypes[static_cast<std::size_t>(index_)];
}

const std::shared_ptr<Layer>& KerasTensor::layer() const {
  if (!node_) throw Error("KerasTensor is empty");
  // Fix (ownership): a node a layer owns itself (an InputLayer's node, a model's node 0) refers
  // back to the layer without owning it, so returning node_->layer handed out a non-owning
  // pointer: `auto l = Input({784}).layer();` then dangled once the tensor was gone. The
  // tensor's owner is the same layer, owned.
  return owner_ ? owner_ : node_->layer;
}

KerasTensor Input(const Shape& shape, const std::string& name, DType dtype, std::optional<Dim> batch_size) {
  Shape batch_shape{batch_size.value_or(kUnknown)};
  batch_shape.insert(batch_shape.end(), shape.begin(), shape.end());
  Json config = {{"batch_input_shape", shape_to_json(batch_shape)},
                 {"dtype", std::string(dtype_name(dtype))},
                 {"sparse", false},
                 {"ragged", false}};
  if (!name.empty()) config["name"] = name;
  return detail::make_input_layer(config)->output();
}

}  // namespace ksave
