// Unpack (tf.unstack): splits a tensor along an axis into that many tensors, each without the
// axis. Its gradient packs the output gradients back (zeros for unused outputs). Recurrent layers
// use it to take every time step of the fused input projection at once: a Slice per step would
// make each step's gradient a zero-padded copy of the whole sequence (quadratic in the steps).
#include <cstring>

#include "kernel_util.hpp"
#include "ksave/ops.hpp"
#include "op_groups.hpp"

namespace ksave::detail {

namespace {

Tensors unpack_kernel(const Tensor& x, std::int64_t axis_attr) {
  if (x.rank() == 0) throw Error("Unpack: input must have rank >= 1, got a scalar");
  const int axis = normalize_axis(axis_attr, x.rank(), x.shape(), "Unpack");
  const std::int64_t count = x.dim(axis);
  const std::int64_t outer = product(x.shape(), 0, axis);
  const auto inner_bytes = static_cast<std::size_t>(product(x.shape(), axis + 1, x.rank())) * dtype_size(x.dtype());
  if (x.dtype() == DType::String) throw Error("Unpack: string tensors are not supported");
  Shape part_shape = x.shape();
  part_shape.erase(part_shape.begin() + axis);
  Tensors parts;
  parts.reserve(static_cast<std::size_t>(count));
  const auto* src = static_cast<const char*>(x.raw_data());
  for (std::int64_t i = 0; i < count; ++i) {
    Tensor part = Tensor::for_overwrite(x.dtype(), part_shape);
    auto* dst = static_cast<char*>(part.raw_data());
    for (std::int64_t o = 0; o < outer; ++o)
      std::memcpy(dst + static_cast<std::size_t>(o) * inner_bytes,
                  src + static_cast<std::size_t>(o * count + i) * inner_bytes, inner_bytes);
    parts.push_back(std::move(part));
  }
  return parts;
}

Tensors unpack_gradient(const GradientContext& ctx) {
  bool any = false;
  for (const Tensor& g : ctx.output_grads) any = any || g.defined();
  if (!any) return {Tensor()};
  std::vector<Tensor> grads;
  grads.reserve(ctx.output_grads.size());
  for (std::size_t i = 0; i < ctx.output_grads.size(); ++i)
    grads.push_back(ctx.output_grads[i].defined() ? ctx.output_grads[i]
                                                   : Tensor::zeros(DType::Float32, ctx.outputs[i].shape()));
  const int axis = normalize_axis(attr_or<std::int64_t>(ctx.attrs, "axis", 0, "Unpack"), ctx.inputs[0].rank(),
                                  ctx.inputs[0].shape(), "Unpack");
  return {ops::stack(grads, axis)};
}

}  // namespace

std::vector<OpDef> unpack_ops() {
  std::vector<OpDef> defs;
  defs.push_back(OpDef{"Unpack", "Unpack",
                       [](std::span<const Tensor> in, const Attrs& attrs) -> Tensors {
                         expect_inputs("Unpack", in, 1);
                         return unpack_kernel(in[0], attr_or<std::int64_t>(attrs, "axis", 0, "Unpack"));
                       },
                       unpack_gradient});
  return defs;
}

}  // namespace ksave::detail

namespace ksave::ops {

Tensors unstack(const Tensor& x, std::int64_t axis) {
  static const OpDef& op = find_op("Unpack");
  const Tensor inputs[] = {x};
  return run_op(op, inputs, Attrs{{"axis", axis}});
}

}  // namespace ksave::ops
