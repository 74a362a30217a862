#include "ksave/model.hpp"
#include "inference_chains.hpp"
#include "input_layer.hpp"
#include "ksave/serialization.hpp"
#include "serialization/unknown_classes.hpp"

namespace ksave {
namespace {

Json name_config(const std::string& name) {
  Json c = Json::object();
  if (!name.empty()) c["name"] = name;
  return c;
}

LayerPtr make_input_layer(const Shape& batch_shape, DType dtype, const std::string& name) {
  Json config = {{"batch_input_shape", shape_to_json(batch_shape)},
                 {"dtype", std::string(dtype_name(dtype))},
                 {"sparse", false},
                 {"ragged", false},
                 {"name", name}};
  return detail::make_input_layer(config);
}

// The input a first layer declares: its batch_input_shape, or the inputs of a nested model.
std::optional<KerasTensor> declared_input(const LayerPtr& layer) {
  if (auto shape = layer->batch_input_shape())
    return make_input_layer(*shape, layer->dtype(), layer->name() + "_input")->output();
  if (auto model = std::dynamic_pointer_cast<Model>(layer); model && model->inputs().size() == 1) {
    const KerasTensor& t = model->inputs()[0];
    return make_input_layer(t.shape(), t.dtype(), layer->name() + "_input")->output();
  }
  return std::nullopt;
}

}  // namespace

Sequential::Sequential(const std::vector<LayerPtr>& layers, const std::string& name)
    : Model(name_config(name), "Sequential") {
  for (const auto& l : layers) add(l);
}

void Sequential::add(const LayerPtr& layer) {
  if (!layer) throw Error("Sequential '" + name() + "': cannot add an empty layer");
  if (layers_.empty() && !input_layer_ && layer->class_name() == "InputLayer") {
    input_layer_ = layer;
    inputs_ = {layer->output()};
    outputs_ = inputs_;
    set_built(true);
    return;
  }
  for (const auto& l : layers_)
    if (l->name() == layer->name())
      throw Error("Sequential '" + name() + "': all layer names must be unique; '" + layer->name() + "' is used twice");
  if (layers_.empty() && !input_layer_)
    if (auto input = declared_input(layer)) {
      input_layer_ = input->layer();
      inputs_ = {*input};
      outputs_ = inputs_;
    }
  layers_.push_back(layer);
  track_layer(layer->name(), layer);
  find_chains();
  if (!outputs_.empty()) {
    KerasTensors out = (*layer)(outputs_);
    if (out.size() != 1)
      throw Error("Sequential '" + name() + "': layer '" + layer->name() + "' has " + std::to_string(out.size()) +
                  " outputs; every layer of a Sequential model must have one");
    outputs_ = out;
    set_built(true, std::vector<Shape>{inputs_.at(0).shape()});
  }
}

void Sequential::pop() {
  if (layers_.empty()) throw Error("Sequential '" + name() + "' has no layers to pop");
  layers_.pop_back();
  find_chains();
  untrack_layers();
  for (const auto& l : layers_) track_layer(l->name(), l);
  if (!inputs_.empty()) outputs_ = layers_.empty() ? inputs_ : layers_.back()->output_tensors(layers_.back()->inbound_nodes().size() - 1);
}

void Sequential::find_chains() {
  // Layer i reads slot i and writes slot i + 1; the model's output is the last slot.
  const int count = static_cast<int>(layers_.size());
  std::vector<int> slots(static_cast<std::size_t>(count) + 1);
  for (int i = 0; i <= count; ++i) slots[static_cast<std::size_t>(i)] = i;
  std::vector<GraphStep> steps;
  for (std::size_t i = 0; i < layers_.size(); ++i)
    steps.push_back({layers_[i].get(), std::span(slots).subspan(i, 1), std::span(slots).subspan(i + 1, 1), {}});
  inference_chains_ = find_inference_chains(steps, std::span(slots).last(1), count + 1);
}

void Sequential::build_impl(const std::vector<Shape>& input_shapes) {
  // Deferred build (no input declared): create the input from the first call's shape.
  if (!inputs_.empty() || input_shapes.size() != 1) return;
  Shape batch_shape = input_shapes[0];
  if (!batch_shape.empty()) batch_shape[0] = kUnknown;
  std::string first = layers_.empty() ? name() : layers_.front()->name();
  input_layer_ = make_input_layer(batch_shape, dtype(), first + "_input");
  inputs_ = {input_layer_->output()};
  outputs_ = inputs_;
  for (const auto& l : layers_) outputs_ = (*l)(outputs_);
}

Tensors Sequential::call(const Tensors& inputs, const CallContext& ctx) {
  if (inputs.size() != 1)
    throw Error("Sequential '" + name() + "' takes one input, was called with " + std::to_string(inputs.size()));
  if (layers_.empty()) return inputs;
  CallContext layer_ctx;
  layer_ctx.training = ctx.training;
  layer_ctx.masks = ctx.masks;
  // The first layer reads the caller's list itself: a copy would allocate on every call.
  const Tensors* x = &inputs;
  Tensors out;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    const LayerPtr& l = layers_[i];
    // A product with the normalization and activation after it, in one op at inference.
    if (inference_chains_ && x->size() == 1) {
      const Tensor no_mask;
      const Tensor& mask = layer_ctx.masks.empty() ? no_mask : layer_ctx.masks[0];
      if (std::optional<Tensor> y = inference_chains_->run(i, (*x)[0], mask, ctx.training)) {
        out = {std::move(*y)};
        x = &out;
        i = static_cast<std::size_t>(inference_chains_->chain_at[i]->output_slot) - 1;  // the chain's last layer
        continue;
      }
    }
    Tensors next = (*l)(*x, layer_ctx);
    // Masks flow as in a functional graph (Embedding(mask_zero) → LSTM).
    layer_ctx.masks = l->compute_mask(*x, layer_ctx.masks, next.size());
    out = std::move(next);
    x = &out;
  }
  return out;
}

std::vector<Shape> Sequential::compute_output_shape(const std::vector<Shape>& input_shapes) {
  if (!outputs_.empty()) return {outputs_[0].shape()};
  std::vector<Shape> shapes = input_shapes;
  for (const auto& l : layers_) shapes = l->output_shapes(shapes);
  return shapes;
}

Json Sequential::get_config() const {
  Json config = Json::object();
  config["name"] = name();
  Json layers = Json::array();
  if (input_layer_) layers.push_back(serialize(*input_layer_));
  for (const auto& l : layers_) layers.push_back(serialize(*l));
  config["layers"] = layers;
  return config;
}

std::shared_ptr<Sequential> Sequential::from_config(const Json& config) {
  if (!config.is_object() || !config.contains("layers") || !config["layers"].is_array())
    throw Error("Sequential config must hold a 'layers' list, found " + config.dump().substr(0, 200));
  auto model = std::make_shared<Sequential>(std::vector<LayerPtr>{}, config.value("name", std::string()));
  for (const auto& entry : config["layers"]) model->add(layer_from_entry(entry));
  if (config.contains("build_input_shape") && !config["build_input_shape"].is_null() && !model->built())
    model->build(shape_from_json(config["build_input_shape"], "Sequential '" + model->name() + "' build_input_shape"));
  return model;
}

}  // namespace ksave
