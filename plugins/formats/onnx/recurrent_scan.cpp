// Recurrent layers as an ONNX Scan over the time axis. The input projection of every step is one
// MatMul before the loop (as ksave's layer computes it); the body is one step of the cell, with
// Keras's masking: on a masked step the states and the output keep their previous values.
#include "activations.hpp"
#include "ksave/ops.hpp"
#include "recurrent.hpp"

namespace ksave::plugins::onnx_export {
namespace {

struct Step {
  std::string output;
  std::vector<std::string> states;
};

// The input-side bias (GRU with reset_after keeps the recurrent one in its second row).
std::string input_bias(Conversion& c, const CellSpec& cell) {
  if (cell.kind == CellKind::GRU && cell.reset_after)
    return c.weight_value(cell.bias, "input_row", [](const Tensor& b) { return ops::slice(b, {0, 0}, {1, -1}).reshape({b.dim(1)}); });
  return c.weight_value(cell.bias);
}

std::vector<std::string> split_gates(Emitter& e, const CellSpec& cell, const std::string& z, const std::string& hint) {
  if (cell.gates() == 1) return {z};
  const std::vector<std::int64_t> sizes(static_cast<std::size_t>(cell.gates()), cell.units);
  return e.graph().add_node("Split", {z, e.ints(sizes)}, static_cast<std::size_t>(cell.gates()), {int_attr("axis", 1)}, hint);
}

// One step of the cell, as ksave's cells compute it, from this step's projected input `p`.
Step cell_step(Conversion& c, Emitter& e, const CellSpec& cell, const std::string& p, const std::vector<std::string>& states,
               const std::string& hint) {
  auto act = [&](const std::string& name, const std::string& x) { return emit_activation(e, name, x, 1, hint); };
  const std::string& h = states.at(0);
  if (cell.kind == CellKind::SimpleRNN) {
    const std::string next = act(cell.activation, e.op("Add", {p, e.op("MatMul", {h, c.weight_value(cell.recurrent_kernel)}, hint)}, hint));
    return {next, {next}};
  }
  if (cell.kind == CellKind::LSTM) {
    const std::string z = e.op("Add", {p, e.op("MatMul", {h, c.weight_value(cell.recurrent_kernel)}, hint)}, hint);
    const auto g = split_gates(e, cell, z, hint);
    const std::string i = act(cell.recurrent_activation, g[0]), f = act(cell.recurrent_activation, g[1]);
    const std::string candidate = act(cell.activation, g[2]), o = act(cell.recurrent_activation, g[3]);
    const std::string c_next = e.op("Add", {e.op("Mul", {f, states.at(1)}, hint), e.op("Mul", {i, candidate}, hint)}, hint);
    const std::string h_next = e.op("Mul", {o, act(cell.activation, c_next)}, hint);
    return {h_next, {h_next, c_next}};
  }
  // GRU: gates z, r, h.
  const auto pg = split_gates(e, cell, p, hint);
  std::string candidate, z, r;
  if (cell.reset_after) {
    std::string inner = e.op("MatMul", {h, c.weight_value(cell.recurrent_kernel)}, hint);
    if (cell.bias)
      inner = e.op("Add", {inner, c.weight_value(cell.bias, "recurrent_row", [](const Tensor& b) {
                     return ops::slice(b, {1, 0}, {1, -1}).reshape({b.dim(1)});
                   })}, hint);
    const auto ig = split_gates(e, cell, inner, hint);
    z = act(cell.recurrent_activation, e.op("Add", {pg[0], ig[0]}, hint));
    r = act(cell.recurrent_activation, e.op("Add", {pg[1], ig[1]}, hint));
    candidate = act(cell.activation, e.op("Add", {pg[2], e.op("Mul", {r, ig[2]}, hint)}, hint));
  } else {
    const std::int64_t u = cell.units;
    const std::string zr_kernel = c.weight_value(cell.recurrent_kernel, "zr", [u](const Tensor& k) { return ops::slice(k, {0, 0}, {-1, 2 * u}); });
    const std::string h_kernel = c.weight_value(cell.recurrent_kernel, "h", [u](const Tensor& k) { return ops::slice(k, {0, 2 * u}, {-1, u}); });
    const std::string inner = e.op("MatMul", {h, zr_kernel}, hint);
    const auto ig = e.graph().add_node("Split", {inner, e.ints({u, u})}, 2, {int_attr("axis", 1)}, hint);
    z = act(cell.recurrent_activation, e.op("Add", {pg[0], ig[0]}, hint));
    r = act(cell.recurrent_activation, e.op("Add", {pg[1], ig[1]}, hint));
    candidate = act(cell.activation, e.op("Add", {pg[2], e.op("MatMul", {e.op("Mul", {r, h}, hint), h_kernel}, hint)}, hint));
  }
  // z·h + (1 - z)·hh, written as hh + z·(h - hh).
  const std::string next = e.op("Add", {candidate, e.op("Mul", {z, e.op("Sub", {h, candidate}, hint)}, hint)}, hint);
  return {next, {next}};
}

}  // namespace

DirectionResult run_scan(Conversion& c, const Value& x, const Direction& d, const std::string& mask,
                         const Shape& sequence_shape) {
  const CellSpec& cell = d.cell;
  const std::string hint = d.scope;
  const std::string xk = c.onnx.float_in_layout(x, {});
  std::string projected = c.onnx.op("MatMul", {xk, c.weight_value(cell.kernel)}, hint);
  if (cell.bias) projected = c.onnx.op("Add", {projected, input_bias(c, cell)}, hint);
  const bool masked = !mask.empty();

  std::vector<std::string> initial = d.initial_states;
  for (std::size_t s = initial.size(); s < cell.state_count(); ++s)
    initial.push_back(c.onnx.zeros_with_batch(xk, {cell.units}, hint + "/zeros"));
  // With a mask the output is carried apart from the states: it starts at zeros even when the
  // states start elsewhere.
  if (masked) initial.push_back(c.onnx.zeros_with_batch(xk, {cell.units}, hint + "/zeros"));

  proto::GraphProto body_proto;
  GraphBuilder body(body_proto, c.onnx.graph());
  body_proto.set_name(body.unique_name(hint + "/step"));
  Emitter e(body);
  const Shape state_shape{kUnknown, cell.units};
  std::vector<std::string> carried;  // states, then the output when masked
  for (std::size_t s = 0; s < initial.size(); ++s) {
    carried.push_back(body.unique_name(hint + "/step/state_in"));
    body.add_input(carried.back(), DType::Float32, state_shape, false);
  }
  const std::string p = body.unique_name(hint + "/step/projected");
  body.add_input(p, DType::Float32, {kUnknown, cell.gates() * cell.units}, false);
  std::string m;
  if (masked) {
    m = body.unique_name(hint + "/step/mask");
    body.add_input(m, DType::Bool, {kUnknown, 1}, false);
  }
  const std::vector<std::string> states_in(carried.begin(), carried.begin() + static_cast<std::ptrdiff_t>(cell.state_count()));
  Step step = cell_step(c, e, cell, p, states_in, hint + "/step");
  std::vector<std::string> body_outputs = step.states;
  std::string output = step.output;
  if (masked) {
    for (std::size_t s = 0; s < body_outputs.size(); ++s) body_outputs[s] = e.op("Where", {m, body_outputs[s], carried[s]}, hint + "/step");
    output = e.op("Where", {m, step.output, carried.back()}, hint + "/step");
    body_outputs.push_back(output);
  }
  // A scan output is a value of its own, even when it equals a state.
  body_outputs.push_back(e.op("Identity", {output}, hint + "/step"));
  for (const auto& name : body_outputs) body.add_output(name, DType::Float32, state_shape, false);

  std::vector<std::string> inputs = initial;
  inputs.push_back(projected);
  std::vector<std::int64_t> axes{1}, directions{d.backwards ? 1 : 0};
  if (masked) {
    inputs.push_back(c.onnx.unsqueeze(mask, {2}, hint));
    axes.push_back(1);
    directions.push_back(d.backwards ? 1 : 0);
  }
  Attributes attrs{graph_attr("body", std::move(body_proto)),
                   int_attr("num_scan_inputs", static_cast<std::int64_t>(axes.size())),
                   ints_attr("scan_input_axes", axes),
                   ints_attr("scan_input_directions", directions),
                   ints_attr("scan_output_axes", {1}),
                   ints_attr("scan_output_directions", {d.reversed_processing_order ? 1 : 0})};
  const auto outs = c.onnx.graph().add_node("Scan", inputs, initial.size() + 1, std::move(attrs), hint);

  DirectionResult r;
  r.sequence = Value{outs.back(), sequence_shape, DType::Float32, {}, ""};
  r.states.assign(outs.begin(), outs.begin() + static_cast<std::ptrdiff_t>(cell.state_count()));
  r.last = masked ? outs[initial.size() - 1] : r.states.front();
  return r;
}

}  // namespace ksave::plugins::onnx_export
