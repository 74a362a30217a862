// FusedMatMul and FusedConv2D (internal; TensorFlow's grappler makes the same fusions, as
// _FusedMatMul and _FusedConv2D): a Dense or Conv2D layer's product, bias and ReLU in one op,
// computed by one oneDNN primitive (epilogue.hpp).
//
//   inputs: x, kernel (MatMul's b, or Conv2D's HWIO filter), and optionally the bias (one value
//           per output channel); FusedConv2D optionally a fourth, the addend (the bias then may be
//           undefined): the output's shape, float32, which the op adds its result to in place (a
//           residual Add inside the convolution; the addend's storage becomes the output's, so
//           the caller hands over a tensor nothing else holds); or six, the fourth undefined and
//           the fifth and sixth a depthwise stage's [3, 3, 1, C] filter and bias (C,), run on the
//           output inside the same primitive (ksave/depthwise_stage.hpp)
//   depthwise attrs: "depthwise" (stride, pad_top, pad_left, out_h, out_w), "depthwise_activation"
//   attrs:  activation: "linear" (default) or "relu"; FusedConv2D takes Conv2D's window attrs and,
//           with an addend, sum_activation: the activation after the sum ("linear" by default)
//
// Inference only: they have no gradient, so layers use them only when no observer watches the
// ops (no tape, no tracer: ops_observed() is false) and keep MatMul/Conv2D, BiasAdd and the
// activation otherwise — training and traced functions see exactly the ops they saw before.
#include "epilogue.hpp"
#include "kernel_util.hpp"
#include "op_groups.hpp"

namespace ksave::detail {

namespace {

// The epilogue of a fused op's inputs and attrs; `bias` keeps a float32 conversion alive.
Epilogue epilogue_of(std::span<const Tensor> in, const Attrs& attrs, Tensor& bias_converted, std::int64_t channels,
                     const char* op, bool takes_addend = false) {
  if (in.size() != 2 && !(takes_addend && (in.size() == 4 || in.size() == 6))) expect_inputs(op, in, 3);
  if (ops_observed())
    throw Error(std::string(op) + ": an inference-only op ran under a tape or tracer, which needs the separate "
                                  "product, BiasAdd and activation ops");
  Epilogue e;
  e.activation = fused_activation(attrs, op);
  e.sum = in.size() >= 4 && in[3].defined();
  // Looked up in place: a string copied per call would allocate.
  if (const AttrValue* value = attrs.find("sum_activation")) {
    const auto* name = std::get_if<std::string>(value);
    if (!name || !e.sum)
      throw Error(std::string(op) + ": attribute 'sum_activation' needs a string value and an addend (a fourth input)");
    e.after_sum = fused_activation_named(*name, op);
  }
  if (in.size() >= 3 && in[2].defined()) {
    const Tensor& bias = float_view(in[2], bias_converted);
    if (bias.shape() != Shape{channels})
      throw Error(std::string(op) + ": bias is " + shape_str(bias) + ", expected (" + std::to_string(channels) +
                  ",), one value per output channel");
    e.bias = bias.data<float>();
  }
  return e;
}

// The depthwise stage of FusedConv2D's six inputs and attrs.
DepthwiseTail depthwise_stage_of(std::span<const Tensor> in, const Attrs& attrs, const char* op) {
  // Read in place: copies of the list would allocate on every call.
  const AttrValue* value = attrs.find("depthwise");
  const auto* list = value ? std::get_if<std::vector<std::int64_t>>(value) : nullptr;
  static const std::vector<std::int64_t> none;
  const std::vector<std::int64_t>& form = list ? *list : none;
  const Tensor& filter = in[4];
  const Tensor& bias = in[5];
  if (form.size() != 5 || filter.dtype() != DType::Float32 || filter.rank() != 4 || filter.dim(2) != 1 ||
      !bias.defined() || bias.dtype() != DType::Float32 || bias.shape() != Shape{filter.dim(3)})
    throw Error(std::string(op) + ": a depthwise stage needs attribute 'depthwise' (stride, pad_top, pad_left, "
                                  "out_h, out_w), a float32 [kh, kw, 1, C] filter and a float32 (C,) bias; found " +
                std::to_string(form.size()) + " values, filter " + shape_str(filter) + ", bias " + shape_str(bias));
  DepthwiseTail tail;
  tail.filter = &filter;
  tail.bias = bias.data<float>();
  tail.stride = form[0];
  tail.pad_top = form[1];
  tail.pad_left = form[2];
  tail.out_h = form[3];
  tail.out_w = form[4];
  const AttrValue* activation = attrs.find("depthwise_activation");
  const auto* name = activation ? std::get_if<std::string>(activation) : nullptr;
  tail.activation = name ? fused_activation_named(*name, op) : FusedActivation::none;
  return tail;
}

Tensors fused_matmul_kernel(std::span<const Tensor> in, const Attrs& attrs) {
  const char* op = "FusedMatMul";
  expect_min_inputs(op, in, 2);
  Tensor ac, bc, biasc;
  const Tensor& a = float_view(in[0], ac);
  const Tensor& b = float_view(in[1], bc);
  const Epilogue e = epilogue_of(in, attrs, biasc, b.rank() == 2 ? b.dim(1) : -1, op);
  return one_output(matmul_with_epilogue(a, b, e, op));
}

Tensors fused_conv2d_kernel(std::span<const Tensor> in, const Attrs& attrs) {
  const char* op = "FusedConv2D";
  expect_min_inputs(op, in, 2);
  Tensor xc, fc, biasc;
  const Tensor& x = float_view(in[0], xc);
  const Tensor& f = float_view(in[1], fc);
  const Epilogue e = epilogue_of(in, attrs, biasc, f.rank() == 4 ? f.dim(3) : -1, op, true);
  if (in.size() == 6) {
    if (e.sum) throw Error(std::string(op) + ": an addend and a depthwise stage cannot both follow the product");
    return one_output(conv2d_with_depthwise(x, f, attrs, e, depthwise_stage_of(in, attrs, op), op));
  }
  return one_output(conv2d_with_epilogue(x, f, attrs, e, op, e.sum ? in[3] : Tensor()));
}

}  // namespace

std::vector<OpDef> fused_ops() {
  std::vector<OpDef> defs;
  defs.push_back(OpDef{"FusedMatMul", "_FusedMatMul", fused_matmul_kernel, {}});
  defs.push_back(OpDef{"FusedConv2D", "_FusedConv2D", fused_conv2d_kernel, {}});
  return defs;
}

}  // namespace ksave::detail
