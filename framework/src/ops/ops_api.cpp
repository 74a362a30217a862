// The ksave::ops free functions: each builds its op's attributes and goes through run_op, so the
// tape and the tracer see every call. The OpDef is looked up once per op (a function-local
// static per name); attribute sets that never vary are built once too, which keeps the per-call
// overhead of small models (a few hundred nanoseconds per op) free of string allocations.
#include <algorithm>
#include <array>
#include <span>

#include "kernel_util.hpp"
#include "ksave/ops.hpp"

namespace ksave::ops {

namespace {

// An op name usable as a template argument, so each name gets its own cached OpDef.
template <std::size_t N>
struct OpName {
  char value[N];
  constexpr OpName(const char (&name)[N]) {
    std::copy_n(name, N, value);
  }  // NOLINT: implicit by design
};

template <OpName Name>
const OpDef& def() {
  static const OpDef& cached = find_op(Name.value);
  return cached;
}

const Attrs& no_attrs() {
  static const Attrs empty;
  return empty;
}

template <OpName Name>
Tensor call(std::span<const Tensor> inputs, const Attrs& attrs = no_attrs()) {
  Tensors out = run_op(def<Name>(), inputs, attrs);
  return std::move(out[0]);
}

// A one-input op's inputs, without copying the tensor (a copy allocates its shape). Ops with
// more inputs must copy them into one array, as run_op takes a contiguous span.
std::span<const Tensor> one(const Tensor& x) { return {&x, 1}; }

// The four attribute sets of a pair of boolean flags (MatMul's transposes, BatchMatMulV2's
// adjoints), indexed by flags(a, b).
std::array<Attrs, 4> flag_table(const char* first, const char* second) {
  std::array<Attrs, 4> table;
  for (std::size_t i = 0; i < 4; ++i) table[i] = Attrs{{first, i / 2 == 1}, {second, i % 2 == 1}};
  return table;
}
std::size_t flags(bool a, bool b) {
  return static_cast<std::size_t>(a) * 2 + static_cast<std::size_t>(b);
}

Attrs reduction_attrs(std::vector<std::int64_t> axes, bool keepdims) {
  return Attrs{{"axis", std::move(axes)}, {"keep_dims", keepdims}};
}

}  // namespace

// ---- elementwise, one input ----
Tensor neg(const Tensor& x) { return call<"Neg">(one(x)); }
Tensor abs(const Tensor& x) { return call<"Abs">(one(x)); }
Tensor exp(const Tensor& x) { return call<"Exp">(one(x)); }
Tensor log(const Tensor& x) { return call<"Log">(one(x)); }
Tensor log1p(const Tensor& x) { return call<"Log1p">(one(x)); }
Tensor sqrt(const Tensor& x) { return call<"Sqrt">(one(x)); }
Tensor rsqrt(const Tensor& x) { return call<"Rsqrt">(one(x)); }
Tensor square(const Tensor& x) { return call<"Square">(one(x)); }
Tensor sign(const Tensor& x) { return call<"Sign">(one(x)); }
Tensor floor(const Tensor& x) { return call<"Floor">(one(x)); }
Tensor tanh(const Tensor& x) { return call<"Tanh">(one(x)); }
Tensor sigmoid(const Tensor& x) { return call<"Sigmoid">(one(x)); }
Tensor relu(const Tensor& x) { return call<"Relu">(one(x)); }
Tensor elu(const Tensor& x) { return call<"Elu">(one(x)); }
Tensor selu(const Tensor& x) { return call<"Selu">(one(x)); }
Tensor softplus(const Tensor& x) { return call<"Softplus">(one(x)); }
Tensor softsign(const Tensor& x) { return call<"Softsign">(one(x)); }
Tensor erf(const Tensor& x) { return call<"Erf">(one(x)); }
Tensor leaky_relu(const Tensor& x, double alpha) {
  return call<"LeakyRelu">(one(x), Attrs{{"alpha", alpha}});
}
Tensor clip(const Tensor& x, double lo, double hi) {
  return call<"ClipByValue">(one(x), Attrs{{"clip_value_min", lo}, {"clip_value_max", hi}});
}

// ---- elementwise, two inputs ----
Tensor add(const Tensor& a, const Tensor& b) { return call<"AddV2">(std::array{a, b}); }
Tensor sub(const Tensor& a, const Tensor& b) { return call<"Sub">(std::array{a, b}); }
Tensor mul(const Tensor& a, const Tensor& b) { return call<"Mul">(std::array{a, b}); }
Tensor div(const Tensor& a, const Tensor& b) { return call<"RealDiv">(std::array{a, b}); }
Tensor maximum(const Tensor& a, const Tensor& b) { return call<"Maximum">(std::array{a, b}); }
Tensor minimum(const Tensor& a, const Tensor& b) { return call<"Minimum">(std::array{a, b}); }
Tensor pow(const Tensor& a, const Tensor& b) { return call<"Pow">(std::array{a, b}); }
Tensor squared_difference(const Tensor& a, const Tensor& b) {
  return call<"SquaredDifference">(std::array{a, b});
}
Tensor greater(const Tensor& a, const Tensor& b) { return call<"Greater">(std::array{a, b}); }
Tensor equal(const Tensor& a, const Tensor& b) { return call<"Equal">(std::array{a, b}); }
Tensor select(const Tensor& cond, const Tensor& x, const Tensor& y) {
  return call<"SelectV2">(std::array{cond, x, y});
}
Tensor add(const Tensor& a, double b) { return add(a, constant(b)); }
Tensor mul(const Tensor& a, double b) { return mul(a, constant(b)); }

// ---- linear algebra ----
Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b) {
  static const std::array<Attrs, 4> table = flag_table("transpose_a", "transpose_b");
  return call<"MatMul">(std::array{a, b}, table[flags(transpose_a, transpose_b)]);
}
Tensor batch_matmul(const Tensor& a, const Tensor& b, bool adj_x, bool adj_y) {
  static const std::array<Attrs, 4> table = flag_table("adj_x", "adj_y");
  return call<"BatchMatMulV2">(std::array{a, b}, table[flags(adj_x, adj_y)]);
}
Tensor bias_add(const Tensor& x, const Tensor& bias) {
  static const Attrs attrs{{"data_format", std::string("NHWC")}};
  return call<"BiasAdd">(std::array{x, bias}, attrs);
}

