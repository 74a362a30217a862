#include "converter.hpp"

namespace ksave::plugins::onnx_export {

const Value& Conversion::input(std::size_t i) const {
  if (i >= call.inputs.size())
    throw Error(describe() + " needs at least " + std::to_string(i + 1) + " inputs, found " +
                std::to_string(call.inputs.size()));
  return call.inputs[i];
}

std::vector<Value> never_converted(Conversion& c) { throw Error(c.describe() + ": has no ONNX form"); }

std::string Conversion::describe() const { return "layer '" + layer().name() + "' (" + layer().class_name() + ")"; }

namespace {

// "dense/kernel:0" → "dense/kernel".
std::string initializer_name(const Variable& v) {
  const std::string& name = v.name();
  return name.ends_with(":0") ? name.substr(0, name.size() - 2) : name;
}

}  // namespace

VariablePtr find_layer_weight(const Layer& layer, const std::string& attribute) {
  for (const auto& [name, variable] : layer.own_variables())
    if (name == attribute) return variable;
  for (const auto& [name, sublayer] : layer.tracked_layers())
    if (VariablePtr found = find_layer_weight(*sublayer, attribute)) return found;
  return nullptr;
}

VariablePtr Conversion::find_weight(const std::string& attribute) const { return find_layer_weight(layer(), attribute); }

VariablePtr Conversion::weight(const std::string& attribute) const {
  VariablePtr found = find_weight(attribute);
  if (!found) throw Error(describe() + " has no weight '" + attribute + "' (is it built?)");
  return found;
}

std::string Conversion::weight_value(const VariablePtr& weight) {
  return weight_value(weight, "", [](const Tensor& t) { return t; });
}

std::string Conversion::weight_value(const VariablePtr& weight, const std::string& tag,
                                     const std::function<Tensor(const Tensor&)>& form) {
  const std::string hint = initializer_name(*weight) + (tag.empty() ? "" : "/" + tag);
  return onnx.graph().weight(weight.get(), tag, hint, [&] { return form(weight->value().as_float()).as_float(); });
}

Value Conversion::output(const std::string& name, std::size_t index, const Perm& perm) const {
  Value v;
  v.name = name;
  v.shape = call.output_shapes.at(index);
  v.dtype = index < call.output_dtypes.size() ? call.output_dtypes[index] : DType::Float32;
  v.perm = is_identity(perm) ? Perm{} : perm;
  return v;
}

std::vector<Value> Conversion::convert_inner(const Layer& inner, std::vector<Value> inputs,
                                             std::vector<Shape> output_shapes, const std::string& scope) const {
  LayerCall c;
  c.layer = &inner;
  c.config = inner.get_config();
  c.inputs = std::move(inputs);
  c.output_dtypes.assign(output_shapes.size(), DType::Float32);
  c.output_shapes = std::move(output_shapes);
  c.scope = scope;
  return inner_(c);
}

const ConverterTable& converters() {
  static const ConverterTable table = [] {
    ConverterTable t;
    add_core_converters(t);
    add_conv_converters(t);
    add_locally_connected_converters(t);
    add_spectrogram_converters(t);
    add_pooling_converters(t);
    add_normalization_converters(t);
    add_reshaping_converters(t);
    add_merge_converters(t);
    add_recurrent_converters(t);
    add_conv_lstm_converters(t);
    add_attention_converters(t);
    add_wrapper_converters(t);
    add_tf_op_converters(t);
    add_preprocessing_converters(t);
    add_clahe_converter(t);
    return t;
  }();
  return table;
}

}  // namespace ksave::plugins::onnx_export
