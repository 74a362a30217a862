// SimpleRNN, LSTM, GRU, their standalone cells, RNN around one, and Bidirectional (recurrent.hpp has
// the forms).
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

// The cells a recurrent layer runs in turn at each step: its one cell, or a StackedRNNCells' cells.
std::vector<CellSpec> layer_cells(const Layer& layer, const Json& config) {
  if (layer.class_name() == "RNN" && rnn_cell(layer).class_name() == "StackedRNNCells") {
    std::vector<CellSpec> cells;
    for (const auto& [attribute, cell] : rnn_cell(layer).tracked_layers()) cells.push_back(read_cell(*cell, cell->get_config()));
    return cells;
  }
  return {read_cell(layer, config)};
}

// A stack runs as one pass per cell: each inner pass gives its sequence back in time order (with
// go_backwards, the next pass reverses it again), so every pass sees Keras's mask as it is.
std::vector<Value> recurrent_layer(Conversion& c) {
  Value x = c.input();
  const std::vector<CellSpec> cells = layer_cells(c.layer(), c.config());
  const bool backwards = c.config().value("go_backwards", false);
  std::size_t next_state = 1;
  std::vector<std::string> states;
  DirectionResult r;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    const bool last = i + 1 == cells.size();
    Direction d;
    d.cell = cells[i];
    d.backwards = backwards;
    d.reversed_processing_order = backwards && !last;
    d.initial_states = state_inputs(c, next_state, d.cell.state_count());
    next_state += d.cell.state_count();
    d.scope = cells.size() == 1 ? c.hint() : c.hint("cell_" + std::to_string(i));
    const Shape sequence_shape{x.shape.at(0), x.shape.at(1), d.cell.units};
    r = run_recurrent(c, x, {d}, x.mask, sequence_shape).front();
    states.insert(states.end(), r.states.begin(), r.states.end());
    if (!last) {
      const std::string mask = x.mask;
      x = r.sequence;
      x.mask = mask;
    }
  }
  std::vector<Value> out;
  if (c.config().value("return_sequences", false)) {
    out.push_back(r.sequence);
    out.back().mask = x.mask;  // Keras passes the mask on with the sequence
  } else {
    out.push_back(c.output(r.last, 0));
  }
  if (c.config().value("return_state", false))
    for (std::size_t s = 0; s < states.size(); ++s) out.push_back(state_value(c, states[s], 1 + s));
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

const Layer& tracked_layer(const Layer& wrapper, const std::string& attribute) {
  for (const auto& [name, layer] : wrapper.tracked_layers())
    if (name == attribute) return *layer;
  throw Error("layer '" + wrapper.name() + "' (" + wrapper.class_name() + ") has no '" + attribute + "'");
}

const Layer& tracked(const Conversion& c, const std::string& attribute) { return tracked_layer(c.layer(), attribute); }

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

// RNN maps when its cell is a built-in cell or a stack of them; a cell of the application's own
// has no ONNX form ksave could know.
std::string rnn_unsupported(const Layer& layer, const Json&) {
  const Layer& cell = rnn_cell(layer);
  const auto built_in = [](const std::string& name) {
    return name == "SimpleRNNCell" || name == "LSTMCell" || name == "GRUCell";
  };
  if (cell.class_name() != "StackedRNNCells")
    return built_in(cell.class_name()) ? "" : "its cell '" + cell.name() + "' (" + cell.class_name() + ") is not SimpleRNNCell, LSTMCell or GRUCell";
  for (const auto& [attribute, inner] : cell.tracked_layers())
    if (!built_in(inner->class_name()))
      return "its cell '" + inner->name() + "' (" + inner->class_name() + ") is not SimpleRNNCell, LSTMCell or GRUCell";
  return "";
}

// Bidirectional runs both directions as one operator or two Scans of one cell each.
std::string bidirectional_unsupported(const Layer& layer, const Json&) {
  const Layer& forward = tracked_layer(layer, "forward_layer");
  if (forward.class_name().rfind("ConvLSTM", 0) == 0)
    return "its layer '" + forward.name() + "' (" + forward.class_name() + ") is convolutional, which Bidirectional's ONNX form does not take yet";
  if (forward.class_name() == "RNN" && rnn_cell(forward).class_name() == "StackedRNNCells")
    return "its layer '" + forward.name() + "' runs a StackedRNNCells, which Bidirectional's ONNX form does not take yet";
  return "";
}

}  // namespace

void add_recurrent_converters(ConverterTable& t) {
  for (const char* name : {"SimpleRNN", "LSTM", "GRU"}) t[name] = {recurrent_layer, {}};
  t["RNN"] = {recurrent_layer, rnn_unsupported};
  for (const char* name : {"SimpleRNNCell", "LSTMCell", "GRUCell"}) t[name] = {standalone_cell, {}};
  t["Bidirectional"] = {bidirectional, bidirectional_unsupported, true};
}

}  // namespace ksave::plugins::onnx_export
