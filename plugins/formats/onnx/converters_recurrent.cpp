// SimpleRNN, LSTM, GRU, their standalone cells, and Bidirectional (recurrent.hpp has the forms).
#include "recurrent.hpp"

namespace ksave::plugins::onnx_export {
namespace {

// Initial states passed as the call's extra inputs, float32 (batch, units) each.
std::vector<std::string> state_inputs(Conversion& c, std::size_t first, std::size_t count) {
  std::vector<std::string> states;
  for (std::size_t i = first; i < first + count && i < c.call.inputs.size(); ++i)
    states.push_back(c.onnx.float_in_layout(c.call.inputs[i], {}));
  return states;
}

Value state_value(const Conversion& c, const std::string& name, std::size_t output_index) {
  return c.output(name, output_index);
}

std::vector<Value> recurrent_layer(Conversion& c) {
  const Value& x = c.input();
  Direction d;
  d.cell = read_cell(c.layer(), c.config());
  d.backwards = c.config().value("go_backwards", false);
  d.initial_states = state_inputs(c, 1, d.cell.state_count());
  d.scope = c.hint();
  const bool sequences = c.config().value("return_sequences", false);
  const Shape sequence_shape{x.shape.at(0), x.shape.at(1), d.cell.units};
  const DirectionResult r = run_recurrent(c, x, {d}, x.mask, sequence_shape).front();
  std::vector<Value> out;
  if (sequences) {
    out.push_back(r.sequence);
    out.back().mask = x.mask;  // Keras passes the mask on with the sequence
  } else {
    out.push_back(c.output(r.last, 0));
  }
  if (c.config().value("return_state", false))
    for (std::size_t s = 0; s < r.states.size(); ++s) out.push_back(state_value(c, r.states[s], 1 + s));
  return out;
}

// A cell called on [x, states...]: one step, as a sequence of length 1. Returns the output and the
// new states, as Keras's cells do.
std::vector<Value> standalone_cell(Conversion& c) {
  const Value& x = c.input();
  Direction d;
  d.cell = read_cell(c.layer(), c.config());
  d.initial_states = state_inputs(c, 1, d.cell.state_count());
  d.scope = c.hint();
  Value sequence{c.onnx.unsqueeze(c.onnx.float_in_layout(x, {}), {1}, c.hint()), {x.shape.at(0), 1, x.shape.at(1)}, DType::Float32, {}, ""};
  const DirectionResult r = run_recurrent(c, sequence, {d}, "", {x.shape.at(0), 1, d.cell.units}).front();
  std::vector<Value> out{c.output(r.last, 0)};
  for (std::size_t s = 0; s < r.states.size(); ++s) out.push_back(state_value(c, r.states[s], 1 + s));
  return out;
}

const Layer& tracked(const Conversion& c, const std::string& attribute) {
  for (const auto& [name, layer] : c.layer().tracked_layers())
    if (name == attribute) return *layer;
  throw Error(c.describe() + " has no '" + attribute + "'");
}

// Bidirectional: the forward layer's output, and the backward layer's reversed into time order,
// merged (concat, sum, mul, ave, or two outputs).
std::vector<Value> bidirectional(Conversion& c) {
  const Value& x = c.input();
  std::vector<Direction> directions;
  const std::size_t states_per_direction = (c.call.inputs.size() - 1) / 2;
  for (const char* attribute : {"forward_layer", "backward_layer"}) {
    const Layer& layer = tracked(c, attribute);
    const Json config = layer.get_config();
    Direction d;
    d.cell = read_cell(layer, config);
    d.backwards = config.value("go_backwards", false);
    d.reversed_processing_order = directions.size() == 1;
    d.initial_states = state_inputs(c, 1 + directions.size() * states_per_direction, states_per_direction);
    d.scope = c.hint(layer.name());
    directions.push_back(std::move(d));
  }
  const Json inner = tracked(c, "forward_layer").get_config();
  const bool sequences = inner.value("return_sequences", false);
  const Shape sequence_shape{x.shape.at(0), x.shape.at(1), directions[0].cell.units};
  const auto r = run_recurrent(c, x, directions, x.mask, sequence_shape);
  Value yf = sequences ? r[0].sequence : Value{r[0].last, {x.shape.at(0), directions[0].cell.units}, DType::Float32, {}, ""};
  Value yb = sequences ? r[1].sequence : Value{r[1].last, {x.shape.at(0), directions[1].cell.units}, DType::Float32, {}, ""};
  const Json merge = c.config().value("merge_mode", Json("concat"));
  std::vector<Value> out;
  const std::string a = c.onnx.in_layout(yf, yf.perm), b = c.onnx.in_layout(yb, yf.perm);
  if (merge.is_null()) {
    out.push_back(c.output(a, 0, yf.perm));
    out.push_back(c.output(b, 1, yf.perm));
  } else {
    const std::string mode = merge.get<std::string>();
    std::string y;
    if (mode == "concat") y = c.onnx.concat({a, b}, onnx_axis(yf.perm, -1, yf.rank()), c.hint());
    else if (mode == "sum") y = c.onnx.op("Add", {a, b}, c.hint());
    else if (mode == "mul") y = c.onnx.op("Mul", {a, b}, c.hint());
    else y = c.onnx.op("Mul", {c.onnx.op("Add", {a, b}, c.hint()), c.onnx.scalar(0.5f)}, c.hint());
    out.push_back(c.output(y, 0, yf.perm));
  }
  if (sequences)
    for (Value& v : out) v.mask = x.mask;
  if (inner.value("return_state", false))
    for (const DirectionResult& d : r)
      for (const std::string& s : d.states) out.push_back(state_value(c, s, out.size()));
  return out;
}

}  // namespace

void add_recurrent_converters(ConverterTable& t) {
  for (const char* name : {"SimpleRNN", "LSTM", "GRU"}) t[name] = {recurrent_layer, {}};
  for (const char* name : {"SimpleRNNCell", "LSTMCell", "GRUCell"}) t[name] = {standalone_cell, {}};
  t["Bidirectional"] = {bidirectional, {}, true};
}

}  // namespace ksave::plugins::onnx_export
