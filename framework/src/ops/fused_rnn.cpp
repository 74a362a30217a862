// FusedGRU and FusedSimpleRNN (internal): a whole Keras GRU or SimpleRNN layer over time in one
// op, for inference, computed by oneDNN's RNN primitives (as FusedLSTM is for LSTM):
//   GRU reset_after=False  oneDNN's GRU: hh = tanh(x·Wh + bh + (r*h)·Uh), bias (3u)
//   GRU reset_after=True   oneDNN's linear-before-reset GRU: hh = tanh(x·Wh + bh + r*(h·Uh + rbh));
//                          Keras's bias (2, 3u) (input row, recurrent row) becomes oneDNN's four
//                          gate biases (bz + rbz, br + rbr, bh, rbh)
//   SimpleRNN              oneDNN's vanilla RNN, tanh or relu: h' = act(x·W + b + h·U)
// with h' = z*h + (1-z)*hh for the GRU, sigmoid gates (Keras's defaults; layers use these ops
// only for those activations) and Keras's gate order (rnn_layout.hpp).
//
//   inputs:  x (batch, time, features), h0 (batch, units), kernel, recurrent_kernel, bias
//   attrs:   return_sequences: bool; FusedGRU: reset_after: bool; FusedSimpleRNN: activation
//            "tanh" or "relu"
//   outputs: y ((batch, time, units) or (batch, units)), h_T
//
// Inference only (no gradient): layers use them when no observer watches the ops; a tape or a
// tracer gets the per-step ops.
#include <optional>

#include "dnnl_support.hpp"
#include "kernel_util.hpp"
#include "op_groups.hpp"
#include "rnn_layout.hpp"

