// Recurrent layers as ONNX's RNN, LSTM and GRU operators. They take time-major input (time,
// batch, features) and weights per direction with the gates in rows: W (gates·units, features),
// R (gates·units, units), B (input biases then recurrent biases).
#include <limits>

#include "activations.hpp"
#include "ksave/ops.hpp"
#include "recurrent.hpp"

namespace ksave::plugins::onnx_export {
namespace {

// For each ONNX gate position, the Keras gate it is: LSTM i,o,f,c from Keras i,f,c,o.
std::vector<std::int64_t> keras_gate_of(CellKind kind) {
  if (kind == CellKind::LSTM) return {0, 3, 1, 2};
  if (kind == CellKind::GRU) return {0, 1, 2};
  return {0};
}

// A Keras matrix (rows, gates·units) with its gate blocks in ONNX's order, transposed to ONNX's
// (gates·units, rows).
Tensor gate_rows(const Tensor& m, const CellSpec& cell) {
  std::vector<Tensor> blocks;
  for (std::int64_t g : keras_gate_of(cell.kind)) blocks.push_back(ops::slice(m, {0, g * cell.units}, {-1, cell.units}));
  return ops::transpose(ops::concat(blocks, 1), {1, 0});
}

Tensor gate_vector(const Tensor& v, const CellSpec& cell) {
  return gate_rows(v.reshape({1, v.size()}), cell).reshape({v.size()});
}

// ONNX's B: the input biases, then the recurrent ones (GRU with reset_after keeps them apart,
// as ONNX's linear_before_reset does; the other cells have one bias, on the input side).
Tensor onnx_bias(const CellSpec& cell) {
  const std::int64_t width = cell.gates() * cell.units;
  if (!cell.bias) return Tensor::zeros(DType::Float32, {2 * width});
  const Tensor b = cell.bias->value().as_float();
  const bool two_rows = cell.kind == CellKind::GRU && cell.reset_after;
  const Tensor input = two_rows ? ops::slice(b, {0, 0}, {1, -1}).reshape({width}) : b;
  const Tensor recurrent = two_rows ? ops::slice(b, {1, 0}, {1, -1}).reshape({width}) : Tensor::zeros(DType::Float32, {width});
  return ops::concat({gate_vector(input, cell), gate_vector(recurrent, cell)}, 0);
}

std::vector<std::string> activation_list(const CellSpec& cell) {
  const std::string act = *recurrent_operator_activation(cell.activation);
  if (cell.kind == CellKind::SimpleRNN) return {act};
  const std::string gate = *recurrent_operator_activation(cell.recurrent_activation);
  if (cell.kind == CellKind::GRU) return {gate, act};
  return {gate, act, act};
}

const char* operator_of(CellKind kind) {
  return kind == CellKind::LSTM ? "LSTM" : kind == CellKind::GRU ? "GRU" : "RNN";
}

// One weight tensor of the operator: the directions' forms stacked on a leading axis.
std::string stacked(Conversion& c, const std::vector<Direction>& group, const std::string& tag,
                    const std::function<Tensor(const CellSpec&)>& form) {
  const std::string hint = c.hint(tag);
  return c.onnx.graph().weight(group.front().cell.kernel.get(), "onnx_" + tag + std::to_string(group.size()), hint, [&] {
    std::vector<Tensor> parts;
    for (const Direction& d : group) parts.push_back(form(d.cell));
    return ops::stack(parts, 0);
  });
}

// The operator's initial_h or initial_c (directions, batch, units): given states, zeros for a
// direction without; empty when no direction has initial states.
std::string initial_state(Conversion& c, const Value& x, const std::vector<Direction>& group, std::size_t index) {
  bool any = false;
  for (const Direction& d : group) any = any || !d.initial_states.empty();
  if (!any) return "";
  std::vector<std::string> parts;
  for (const Direction& d : group) {
    const std::string state = d.initial_states.empty()
                                  ? c.onnx.zeros_with_batch(c.onnx.in_keras_layout(x), {d.cell.units}, c.hint("zeros"))
                                  : d.initial_states.at(index);
    parts.push_back(c.onnx.unsqueeze(state, {0}, c.hint()));
  }
  return parts.size() == 1 ? parts.front() : c.onnx.concat(parts, 0, c.hint());
}

// Directions that one operator runs: a forward pass and a backward pass whose outputs both come in
// time order with the same cell configuration make one bidirectional operator.
bool one_bidirectional_operator(const std::vector<Direction>& d) {
  if (d.size() != 2) return false;
  const CellSpec &a = d[0].cell, &b = d[1].cell;
  return !d[0].backwards && d[1].backwards && !d[0].reversed_processing_order && d[1].reversed_processing_order &&
         a.kind == b.kind && a.units == b.units && a.activation == b.activation &&
         a.recurrent_activation == b.recurrent_activation && a.reset_after == b.reset_after;
}

std::vector<DirectionResult> run_group(Conversion& c, const Value& x, const std::vector<Direction>& group,
                                       const Shape& sequence_shape) {
  const CellSpec& cell = group.front().cell;
  const std::string direction = group.size() == 2 ? "bidirectional" : group.front().backwards ? "reverse" : "forward";
  std::vector<std::string> activations;
  for (const Direction& d : group) {
    const auto list = activation_list(d.cell);
    activations.insert(activations.end(), list.begin(), list.end());
  }
  Attributes attrs{int_attr("hidden_size", cell.units), string_attr("direction", direction),
                   strings_attr("activations", activations)};
  if (cell.kind == CellKind::GRU) attrs.push_back(int_attr("linear_before_reset", cell.reset_after ? 1 : 0));
  std::vector<std::string> inputs{
      c.onnx.float_in_layout(x, {1, 0, 2}),
      stacked(c, group, "W", [](const CellSpec& s) { return gate_rows(s.kernel->value().as_float(), s); }),
      stacked(c, group, "R", [](const CellSpec& s) { return gate_rows(s.recurrent_kernel->value().as_float(), s); }),
      stacked(c, group, "B", onnx_bias),
      "",  // sequence_lens: every sequence is whole (masked layers take the Scan form)
      initial_state(c, x, group, 0)};
  if (cell.kind == CellKind::LSTM) inputs.push_back(initial_state(c, x, group, 1));
  while (inputs.back().empty()) inputs.pop_back();
  const std::size_t outputs = cell.kind == CellKind::LSTM ? 3 : 2;
  const auto y = c.onnx.graph().add_node(operator_of(cell.kind), inputs, outputs, std::move(attrs), c.hint());

  std::vector<DirectionResult> results;
  for (std::size_t k = 0; k < group.size(); ++k) {
    const Direction& d = group[k];
    const std::string index = c.onnx.graph().constant(Tensor::scalar<std::int64_t>(static_cast<std::int64_t>(k)), "direction");
    DirectionResult r;
    // Y is (time, directions, batch, units) in time order, which is the order wanted unless
    // exactly one of `backwards` and `reversed_processing_order` holds.
    std::string sequence = c.onnx.op("Gather", {y[0], index}, c.hint(), {int_attr("axis", 1)});
    if (d.backwards != d.reversed_processing_order)
      sequence = c.onnx.slice(sequence, {-1}, {std::numeric_limits<std::int64_t>::min()}, {0}, c.hint(), {-1});
    r.sequence = Value{sequence, sequence_shape, DType::Float32, Perm{1, 0, 2}, ""};
    r.last = c.onnx.op("Gather", {y[1], index}, c.hint(), {int_attr("axis", 0)});
    r.states.push_back(r.last);
    if (cell.kind == CellKind::LSTM) r.states.push_back(c.onnx.op("Gather", {y[2], index}, c.hint(), {int_attr("axis", 0)}));
    results.push_back(std::move(r));
  }
  return results;
}

}  // namespace

bool native_form_fits(const std::vector<Direction>& directions, const std::string& mask) {
  if (!mask.empty()) return false;
  for (const Direction& d : directions) {
    if (!recurrent_operator_activation(d.cell.activation)) return false;
    if (d.cell.kind != CellKind::SimpleRNN && !recurrent_operator_activation(d.cell.recurrent_activation)) return false;
  }
  return true;
}

std::vector<DirectionResult> run_native(Conversion& c, const Value& x, const std::vector<Direction>& directions,
                                        const Shape& sequence_shape) {
  if (one_bidirectional_operator(directions)) return run_group(c, x, directions, sequence_shape);
  std::vector<DirectionResult> results;
  for (const Direction& d : directions) results.push_back(run_group(c, x, {d}, sequence_shape).front());
  return results;
}

}  // namespace ksave::plugins::onnx_export
