// Converters: how each Keras layer class becomes ONNX operators. A converter reads the layer's
// config and weights through the public Layer interface (as any third party could) and writes
// operators through an Emitter. The table of converters is keyed by Keras class name.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "emitter.hpp"
#include "ksave/layer.hpp"

namespace ksave::plugins::onnx_export {

// One call of a layer in the model's graph.
struct LayerCall {
  const Layer* layer = nullptr;
  Json config;                       // layer->get_config()
  std::vector<Value> inputs;
  std::vector<Shape> output_shapes;  // Keras shapes of the call's outputs
  std::vector<DType> output_dtypes;
  std::string scope;                 // names of what it writes start with this ("model/dense_1")
  // The node's call arguments as the graph recorded them (Node::call_kwargs): a TFOpLambda's
  // meaning is there, and MultiHeadAttention's value/key tensors.
  Json call_kwargs = Json::object();
};

// The weight `layer` holds under `attribute` ("kernel"), itself or in its sublayers (an RNN's
// cell), depth first; null when it has none.
VariablePtr find_layer_weight(const Layer& layer, const std::string& attribute);

class Conversion {
 public:
  using InnerConverter = std::function<std::vector<Value>(const LayerCall&)>;
  Conversion(Emitter& onnx, const LayerCall& call, InnerConverter inner)
      : onnx(onnx), call(call), inner_(std::move(inner)) {}

  Emitter& onnx;
  const LayerCall& call;

  const Layer& layer() const { return *call.layer; }
  const Json& config() const { return call.config; }
  const Value& input(std::size_t i = 0) const;
  // "layer 'dense' (Dense)", for errors.
  std::string describe() const;
  // A name hint under the call's scope.
  std::string hint(const std::string& what = "") const { return what.empty() ? call.scope : call.scope + "/" + what; }
  // The layer's weight held under `attribute` ("kernel"), in the layer or its sublayers (an RNN's
  // cell); throws naming the layer when it has none. `find_weight` returns null instead.
  VariablePtr weight(const std::string& attribute) const;
  VariablePtr find_weight(const std::string& attribute) const;
  // The initializer of a weight, as float32, exactly as the layer holds it.
  std::string weight_value(const VariablePtr& weight);
  // The initializer of a weight in another form (`tag` names the form: "OIHW"), made once.
  std::string weight_value(const VariablePtr& weight, const std::string& tag, const std::function<Tensor(const Tensor&)>& form);
  // Output `index` of the call held in `name`, laid out as `perm`.
  Value output(const std::string& name, std::size_t index = 0, const Perm& perm = {}) const;
  // Converts a wrapped layer (TimeDistributed, Bidirectional) called on `inputs`.
  std::vector<Value> convert_inner(const Layer& inner, std::vector<Value> inputs, std::vector<Shape> output_shapes,
                                   const std::string& scope) const;

 private:
  InnerConverter inner_;
};

struct Converter {
  std::function<std::vector<Value>(Conversion&)> convert;
  // Why this layer, as configured, has no ONNX form (empty when it has one). Asked of every
  // layer before anything is written, so that one error lists every layer that cannot map.
  std::function<std::string(const Layer&, const Json& config)> unsupported;
  // Its tracked sublayers are checked too (wrappers).
  bool wraps_layers = false;
};

using ConverterTable = std::map<std::string, Converter>;

// The `convert` of a class whose `unsupported` always gives a reason (never reached: the reason
// is reported first).
std::vector<Value> never_converted(Conversion& c);

// Every converter, built once.
const ConverterTable& converters();

// Each family adds its converters (converter_*.cpp).
void add_core_converters(ConverterTable& table);
void add_conv_converters(ConverterTable& table);
void add_multi_head_attention_converter(ConverterTable& table);
void add_locally_connected_converters(ConverterTable& table);
void add_spectrogram_converters(ConverterTable& table);
void add_pooling_converters(ConverterTable& table);
void add_normalization_converters(ConverterTable& table);
void add_reshaping_converters(ConverterTable& table);
void add_merge_converters(ConverterTable& table);
void add_recurrent_converters(ConverterTable& table);
void add_conv_lstm_converters(ConverterTable& table);
void add_attention_converters(ConverterTable& table);
void add_wrapper_converters(ConverterTable& table);
void add_tf_op_converters(ConverterTable& table);
void add_preprocessing_converters(ConverterTable& table);
void add_clahe_converter(ConverterTable& table);

}  // namespace ksave::plugins::onnx_export