namespace ksave::detail {

namespace {

using dnnl::memory;
using Index = std::int64_t;

enum class CellKind : Index { gru, linear_before_reset_gru, tanh_rnn, relu_rnn };

struct CellLayout {
  Index gates, bias_gates;
};

CellLayout layout_of(CellKind kind) {
  switch (kind) {
    case CellKind::gru: return {3, 3};
    case CellKind::linear_before_reset_gru: return {3, 4};
    default: return {1, 1};
  }
}

struct RnnEntry {
  RnnDescs d;
  dnnl::primitive prim;
  memory::desc scratch, weights, recurrent;
  std::optional<dnnl::reorder> weights_reorder, recurrent_reorder;
};

template <typename Primitive>
void take(RnnEntry& e, const typename Primitive::primitive_desc& pd) {
  e.prim = Primitive(pd);
  e.scratch = pd.scratchpad_desc();
  e.weights = pd.weights_layer_desc();
  e.recurrent = pd.weights_iter_desc();
  e.weights_reorder = onednn::reorder_between(e.d.weights, e.weights);
  e.recurrent_reorder = onednn::reorder_between(e.d.recurrent, e.recurrent);
}

RnnEntry make_entry(const RnnShape& s, CellKind kind) {
  RnnEntry e;
  const CellLayout layout = layout_of(kind);
  e.d = describe_rnn(s, layout.gates, layout.bias_gates);
  const RnnDescs& d = e.d;
  const auto prop = dnnl::prop_kind::forward_inference;
  const auto direction = dnnl::rnn_direction::unidirectional_left2right;
  const auto attr = onednn::attributes();
  if (kind == CellKind::gru) {
    take<dnnl::gru_forward>(e, dnnl::gru_forward::primitive_desc(
                dnnl::gru_forward::desc(prop, direction, d.sequence_in, d.state, any_like(d.weights),
                                        any_like(d.recurrent), d.bias, d.sequence_out, d.state),
                attr, onednn::engine()));
  } else if (kind == CellKind::linear_before_reset_gru) {
    take<dnnl::lbr_gru_forward>(e, dnnl::lbr_gru_forward::primitive_desc(
                dnnl::lbr_gru_forward::desc(prop, direction, d.sequence_in, d.state, any_like(d.weights),
                                            any_like(d.recurrent), d.bias, d.sequence_out, d.state),
                attr, onednn::engine()));
  } else {
    const auto activation =
        kind == CellKind::tanh_rnn ? dnnl::algorithm::eltwise_tanh : dnnl::algorithm::eltwise_relu;
    take<dnnl::vanilla_rnn_forward>(e, dnnl::vanilla_rnn_forward::primitive_desc(
                dnnl::vanilla_rnn_forward::desc(prop, activation, direction, d.sequence_in, d.state,
                                                any_like(d.weights), any_like(d.recurrent), d.bias,
                                                d.sequence_out, d.state),
                attr, onednn::engine()));
  }
  return e;
}

const RnnEntry& entry(const RnnShape& s, CellKind kind, const char* op) {
  static onednn::PrimitiveCache<RnnEntry> cache;
  const Index gates = layout_of(kind).gates;
  const double flops = 2.0 * static_cast<double>(s.steps * s.batch * (s.features + s.units) * gates * s.units);
  try {
    return cache.get({static_cast<Index>(kind), s.batch, s.steps, s.features, s.units}, flops,
                     [&] { return make_entry(s, kind); });
  } catch (const dnnl::error& e) {
    onednn::fail(op, e);
  }
}

// The five inputs as float32, checked against the shapes the cell needs.
RnnShape checked_shape(const Tensors& in, CellKind kind, const Shape& keras_bias, const char* op) {
  const Tensor& x = in[0];
  if (x.rank() != 3) throw Error(std::string(op) + ": expected x of shape (batch, time, features), got " + shape_str(x));
  const Index gates = layout_of(kind).gates;
  const Index units = in[3].rank() == 2 ? in[3].dim(0) : -1;
  const RnnShape s{x.dim(0), x.dim(1), x.dim(2), units};
  const auto expect = [&](std::size_t i, const char* name, const Shape& shape) {
    if (in[i].shape() != shape)
      throw Error(std::string(op) + ": " + name + " is " + shape_str(in[i]) + ", expected " + shape_to_string(shape));
  };
  expect(3, "recurrent_kernel", {units, gates * units});
  expect(1, "h0", {s.batch, units});
  expect(2, "kernel", {s.features, gates * units});
  expect(4, "bias", keras_bias);
  return s;
}

// oneDNN's linear-before-reset bias from Keras's (2, 3u): the z and r gates add both rows, the
// candidate keeps its input and recurrent biases apart.
const float* linear_before_reset_bias(const Tensor& keras_bias, Index units) {
  const float* input_row = keras_bias.data<float>();
  const float* recurrent_row = input_row + 3 * units;
  float* b = onednn::thread_buffer(onednn::kBiasSlot, static_cast<std::size_t>(4 * units));
  for (Index i = 0; i < 2 * units; ++i) b[i] = input_row[i] + recurrent_row[i];
  for (Index i = 0; i < units; ++i) {
    b[2 * units + i] = input_row[2 * units + i];
    b[3 * units + i] = recurrent_row[2 * units + i];
  }
  return b;
}

Tensors run_fused(std::span<const Tensor> raw, const Attrs& attrs, CellKind kind, const char* op) {
  expect_inputs(op, raw, 5);
  if (ops_observed())
    throw Error(std::string(op) + ": an inference-only op ran under a tape or tracer, which needs the per-step ops");
  Tensors in;
  for (const Tensor& t : raw) in.push_back(t.as_float());
  const Index units = in[3].rank() == 2 ? in[3].dim(0) : -1;
  const Shape keras_bias = kind == CellKind::linear_before_reset_gru ? Shape{2, 3 * units}
                                                                     : Shape{layout_of(kind).gates * units};
  const RnnShape s = checked_shape(in, kind, keras_bias, op);
  const bool return_sequences = attr_or<bool>(attrs, "return_sequences", false, op);
  Tensor h_t = make_float_output({s.batch, s.units});
  Tensor sequence;
  float* sequence_data = sequence_output(s, return_sequences, sequence);
  if (s.batch * s.steps == 0) {
    h_t.copy_from(in[1]);
    return {return_sequences ? sequence : copy_of(h_t), h_t};
  }
  const RnnEntry& e = entry(s, kind, op);
  const float* bias = kind == CellKind::linear_before_reset_gru ? linear_before_reset_bias(in[4], s.units)
                                                                : in[4].data<float>();
  onednn::run(e.prim,
              {{DNNL_ARG_SRC_LAYER, e.d.sequence_in, in[0].data<float>()},
               {DNNL_ARG_SRC_ITER, e.d.state, in[1].data<float>()},
               {DNNL_ARG_WEIGHTS_LAYER, e.weights,
                onednn::in_layout(e.weights_reorder, e.d.weights, e.weights, in[2].data<float>(), onednn::kWeightsSlot)},
               {DNNL_ARG_WEIGHTS_ITER, e.recurrent,
                onednn::in_layout(e.recurrent_reorder, e.d.recurrent, e.recurrent, in[3].data<float>(),
                                  onednn::kRecurrentSlot)},
               {DNNL_ARG_BIAS, e.d.bias, bias},
               {DNNL_ARG_DST_LAYER, e.d.sequence_out, sequence_data},
               {DNNL_ARG_DST_ITER, e.d.state, h_t.data<float>()}},
              e.scratch);
  return {return_sequences ? sequence : copy_of(h_t), h_t};
}

Tensors fused_gru_kernel(std::span<const Tensor> in, const Attrs& attrs) {
  const bool reset_after = attr_or<bool>(attrs, "reset_after", false, "FusedGRU");
  return run_fused(in, attrs, reset_after ? CellKind::linear_before_reset_gru : CellKind::gru, "FusedGRU");
}

Tensors fused_simple_rnn_kernel(std::span<const Tensor> in, const Attrs& attrs) {
  const char* op = "FusedSimpleRNN";
  const std::string activation = attr_or<std::string>(attrs, "activation", "tanh", op);
  if (activation != "tanh" && activation != "relu")
    throw Error(std::string(op) + ": attribute 'activation' must be \"tanh\" or \"relu\", got \"" + activation + "\"");
  return run_fused(in, attrs, activation == "tanh" ? CellKind::tanh_rnn : CellKind::relu_rnn, op);
}

}  // namespace

std::vector<OpDef> fused_rnn_ops() {
  std::vector<OpDef> defs;
  defs.push_back(OpDef{"FusedGRU", "FusedGRU", fused_gru_kernel, {}});
  defs.push_back(OpDef{"FusedSimpleRNN", "FusedSimpleRNN", fused_simple_rnn_kernel, {}});
  return defs;
}

}  // namespace ksave::detail
