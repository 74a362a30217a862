#include "ksave/model.hpp"

#include <sstream>

#include "concat_outputs.hpp"
#include "ksave/optimizer.hpp"
#include "ksave/registry.hpp"
#include "ksave/serialization.hpp"

namespace ksave {

Model::Model(const Json& config, const std::string& class_name) : Layer(config, class_name) {}

std::vector<LayerPtr> Model::layers() const {
  std::vector<LayerPtr> out;
  for (const auto& [_, l] : tracked_layers()) out.push_back(l);
  return out;
}

LayerPtr Model::get_layer(const std::string& name) const {
  std::string known;
  for (const auto& l : layers()) {
    if (l->name() == name) return l;
    known += (known.empty() ? "" : ", ") + l->name();
  }
  throw Error("model '" + this->name() + "' has no layer named '" + name + "' (its layers: " + known + ")");
}

LayerPtr Model::get_layer(int index) const {
  auto all = layers();
  int n = static_cast<int>(all.size());
  int i = index < 0 ? index + n : index;
  if (i < 0 || i >= n)
    throw Error("model '" + name() + "' has " + std::to_string(n) + " layers; index " + std::to_string(index) +
                " is out of range");
  return all[static_cast<std::size_t>(i)];
}

const KerasTensors& Model::inputs() const {
  static const KerasTensors none;
  return none;
}

const KerasTensors& Model::outputs() const {
  static const KerasTensors none;
  return none;
}

std::vector<std::string> Model::input_names() const {
  std::vector<std::string> out;
  for (const auto& t : inputs()) out.push_back(t.layer()->name());
  return out;
}

std::vector<std::string> Model::output_names() const {
  std::vector<std::string> out;
  for (const auto& t : outputs()) out.push_back(t.layer()->name());
  return out;
}

Tensors Model::call(const Tensors&, const CallContext&) {
  throw Error("model '" + name() + "' is a subclassed Model without a call(); override Model::call");
}

std::vector<Shape> Model::compute_output_shape(const std::vector<Shape>& input_shapes) {
  return Layer::compute_output_shape(input_shapes);
}

Tensors Model::predict_on_batch(const Tensors& inputs) {
  const KerasTensors& declared = this->inputs();
  if (!declared.empty() && inputs.size() != declared.size())
    throw Error("model '" + name() + "' has " + std::to_string(declared.size()) + " inputs, predict was given " +
                std::to_string(inputs.size()));
  bool needs_cast = false;
  for (std::size_t i = 0; i < declared.size(); ++i) {
    const Shape& want = declared[i].shape();
    if (!shapes_compatible(want, inputs[i].shape()))
      throw Error("model '" + name() + "': input '" + declared[i].layer()->name() + "' expects shape " +
                  shape_to_string(want) + ", found " + shape_to_string(inputs[i].shape()));
    needs_cast = needs_cast || inputs[i].dtype() != declared[i].dtype();
  }
  // The caller's list as it is when no cast is needed: a copy would allocate on every call.
  if (!needs_cast) return (*this)(inputs, CallContext{});
  Tensors prepared = inputs;
  // Keras casts inputs to the dtype of their Input layer (uint16 ids, float64 arrays, ...).
  for (std::size_t i = 0; i < declared.size(); ++i)
    if (prepared[i].dtype() != declared[i].dtype()) prepared[i] = prepared[i].cast(declared[i].dtype());
  return (*this)(prepared, CallContext{});
}

Tensors Model::predict(const Tensors& inputs, std::int64_t batch_size) {
  if (inputs.empty()) throw Error("predict on model '" + name() + "' was given no inputs");
  if (batch_size <= 0) throw UsageError("predict: batch_size must be positive, got " + std::to_string(batch_size));
  for (const auto& t : inputs)
    if (t.rank() == 0) throw Error("predict on model '" + name() + "': inputs need a batch dimension");
  Dim rows = inputs[0].shape()[0];
  for (std::size_t i = 1; i < inputs.size(); ++i)
    if (inputs[i].shape()[0] != rows)
      throw Error("predict on model '" + name() + "': input " + std::to_string(i) + " has " +
                  std::to_string(inputs[i].shape()[0]) + " rows, input 0 has " + std::to_string(rows));
  if (rows <= batch_size) return predict_on_batch(inputs);
  std::vector<Tensors> parts;
  for (Dim begin = 0; begin < rows; begin += batch_size) {
    Dim end = std::min<Dim>(rows, begin + batch_size);
    Tensors batch;
    for (const auto& t : inputs) batch.push_back(t.slice_rows(begin, end));
    parts.push_back(predict_on_batch(batch));
  }
  return detail::concat_outputs(parts);
}

Tensor Model::predict(const Tensor& input, std::int64_t batch_size) {
  Tensors out = predict(Tensors{input}, batch_size);
  if (out.size() != 1)
    throw Error("model '" + name() + "' has " + std::to_string(out.size()) + " outputs; use the list form of predict");
  return out[0];
}

std::string Model::summary() const {
  std::ostringstream out;
  summary(out);
  return out.str();
}

std::string Model::to_json(int indent) const {
  // The model itself is written as {"class_name", "config"}, its layers as serialize() writes them.
  Json j = Json::object();
  j["class_name"] = Registry::global().registered_name_for(Kind::Layer, class_name());
  j["config"] = get_config();
  j["keras_version"] = kKerasVersion;
  j["backend"] = kBackend;
  return j.dump(indent);
}

void Model::create_own_nodes() {
  if (inputs().empty()) return;
  std::vector<Shape> shapes;
  std::vector<DType> dtypes;
  for (const auto& t : outputs()) {
    shapes.push_back(t.shape());
    dtypes.push_back(t.dtype());
  }
  add_own_node(inputs(), shapes, dtypes);
}

KerasTensors Model::input_tensors(std::size_t node_index) const {
  if (node_index == 0 && !inputs().empty()) return inputs();
  return Layer::input_tensors(node_index);
}

KerasTensors Model::output_tensors(std::size_t node_index) const {
  if (node_index == 0 && !outputs().empty()) return outputs();
  return Layer::output_tensors(node_index);
}

std::vector<TrackableChild> Model::trackable_children() const {
  // tf.keras tracks a model's layers as "layer-N" and, for those with weights,
  // "layer_with_weights-N"; subclassed models track them by attribute name.
  std::vector<TrackableChild> out;
  if (!inputs().empty()) {
    int index = 0, with_weights = 0;
    for (const auto& l : layers()) {
      out.push_back({"layer-" + std::to_string(index++), l});
      if (!l->weights().empty()) out.push_back({"layer_with_weights-" + std::to_string(with_weights++), l});
    }
    for (const auto& [name, v] : own_variables()) out.push_back({name, v});
  } else {
    out = Layer::trackable_children();
  }
  if (optimizer_) out.push_back({"optimizer", optimizer_});
  return out;
}

}  // namespace ksave