// ---- reductions ----
Tensor sum(const Tensor& x, std::vector<std::int64_t> axes, bool keepdims) {
  return call<"Sum">(one(x), reduction_attrs(std::move(axes), keepdims));
}
Tensor mean(const Tensor& x, std::vector<std::int64_t> axes, bool keepdims) {
  return call<"Mean">(one(x), reduction_attrs(std::move(axes), keepdims));
}
Tensor max(const Tensor& x, std::vector<std::int64_t> axes, bool keepdims) {
  return call<"Max">(one(x), reduction_attrs(std::move(axes), keepdims));
}
Tensor min(const Tensor& x, std::vector<std::int64_t> axes, bool keepdims) {
  return call<"Min">(one(x), reduction_attrs(std::move(axes), keepdims));
}
Tensor argmax(const Tensor& x, std::int64_t axis) {
  return call<"ArgMax">(one(x), Attrs{{"axis", axis}});
}

// ---- normalisation ----
Tensor softmax(const Tensor& x, std::int64_t axis) {
  return call<"Softmax">(one(x), Attrs{{"axis", axis}});
}
Tensor log_softmax(const Tensor& x, std::int64_t axis) {
  return call<"LogSoftmax">(one(x), Attrs{{"axis", axis}});
}

// ---- shape ----
Tensor reshape(const Tensor& x, const Shape& shape) {
  // Unobserved (no tape, tracer or profiler), the Reshape op is only its kernel, a view of the same
  // storage: computed here directly, as its shape attribute (an int list) would allocate per call.
  if (!ops_observed()) return detail::reshaped(x, {shape.data(), shape.size()}, "Reshape");
  return call<"Reshape">(one(x), Attrs{{"shape", to_dims(shape)}});
}
Tensor transpose(const Tensor& x, const std::vector<std::int64_t>& perm) {
  return call<"Transpose">(one(x), Attrs{{"perm", perm}});
}
Tensor concat(const std::vector<Tensor>& xs, std::int64_t axis) {
  return std::move(run_op(def<"ConcatV2">(), xs, Attrs{{"axis", axis}})[0]);
}
Tensor stack(const std::vector<Tensor>& xs, std::int64_t axis) {
  return std::move(run_op(def<"Pack">(), xs, Attrs{{"axis", axis}})[0]);
}
Tensor slice(const Tensor& x, const std::vector<std::int64_t>& begin,
             const std::vector<std::int64_t>& size) {
  return call<"Slice">(one(x), Attrs{{"begin", begin}, {"size", size}});
}
Tensor expand_dims(const Tensor& x, std::int64_t axis) {
  return call<"ExpandDims">(one(x), Attrs{{"axis", axis}});
}
Tensor squeeze(const Tensor& x, std::vector<std::int64_t> axes) {
  return call<"Squeeze">(one(x), Attrs{{"squeeze_dims", std::move(axes)}});
}
Tensor tile(const Tensor& x, const std::vector<std::int64_t>& multiples) {
  return call<"Tile">(one(x), Attrs{{"multiples", multiples}});
}
Tensor gather(const Tensor& params, const Tensor& indices, std::int64_t axis) {
  return call<"GatherV2">(std::array{params, indices}, Attrs{{"axis", axis}});
}
Tensor pad(const Tensor& x, const std::vector<std::pair<std::int64_t, std::int64_t>>& pads,
           double value) {
  std::vector<std::int64_t> flat;
  flat.reserve(pads.size() * 2);
  for (const auto& [before, after] : pads) flat.insert(flat.end(), {before, after});
  return call<"PadV2">(one(x), Attrs{{"paddings", std::move(flat)}, {"constant_values", value}});
}
Tensor cast(const Tensor& x, DType dtype) {
  return call<"Cast">(one(x), Attrs{{"DstT", std::string(dtype_name(dtype))}});
}
Tensor one_hot(const Tensor& indices, std::int64_t depth) {
  return call<"OneHot">(one(indices), Attrs{{"depth", depth}});
}
Tensor zeros_like(const Tensor& x) { return call<"ZerosLike">(one(x)); }
Tensor ones_like(const Tensor& x) { return call<"OnesLike">(one(x)); }
Tensor reduce_to_shape(const Tensor& grad, const Shape& shape) {
  if (grad.shape() == shape) return grad;  // nothing was broadcast: no op to record
  return call<"SumToShape">(one(grad), Attrs{{"shape", to_dims(shape)}});
}

Tensor constant(double value) { return Tensor::scalar<float>(static_cast<float>(value)); }

}  // namespace ksave::ops
