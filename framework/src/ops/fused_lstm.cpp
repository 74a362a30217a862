// FusedLSTM (internal): a whole Keras LSTM layer over time in one op, computed by oneDNN's LSTM
// primitive (forward, and backward through time for the gradient). Keras and oneDNN agree on the
// gate order (i, f, c, o), on the activations (sigmoid gates, tanh candidate and output) and on
// the weight layouts (rnn_layout.hpp).
//
//   inputs: x (batch, time, features), h0 (batch, units), c0 (batch, units), kernel,
//           recurrent_kernel, bias
//   attrs:  return_sequences: bool
//   outputs: y ((batch, time, units) or (batch, units)), h_T, c_T, and for the gradient, when a
//           tape observes the call, oneDNN's workspace (uint8) and, when y is the last step
//           only, the whole output sequence (undefined tensors otherwise: the tape tells outputs
//           apart by their storage, so y is not repeated)
//
// Layers use it only when no graph tracer is watching (fused_ops_allowed()): TensorFlow has no
// such op, so traced functions keep the per-step primitive ops.
#include <array>
#include <cstring>
#include <optional>
#include <span>

#include "dnnl_support.hpp"
#include "kernel_util.hpp"
#include "ksave/ops.hpp"
#include "op_groups.hpp"
#include "rnn_layout.hpp"

