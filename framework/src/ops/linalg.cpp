// Matrix products: MatMul (2-D, or a rank > 2 `a` contracted over its last axis as Dense does on
// sequences) and BatchMatMulV2 (broadcast batch axes), on the tensors' row-major storage through
// oneDNN (chosen by measurement over OpenBLAS, BLIS and Eigen; see benchmarks/README.md), which
// picks AVX2 or AVX-512 code at run time and splits large products over the intra-op threads:
// - tiny products (a single sample through a small Dense) call dnnl_sgemm: a few hundred
//   nanoseconds, where a primitive's execution costs microseconds;
// - the others run a matmul primitive cached per shape, with ksave's per-thread scratchpad:
//   sgemm would allocate its packing buffers on every call.
// At inference a Dense layer's kernel is packed, at its second call, into the layout the primitive
// reads fastest (measured: 8-20% less time per product than reading the row-major kernel, the
// same bits out); a kernel used once is read as it is, without the copy.
#include <dnnl.h>

#include <algorithm>
#include <array>
#include <optional>
#include <span>

#include "broadcast.hpp"
#include "dnnl_support.hpp"
#include "epilogue.hpp"
#include "gradient_util.hpp"
#include "kernel_util.hpp"
#include "op_groups.hpp"
#include "parallel.hpp"
#include "reordered_weights.hpp"

