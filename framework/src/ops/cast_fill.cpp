// Cast and the *Like constructors.
#include "gradient_util.hpp"
#include "kernel_util.hpp"
#include "op_groups.hpp"

namespace ksave::detail {

namespace {

DType cast_target(const Attrs& attrs) {
  return parse_dtype(attr<std::string>(attrs, "DstT", "Cast"));
}

bool differentiable(DType t) { return is_floating(t); }

Tensors cast_kernel(std::span<const Tensor> in, const Attrs& attrs) {
  expect_inputs("Cast", in, 1);
  const DType to = cast_target(attrs);
  // Same dtype: the input itself (tensors are immutable, sharing is safe). Otherwise
  // Tensor::cast does the conversion for every dtype pair, with NumPy's astype rules.
  if (in[0].dtype() == to) return one_output(in[0]);
  return one_output(in[0].cast(to));
}

Tensors cast_gradient(const GradientContext& ctx) {
  // Gradients flow only between floating types; a cast from or to an integer type cuts them.
  const Tensor& g = ctx.output_grads[0];
  const DType from = ctx.inputs[0].dtype();
  if (!g.defined() || !differentiable(from) || !differentiable(cast_target(ctx.attrs)))
    return {Tensor()};
  return {ops::cast(g, from)};
}

OpDef fill_like(const char* name, double value) {
  Kernel kernel = [name, value](std::span<const Tensor> in, const Attrs&) -> Tensors {
    expect_inputs(name, in, 1);
    return one_output(filled(in[0].dtype(), in[0].shape(), value));
  };
  return OpDef{name, name, std::move(kernel), nullptr};
}

}  // namespace

std::vector<OpDef> cast_fill_ops() {
  std::vector<OpDef> defs;
  defs.push_back(OpDef{"Cast", "Cast", cast_kernel, cast_gradient});
  defs.push_back(fill_like("ZerosLike", 0.0));
  defs.push_back(fill_like("OnesLike", 1.0));
  return defs;
}

}  // namespace ksave::detail
