// Reading a recurrent cell's configuration and weights, and the choice between the two forms.
#include "activations.hpp"
#include "recurrent.hpp"

namespace ksave::plugins::onnx_export {

CellKind cell_kind(const std::string& class_name) {
  if (class_name == "SimpleRNN" || class_name == "SimpleRNNCell") return CellKind::SimpleRNN;
  if (class_name == "LSTM" || class_name == "LSTMCell") return CellKind::LSTM;
  if (class_name == "GRU" || class_name == "GRUCell") return CellKind::GRU;
  throw Error("'" + class_name + "' is not a recurrent layer ONNX export knows");
}

CellSpec read_cell(const Layer& layer, const Json& config) {
  // RNN around a built-in cell runs as the fused layer of that cell (its flags are the RNN's).
  if (layer.class_name() == "RNN") {
    const Layer& inner = rnn_cell(layer);
    return read_cell(inner, inner.get_config());
  }
  CellSpec cell;
  cell.kind = cell_kind(layer.class_name());
  cell.units = config.at("units").get<std::int64_t>();
  cell.activation = activation_name(config.value("activation", Json("tanh")));
  cell.recurrent_activation = activation_name(config.value("recurrent_activation", Json("sigmoid")));
  cell.reset_after = config.value("reset_after", false);
  cell.kernel = find_layer_weight(layer, "kernel");
  cell.recurrent_kernel = find_layer_weight(layer, "recurrent_kernel");
  if (config.value("use_bias", true)) cell.bias = find_layer_weight(layer, "bias");
  if (!cell.kernel || !cell.recurrent_kernel)
    throw Error("layer '" + layer.name() + "' (" + layer.class_name() + ") has no weights yet (it was never built)");
  return cell;
}

const Layer& rnn_cell(const Layer& rnn) {
  for (const auto& [attribute, cell] : rnn.tracked_layers())
    if (attribute == "cell") return *cell;
  throw Error("layer '" + rnn.name() + "' (" + rnn.class_name() + ") has no cell");
}

std::vector<DirectionResult> run_recurrent(Conversion& c, const Value& x, const std::vector<Direction>& directions,
                                           const std::string& mask, const Shape& sequence_shape) {
  if (native_form_fits(directions, mask)) return run_native(c, x, directions, sequence_shape);
  std::vector<DirectionResult> results;
  for (const Direction& d : directions) results.push_back(run_scan(c, x, d, mask, sequence_shape));
  return results;
}

}  // namespace ksave::plugins::onnx_export