namespace ksave::detail {

namespace {

using dnnl::memory;
using Index = std::int64_t;
constexpr const char* kOp = "FusedLSTM";

using LstmShape = RnnShape;
using LstmDescs = RnnDescs;

// The six inputs as float32 (views when they already are); on the stack, one more than Tensors
// holds inline.
std::array<Tensor, 6> float_inputs(std::span<const Tensor> in) {
  expect_inputs(kOp, in, 6);
  std::array<Tensor, 6> out;
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = in[i].as_float();
  return out;
}

LstmShape lstm_shape(std::span<const Tensor> in) {
  const Tensor& x = in[0];
  if (x.rank() != 3) throw Error(std::string(kOp) + ": expected x of shape (batch, time, features), got " + shape_str(x));
  LstmShape s{x.dim(0), x.dim(1), x.dim(2), in[4].rank() == 2 ? in[4].dim(0) : -1};
  const auto expect = [&](std::size_t i, const char* name, const Shape& shape) {
    if (in[i].shape() != shape)
      throw Error(std::string(kOp) + ": " + name + " is " + shape_str(in[i]) + ", expected " + shape_to_string(shape));
  };
  expect(4, "recurrent_kernel", {s.units, 4 * s.units});
  expect(1, "h0", {s.batch, s.units});
  expect(2, "c0", {s.batch, s.units});
  expect(3, "kernel", {s.features, 4 * s.units});
  expect(5, "bias", {4 * s.units});
  return s;
}

LstmDescs describe(const LstmShape& s) { return describe_rnn(s, 4, 4); }

dnnl::lstm_forward::primitive_desc forward_pd(const LstmDescs& d, dnnl::prop_kind prop) {
  const dnnl::lstm_forward::desc desc(prop, dnnl::rnn_direction::unidirectional_left2right, d.sequence_in, d.state,
                                      d.state, any_like(d.weights), any_like(d.recurrent), d.bias,
                                      d.sequence_out, d.state, d.state);
  return {desc, onednn::attributes(), onednn::engine()};
}

struct ForwardEntry {
  LstmDescs d;
  dnnl::lstm_forward prim;
  memory::desc scratch, workspace, weights, recurrent;
  std::optional<dnnl::reorder> weights_reorder, recurrent_reorder;
};

struct BackwardEntry {
  LstmDescs d;
  dnnl::lstm_backward prim;
  memory::desc scratch, workspace, weights, recurrent, diff_weights, diff_recurrent;
  std::optional<dnnl::reorder> weights_reorder, recurrent_reorder, diff_weights_reorder, diff_recurrent_reorder;
};

onednn::PrimitiveKey key_of(const LstmShape& s, int pass) { return {pass, s.batch, s.steps, s.features, s.units}; }

template <typename Entry, typename Make>
const Entry& cached(const LstmShape& s, int pass, const Make& make) {
  static onednn::PrimitiveCache<Entry> cache;
  // Per step: the input and recurrent products of the four gates (the backward pass twice that).
  const double forward_flops = 2.0 * static_cast<double>(s.steps * s.batch * (s.features + s.units) * 4 * s.units);
  try {
    return cache.get(key_of(s, pass), pass == 2 ? 2 * forward_flops : forward_flops, make);
  } catch (const dnnl::error& e) {
    onednn::fail(kOp, e);
  }
}

ForwardEntry make_forward(const LstmShape& s, bool training) {
  ForwardEntry e;
  e.d = describe(s);
  const auto pd = forward_pd(e.d, training ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference);
  e.prim = dnnl::lstm_forward(pd);
  e.scratch = pd.scratchpad_desc();
  e.workspace = pd.workspace_desc();
  e.weights = pd.weights_layer_desc();
  e.recurrent = pd.weights_iter_desc();
  e.weights_reorder = onednn::reorder_between(e.d.weights, e.weights);
  e.recurrent_reorder = onednn::reorder_between(e.d.recurrent, e.recurrent);
  return e;
}

BackwardEntry make_backward(const LstmShape& s) {
  BackwardEntry e;
  e.d = describe(s);
  const LstmDescs& d = e.d;
  const auto hint = forward_pd(d, dnnl::prop_kind::forward_training);
  const dnnl::lstm_backward::desc desc(
      dnnl::prop_kind::backward, dnnl::rnn_direction::unidirectional_left2right, d.sequence_in, d.state, d.state,
      any_like(d.weights), any_like(d.recurrent), d.bias, d.sequence_out, d.state, d.state, d.sequence_in, d.state,
      d.state, any_like(d.weights), any_like(d.recurrent), d.bias, d.sequence_out, d.state, d.state);
  const dnnl::lstm_backward::primitive_desc pd(desc, onednn::attributes(), onednn::engine(), hint);
  e.prim = dnnl::lstm_backward(pd);
  e.scratch = pd.scratchpad_desc();
  e.workspace = pd.workspace_desc();
  e.weights = pd.weights_layer_desc();
  e.recurrent = pd.weights_iter_desc();
  e.diff_weights = pd.diff_weights_layer_desc();
  e.diff_recurrent = pd.diff_weights_iter_desc();
  e.weights_reorder = onednn::reorder_between(d.weights, e.weights);
  e.recurrent_reorder = onednn::reorder_between(d.recurrent, e.recurrent);
  e.diff_weights_reorder = onednn::reorder_between(e.diff_weights, d.weights);
  e.diff_recurrent_reorder = onednn::reorder_between(e.diff_recurrent, d.recurrent);
  return e;
}

Tensors fused_lstm_kernel(std::span<const Tensor> raw_inputs, const Attrs& attrs) {
  const std::array<Tensor, 6> in = float_inputs(raw_inputs);
  const LstmShape s = lstm_shape(in);
  const bool return_sequences = attr_or<bool>(attrs, "return_sequences", false, kOp);
  // A tape needs the workspace and the whole sequence for the backward pass.
  const bool training = ops_observed();
  Tensor h_t = make_float_output({s.batch, s.units}), c_t = make_float_output({s.batch, s.units});
  Tensor sequence, workspace;
  float* sequence_data = sequence_output(s, return_sequences || training, sequence);
  if (s.batch * s.steps == 0) {
    h_t.copy_from(in[1]);
    c_t.copy_from(in[2]);
    return {return_sequences ? sequence : copy_of(h_t), h_t, c_t, Tensor(), Tensor()};
  }
  const ForwardEntry& e =
      cached<ForwardEntry>(s, training ? 1 : 0, [&] { return make_forward(s, training); });
  if (training) workspace = Tensor::for_overwrite(DType::UInt8, {static_cast<Dim>(e.workspace.get_size())});
  // On the stack, the training workspace last: inference passes the first nine.
  const std::array<onednn::Arg, 10> args{{
      {DNNL_ARG_SRC_LAYER, e.d.sequence_in, in[0].data<float>()},
      {DNNL_ARG_SRC_ITER, e.d.state, in[1].data<float>()},
      {DNNL_ARG_SRC_ITER_C, e.d.state, in[2].data<float>()},
      {DNNL_ARG_WEIGHTS_LAYER, e.weights,
       onednn::in_layout(e.weights_reorder, e.d.weights, e.weights, in[3].data<float>(), onednn::kWeightsSlot)},
      {DNNL_ARG_WEIGHTS_ITER, e.recurrent,
       onednn::in_layout(e.recurrent_reorder, e.d.recurrent, e.recurrent, in[4].data<float>(), onednn::kRecurrentSlot)},
      {DNNL_ARG_BIAS, e.d.bias, in[5].data<float>()},
      {DNNL_ARG_DST_LAYER, e.d.sequence_out, sequence_data},
      {DNNL_ARG_DST_ITER, e.d.state, h_t.data<float>()},
      {DNNL_ARG_DST_ITER_C, e.d.state, c_t.data<float>()},
      {DNNL_ARG_WORKSPACE, e.workspace, training ? workspace.raw_data() : nullptr}}};
  onednn::run(e.prim, std::span(args).first(training ? 10 : 9), e.scratch);
  if (return_sequences) return {sequence, h_t, c_t, workspace, Tensor()};
  return {copy_of(h_t), h_t, c_t, workspace, training ? sequence : Tensor()};
}

// The gradient of the output y and of h_T both land on oneDNN's diff_dst_iter when y is h_T.
Tensor sum_defined(const Tensor& a, const Tensor& b, const Shape& shape) {
  if (a.defined() && b.defined()) return ops::add(a, b);
  if (a.defined()) return a.as_float();
  if (b.defined()) return b.as_float();
  return filled(DType::Float32, shape, 0.0);
}

Tensors fused_lstm_gradient(const GradientContext& ctx) {
  const bool return_sequences = attr_or<bool>(ctx.attrs, "return_sequences", false, kOp);
  const Tensor& workspace = ctx.outputs[3];
  const Tensor& sequence = return_sequences ? ctx.outputs[0] : ctx.outputs[4];
  if (!workspace.defined() || !sequence.defined())
    throw Error(std::string(kOp) + ": the forward pass ran without a tape, so its gradient cannot be taken");
  const std::array<Tensor, 6> in = float_inputs(ctx.inputs);
  const LstmShape s = lstm_shape(in);
  const Shape state_shape{s.batch, s.units};
  const Tensor diff_sequence = return_sequences && ctx.output_grads[0].defined()
                                   ? ctx.output_grads[0].as_float()
                                   : filled(DType::Float32, {s.batch, s.steps, s.units}, 0.0);
  const Tensor diff_h = return_sequences ? sum_defined(ctx.output_grads[1], Tensor(), state_shape)
                                         : sum_defined(ctx.output_grads[0], ctx.output_grads[1], state_shape);
  const Tensor diff_c = sum_defined(ctx.output_grads[2], Tensor(), state_shape);

  Tensor dx = make_float_output(in[0].shape()), dh0 = make_float_output(state_shape),
         dc0 = make_float_output(state_shape);
  // oneDNN adds the weight gradients to what the buffers hold.
  Tensor dw = filled(DType::Float32, in[3].shape(), 0.0), dr = filled(DType::Float32, in[4].shape(), 0.0),
         db = filled(DType::Float32, in[5].shape(), 0.0);
  if (s.batch * s.steps == 0) return {dx, dh0, dc0, dw, dr, db};
  const BackwardEntry& e = cached<BackwardEntry>(s, 2, [&] { return make_backward(s); });
  float* dw_target = e.diff_weights_reorder
                         ? onednn::thread_buffer(onednn::kGradientSlot, e.diff_weights.get_size() / sizeof(float))
                         : dw.data<float>();
  float* dr_target = e.diff_recurrent_reorder
                         ? onednn::thread_buffer(onednn::kRecurrentGradSlot, e.diff_recurrent.get_size() / sizeof(float))
                         : dr.data<float>();
  if (e.diff_weights_reorder) std::memset(dw_target, 0, e.diff_weights.get_size());
  if (e.diff_recurrent_reorder) std::memset(dr_target, 0, e.diff_recurrent.get_size());
  onednn::run(
      e.prim,
      {{DNNL_ARG_SRC_LAYER, e.d.sequence_in, in[0].data<float>()},
       {DNNL_ARG_SRC_ITER, e.d.state, in[1].data<float>()},
       {DNNL_ARG_SRC_ITER_C, e.d.state, in[2].data<float>()},
       {DNNL_ARG_WEIGHTS_LAYER, e.weights,
        onednn::in_layout(e.weights_reorder, e.d.weights, e.weights, in[3].data<float>(), onednn::kWeightsSlot)},
       {DNNL_ARG_WEIGHTS_ITER, e.recurrent,
        onednn::in_layout(e.recurrent_reorder, e.d.recurrent, e.recurrent, in[4].data<float>(),
                          onednn::kRecurrentSlot)},
       {DNNL_ARG_BIAS, e.d.bias, in[5].data<float>()},
       {DNNL_ARG_DST_LAYER, e.d.sequence_out, sequence.data<float>()},
       {DNNL_ARG_DST_ITER, e.d.state, ctx.outputs[1].data<float>()},
       {DNNL_ARG_DST_ITER_C, e.d.state, ctx.outputs[2].data<float>()},
       {DNNL_ARG_WORKSPACE, e.workspace, workspace.raw_data()},
       {DNNL_ARG_DIFF_SRC_LAYER, e.d.sequence_in, dx.data<float>()},
       {DNNL_ARG_DIFF_SRC_ITER, e.d.state, dh0.data<float>()},
       {DNNL_ARG_DIFF_SRC_ITER_C, e.d.state, dc0.data<float>()},
       {DNNL_ARG_DIFF_WEIGHTS_LAYER, e.diff_weights, dw_target},
       {DNNL_ARG_DIFF_WEIGHTS_ITER, e.diff_recurrent, dr_target},
       {DNNL_ARG_DIFF_BIAS, e.d.bias, db.data<float>()},
       {DNNL_ARG_DIFF_DST_LAYER, e.d.sequence_out, diff_sequence.data<float>()},
       {DNNL_ARG_DIFF_DST_ITER, e.d.state, diff_h.data<float>()},
       {DNNL_ARG_DIFF_DST_ITER_C, e.d.state, diff_c.data<float>()}},
      e.scratch);
  if (e.diff_weights_reorder) onednn::reorder(*e.diff_weights_reorder, e.diff_weights, dw_target, e.d.weights, dw.data<float>());
  if (e.diff_recurrent_reorder)
    onednn::reorder(*e.diff_recurrent_reorder, e.diff_recurrent, dr_target, e.d.recurrent, dr.data<float>());
  return {dx, dh0, dc0, dw, dr, db};
}

}  // namespace

std::vector<OpDef> fused_lstm_ops() {
  std::vector<OpDef> defs;
  defs.push_back(OpDef{kOp, kOp, fused_lstm_kernel, fused_lstm_gradient});
  return defs;
}

}  // namespace ksave::detail