namespace ksave::detail {

namespace {

using Index = std::int64_t;
using dnnl::memory;

// Below this many multiply-adds sgemm neither packs nor threads (no allocation either).
constexpr Index kTinyProduct = 32768;

// A stored matrix and whether the product reads it transposed.
struct Operand {
  const float* data;
  Index rows, cols;  // as stored
  bool transposed;
  Index out_rows() const { return transposed ? cols : rows; }
  Index out_cols() const { return transposed ? rows : cols; }
  // oneDNN's view: the (out_rows x out_cols) matrix op(stored), through strides.
  memory::desc desc() const {
    return onednn::plain({out_rows(), out_cols()}, transposed ? memory::dims{1, cols} : memory::dims{cols, 1});
  }
};

std::string product_text(Index m, Index k, Index n) {
  return "(" + std::to_string(m) + " x " + std::to_string(k) + ") * (" + std::to_string(k) + " x " +
         std::to_string(n) + ")";
}

void tiny_gemm(const Operand& a, const Operand& b, float* out) {
  const Index m = a.out_rows(), k = a.out_cols(), n = b.out_cols();
  apply_threads(threads_for(2.0 * static_cast<double>(m * n * k)));
  const dnnl_status_t status = dnnl_sgemm(a.transposed ? 'T' : 'N', b.transposed ? 'T' : 'N', m, n, k, 1.0f, a.data,
                                          a.cols, b.data, b.cols, 0.0f, out, n);
  if (status != dnnl_success)
    throw Error("MatMul: oneDNN sgemm failed with status " + std::to_string(static_cast<int>(status)) + " for " +
                product_text(m, k, n));
}

struct MatmulEntry {
  memory::desc a, b, c, bias, scratch;
  dnnl::matmul prim;
  memory::desc stored_b;                  // b as the caller stores it
  std::optional<dnnl::reorder> pack_b;    // stored_b -> b, when the primitive chose its own layout
};

// `packed_b`: the primitive picks b's layout (b is a kernel, packed once per value by the caller).
const MatmulEntry& matmul_entry(const Operand& a, const Operand& b, const Epilogue& epilogue, bool packed_b) {
  static onednn::PrimitiveCache<MatmulEntry> cache;
  const onednn::PrimitiveKey key{a.rows,        a.cols,          a.transposed, b.rows, b.cols, b.transposed,
                                 epilogue.key(), packed_b ? 1 : 0};
  const double flops = 2.0 * static_cast<double>(a.out_rows() * a.out_cols() * b.out_cols());
  try {
    return cache.get(key, flops, [&] {
      const Index n = b.out_cols();
      const memory::desc any_b({b.out_rows(), n}, memory::data_type::f32, memory::format_tag::any);
      MatmulEntry e{a.desc(), packed_b ? any_b : b.desc(), onednn::plain({a.out_rows(), n}, {n, 1}),
                    onednn::plain({1, n}, {n, 1}), {}, {}, b.desc(), {}};
      const auto desc = epilogue.bias ? dnnl::matmul::desc(e.a, e.b, e.bias, e.c) : dnnl::matmul::desc(e.a, e.b, e.c);
      const dnnl::matmul::primitive_desc pd(desc, onednn::attributes(epilogue.post_ops()), onednn::engine());
      e.b = pd.weights_desc();
      e.pack_b = onednn::reorder_between(e.stored_b, e.b);
      e.scratch = pd.scratchpad_desc();
      e.prim = dnnl::matmul(pd);
      return e;
    });
  } catch (const dnnl::error& e) {
    onednn::fail("MatMul " + product_text(a.out_rows(), a.out_cols(), b.out_cols()), e);
  }
}

// out (m x n, row-major) = epilogue(op(a) * op(b)). `kernel`: the tensor b reads, when it is a
// layer's kernel (the same values call after call at inference), packed from its second call.
void gemm(const Operand& a, const Operand& b, float* out, const Epilogue& epilogue = {},
          const Tensor* kernel = nullptr) {
  const Index m = a.out_rows(), k = a.out_cols(), n = b.out_cols();
  if (m == 0 || n == 0) return;
  if (k == 0 || m * n * k <= kTinyProduct) {
    if (k == 0) std::fill_n(out, m * n, 0.0f);
    else tiny_gemm(a, b, out);
    epilogue.apply(out, m, n);
    return;
  }
  const bool pack = kernel && !ops_observed();
  const MatmulEntry* entry = &matmul_entry(a, b, epilogue, pack);
  static onednn::ReorderedWeights packed_kernels;
  std::shared_ptr<const Storage> kept;  // held while the primitive reads it
  if (entry->pack_b) {
    // Packed from the kernel's second use on: a one-shot predict reads it as it is.
    kept = packed_kernels.get(*kernel, *entry->pack_b, entry->stored_b, entry->b, onednn::ReorderFrom::second_use);
    if (!kept) entry = &matmul_entry(a, b, epilogue, false);
  }
  const MatmulEntry& e = *entry;
  // On the stack, the bias last: a steady-state call allocates nothing here.
  const std::array<onednn::Arg, 4> args{{{DNNL_ARG_SRC, e.a, a.data},
                                         {DNNL_ARG_WEIGHTS, e.b, kept ? kept->data() : b.data},
                                         {DNNL_ARG_DST, e.c, out},
                                         {DNNL_ARG_BIAS, e.bias, epilogue.bias}}};
  onednn::run(e.prim, std::span(args).first(epilogue.bias ? 4 : 3), e.scratch);
}

}  // namespace

void kernel_product(const float* a, Index rows, const Tensor& kernel, Index k, Index n, float* out,
                    const Epilogue& epilogue) {
  if (kernel.dtype() != DType::Float32 || kernel.size() != k * n)
    throw Error("kernel_product: expected a float32 kernel of " + std::to_string(k * n) + " values, got " +
                shape_str(kernel));
  gemm(Operand{a, rows, k, false}, Operand{kernel.data<float>(), k, n, false}, out, epilogue, &kernel);
}

namespace {

std::string operand_text(const char* name, const Tensor& t, bool transposed) {
  return std::string(name) + " is " + shape_str(t) + (transposed ? " (transposed)" : "");
}

// `b_is_kernel`: b_in is a layer's kernel (see gemm).
Tensor matmul_kernel(const Tensor& a_in, const Tensor& b_in, bool ta, bool tb, const Epilogue& epilogue = {},
                     const char* op = "MatMul", bool b_is_kernel = false) {
  if (a_in.rank() < 2 || b_in.rank() != 2)
    throw Error(std::string(op) + ": expected a of rank >= 2 and b of rank 2, got a " + shape_str(a_in) +
                " and b " + shape_str(b_in));
  if (ta && a_in.rank() > 2)
    throw Error(std::string(op) + ": transpose_a needs a 2-D a, got " + shape_str(a_in));
  Tensor a_converted, b_converted;
  const Tensor& a = float_view(a_in, a_converted);
  const Tensor& b = float_view(b_in, b_converted);
  // A rank > 2 `a` is viewed as a (rows x last-axis) matrix: row-major storage makes that free.
  const Index a_cols = a.dim(-1);
  const Index a_rows = product(a.shape(), 0, a.rank() - 1);
  const Operand oa{a.data<float>(), a_rows, a_cols, ta};
  const Operand ob{b.data<float>(), b.dim(0), b.dim(1), tb};
  if (oa.out_cols() != ob.out_rows())
    throw Error(std::string(op) + ": inner dimensions differ: " + operand_text("a", a, ta) + ", " +
                operand_text("b", b, tb));
  Shape out_shape = a.shape();
  if (ta)
    out_shape = {oa.out_rows(), ob.out_cols()};
  else
    out_shape.back() = ob.out_cols();
  Tensor out = make_float_output(std::move(out_shape));
  // A converted b is a new tensor each call: nothing to keep.
  const bool keep_b = b_is_kernel && &b == &b_in && !tb;
  gemm(oa, ob, out.data<float>(), epilogue, keep_b ? &b : nullptr);
  return out;
}

Tensors matmul_gradient(const GradientContext& ctx) {
  const Tensor& g = ctx.output_grads[0];
  if (!g.defined()) return {Tensor(), Tensor()};
  const bool ta = attr_or<bool>(ctx.attrs, "transpose_a", false, "MatMul");
  const bool tb = attr_or<bool>(ctx.attrs, "transpose_b", false, "MatMul");
  const Tensor& a_in = ctx.inputs[0];
  const Tensor& b = ctx.inputs[1];
  // A rank > 2 `a` is a stack of rows: differentiate the 2-D product on the flattened view.
  const bool flat = a_in.rank() > 2;
  const Tensor a = flat ? ops::reshape(a_in, {-1, a_in.dim(-1)}) : a_in;
  const Tensor g2 = flat ? ops::reshape(g, {-1, g.dim(-1)}) : g;
  // Each product (a', b', transposes) as TF's MatMulGrad writes it; only the wanted ones run.
  Tensor da, db;
  if (ctx.wants(0)) {
    if (!ta) da = tb ? ops::matmul(g2, b, false, false) : ops::matmul(g2, b, false, true);
    else da = tb ? ops::matmul(b, g2, true, true) : ops::matmul(b, g2, false, true);
  }
  if (ctx.wants(1)) {
    if (!tb) db = ta ? ops::matmul(a, g2, false, false) : ops::matmul(a, g2, true, false);
    else db = ta ? ops::matmul(g2, a, true, true) : ops::matmul(g2, a, true, false);
  }
  if (flat && da.defined()) da = ops::reshape(da, a_in.shape());
  return {da, db};
}

Tensor batch_matmul_kernel(const Tensor& a_in, const Tensor& b_in, bool adj_x, bool adj_y) {
  if (a_in.rank() < 2 || b_in.rank() < 2)
    throw Error("BatchMatMulV2: expected inputs of rank >= 2, got a " + shape_str(a_in) +
                " and b " + shape_str(b_in));
  Tensor a_converted, b_converted;
  const Tensor& a = float_view(a_in, a_converted);
  const Tensor& b = float_view(b_in, b_converted);
  const Index a_rows = a.dim(-2), a_cols = a.dim(-1);
  const Index b_rows = b.dim(-2), b_cols = b.dim(-1);
  const Operand oa{nullptr, a_rows, a_cols, adj_x};
  const Operand ob{nullptr, b_rows, b_cols, adj_y};
  if (oa.out_cols() != ob.out_rows())
    throw Error("BatchMatMulV2: inner dimensions differ: " + operand_text("a", a, adj_x) + ", " +
                operand_text("b", b, adj_y));
  const Shape a_batch(a.shape().begin(), a.shape().end() - 2);
  const Shape b_batch(b.shape().begin(), b.shape().end() - 2);
  const BroadcastPlan plan = plan_broadcast(a_batch, b_batch, "BatchMatMulV2");
  Shape out_shape = plan.out_shape;
  const Index m = oa.out_rows(), n = ob.out_cols();
  out_shape.push_back(m);
  out_shape.push_back(n);
  Tensor out = make_float_output(out_shape);

  // Matrix index pairs, one per output matrix, in output order.
  std::vector<std::pair<std::int64_t, std::int64_t>> pairs;
  pairs.reserve(static_cast<std::size_t>(plan.out_size));
  for_each_run(plan, [&](std::int64_t, const Offsets& off, std::int64_t count, const Offsets& s) {
    for (std::int64_t j = 0; j < count; ++j)
      pairs.emplace_back(off[0] + j * s[0], off[1] + j * s[1]);
  });
  const double flops_each =
      2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(oa.out_cols());
  const float* pa = a.data<float>();
  const float* pb = b.data<float>();
  float* pc = out.data<float>();
  const auto one = [&](std::size_t i) {
    Operand x = oa, y = ob;
    x.data = pa + pairs[i].first * a_rows * a_cols;
    y.data = pb + pairs[i].second * b_rows * b_cols;
    gemm(x, y, pc + static_cast<std::int64_t>(i) * m * n);
  };
  if (pairs.size() == 1) {
    one(0);  // a single product splits its own output across the threads
  } else {
    // Many products: one per thread at a time (sgemm runs serially inside a parallel region).
    parallel_chunks(static_cast<std::int64_t>(pairs.size()),
                    flops_each * static_cast<double>(pairs.size()),
                    [&](std::int64_t begin, std::int64_t end) {
                      for (std::int64_t i = begin; i < end; ++i) one(static_cast<std::size_t>(i));
                    });
  }
  return out;
}

Tensors batch_matmul_gradient(const GradientContext& ctx) {
  const Tensor& g = ctx.output_grads[0];
  if (!g.defined()) return {Tensor(), Tensor()};
  const bool adj_x = attr_or<bool>(ctx.attrs, "adj_x", false, "BatchMatMulV2");
  const bool adj_y = attr_or<bool>(ctx.attrs, "adj_y", false, "BatchMatMulV2");
  const Tensor& a = ctx.inputs[0];
  const Tensor& b = ctx.inputs[1];
  Tensor da, db;
  if (!adj_x && !adj_y) {
    da = ops::batch_matmul(g, b, false, true);
    db = ops::batch_matmul(a, g, true, false);
  } else if (adj_x && !adj_y) {
    da = ops::batch_matmul(b, g, false, true);
    db = ops::batch_matmul(a, g, false, false);
  } else if (!adj_x && adj_y) {
    da = ops::batch_matmul(g, b, false, false);
    db = ops::batch_matmul(g, a, true, false);
  } else {
    da = ops::batch_matmul(b, g, true, true);
    db = ops::batch_matmul(g, a, true, true);
  }
  // Batch axes that were broadcast are summed back.
  return {ops::reduce_to_shape(da, a.shape()), ops::reduce_to_shape(db, b.shape())};
}

}  // namespace

Tensor matmul_with_epilogue(const Tensor& a, const Tensor& kernel, const Epilogue& epilogue, const char* op) {
  return matmul_kernel(a, kernel, false, false, epilogue, op, true);
}

std::vector<OpDef> linalg_ops() {
  std::vector<OpDef> defs;
  defs.push_back(OpDef{"MatMul", "MatMul",
                       [](std::span<const Tensor> in, const Attrs& attrs) -> Tensors {
                         expect_inputs("MatMul", in, 2);
                         return one_output(matmul_kernel(
                             in[0], in[1], attr_or<bool>(attrs, "transpose_a", false, "MatMul"),
                             attr_or<bool>(attrs, "transpose_b", false, "MatMul")));
                       },
                       matmul_gradient});
  defs.push_back(OpDef{"BatchMatMulV2", "BatchMatMulV2",
                       [](std::span<const Tensor> in, const Attrs& attrs) -> Tensors {
                         expect_inputs("BatchMatMulV2", in, 2);
                         return one_output(batch_matmul_kernel(
                             in[0], in[1], attr_or<bool>(attrs, "adj_x", false, "BatchMatMulV2"),
                             attr_or<bool>(attrs, "adj_y", false, "BatchMatMulV2")));
                       },
                       batch_matmul_gradient});
  return defs;
}

}  // namespace ksave::detail
