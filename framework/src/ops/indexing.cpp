// Indexing ops: GatherV2 (and its gradient, UnsortedSegmentSum), OneHot and PadV2.
#include <Eigen/Core>
#include <cstring>

#include "gradient_util.hpp"
#include "kernel_util.hpp"
#include "op_groups.hpp"
#include "strided_copy.hpp"

namespace ksave::detail {

namespace {

using Ints = std::vector<std::int64_t>;

// Every id must lie in [0, limit); checked before any element moves so a bad id can never
// cause an out-of-bounds read or write.
// `what()` names the indexed axis; called only on failure (building the text per call would
// allocate).
template <typename Describe>
void check_ids(const Ints& ids, std::int64_t limit, const Describe& what, const char* op) {
  for (std::int64_t id : ids)
    if (id < 0 || id >= limit)
      throw Error(std::string(op) + ": index " + std::to_string(id) + " is out of range [0, " +
                  std::to_string(limit) + ") for " + what());
}

// ---- GatherV2 ----

Tensor gather_kernel(const Tensor& params, const Tensor& indices, std::int64_t axis_attr) {
  if (params.rank() == 0) throw Error("GatherV2: params must have rank >= 1, got a scalar");
  const int axis = normalize_axis(axis_attr, params.rank(), params.shape(), "GatherV2");
  // This thread's buffer, kept between calls: an Embedding gathers every token of a batch.
  thread_local Ints ids;
  index_values(indices, "GatherV2", ids);
  check_ids(ids, params.dim(axis),
            [&] { return "axis " + std::to_string(axis) + " of params " + shape_str(params); }, "GatherV2");
  const std::size_t bytes = element_bytes(params, "GatherV2");
  const std::int64_t outer = product(params.shape(), 0, axis);
  const std::int64_t rows = params.dim(axis);
  const auto row_bytes =
      static_cast<std::size_t>(product(params.shape(), axis + 1, params.rank())) * bytes;

  Shape out_shape(params.shape().begin(), params.shape().begin() + axis);
  out_shape.insert(out_shape.end(), indices.shape().begin(), indices.shape().end());
  out_shape.insert(out_shape.end(), params.shape().begin() + axis + 1, params.shape().end());
  Tensor out = Tensor::for_overwrite(params.dtype(), out_shape);
  const auto* src = static_cast<const char*>(params.raw_data());
  auto* dst = static_cast<char*>(out.raw_data());
  for (std::int64_t o = 0; o < outer; ++o)
    for (std::int64_t id : ids) {
      std::memcpy(dst, src + static_cast<std::size_t>(o * rows + id) * row_bytes, row_bytes);
      dst += row_bytes;
    }
  return out;
}

// sum of data rows into `num_segments` rows by id; data is (ids..., inner...).
Tensor segment_sum_kernel(const Tensor& data_in, const Tensor& ids_in, std::int64_t segments) {
  Tensor converted;
  const Tensor& data = float_view(data_in, converted);
  const Ints ids = index_values(ids_in, "UnsortedSegmentSum");
  const int id_rank = ids_in.rank();
  const bool prefix =
      data.rank() >= id_rank &&
      std::equal(ids_in.shape().begin(), ids_in.shape().end(), data.shape().begin());
  if (!prefix || segments < 0)
    throw Error("UnsortedSegmentSum: segment ids " + shape_str(ids_in) +
                " must be a prefix of the data shape " + shape_str(data) + " (num_segments " +
                std::to_string(segments) + ")");
  check_ids(ids, segments, [&] { return std::to_string(segments) + " segments"; }, "UnsortedSegmentSum");
  const std::int64_t inner = product(data.shape(), id_rank, data.rank());
  Shape out_shape{segments};
  out_shape.insert(out_shape.end(), data.shape().begin() + id_rank, data.shape().end());
  Tensor out = make_float_output(out_shape);
  Eigen::Map<Eigen::ArrayXf> all(out.data<float>(), out.size());
  all.setZero();
  const float* src = data.data<float>();
  for (std::size_t i = 0; i < ids.size(); ++i)
    Eigen::Map<Eigen::ArrayXf>(out.data<float>() + ids[i] * inner, inner) +=
        Eigen::Map<const Eigen::ArrayXf>(src + static_cast<std::int64_t>(i) * inner, inner);
  return out;
}

Tensor segment_sum(const Tensor& data, const Tensor& ids, std::int64_t segments) {
  static const OpDef& def = find_op("UnsortedSegmentSum");
  const Tensor in[] = {data, ids};
  return run_op(def, in, Attrs{{"num_segments", segments}})[0];
}

Tensors gather_gradient(const GradientContext& ctx) {
  const Tensor& g = ctx.output_grads[0];
  if (!g.defined()) return {Tensor(), Tensor()};
  const Tensor& params = ctx.inputs[0];
  const Tensor& ids = ctx.inputs[1];
  const int axis = normalize_axis(attr_or<std::int64_t>(ctx.attrs, "axis", 0, "GatherV2"),
                                  params.rank(), params.shape(), "GatherV2");
  const std::int64_t rows = params.dim(axis);
  if (axis == 0) return {segment_sum(g, ids, rows), Tensor()};
  // g is (outer..., ids..., inner...): bring the id axes to the front, sum rows by id, and move
  // the resulting params axis back to position `axis`.
  const int q = ids.rank();
  Ints to_front, to_back;
  for (int i = 0; i < q; ++i) to_front.push_back(axis + i);
  for (int i = 0; i < axis; ++i) to_front.push_back(i);
  for (int i = axis + q; i < g.rank(); ++i) to_front.push_back(i);
  for (int i = 1; i <= axis; ++i) to_back.push_back(i);
  to_back.push_back(0);
  for (int i = axis + 1; i < params.rank(); ++i) to_back.push_back(i);
  const Tensor summed = segment_sum(ops::transpose(g, to_front), ids, rows);
  return {ops::transpose(summed, to_back), Tensor()};
}

// ---- OneHot ----

Tensor one_hot_kernel(const Tensor& indices, std::int64_t depth) {
  if (depth < 0) throw Error("OneHot: depth must not be negative, got " + std::to_string(depth));
  const Ints ids = index_values(indices, "OneHot");
  Shape out_shape = indices.shape();
  out_shape.push_back(depth);
  Tensor out = make_float_output(out_shape);
  float* p = out.data<float>();
  std::fill(p, p + out.size(), 0.0f);
  // Ids outside [0, depth) leave their row all zero, as TensorFlow does (-1 is a common "none").
  for (std::size_t i = 0; i < ids.size(); ++i)
    if (ids[i] >= 0 && ids[i] < depth) p[static_cast<std::int64_t>(i) * depth + ids[i]] = 1.0f;
  return out;
}

// ---- PadV2 ----

Tensor pad_kernel(const Tensor& x, const Ints& paddings, double value) {
  if (paddings.size() != 2 * static_cast<std::size_t>(x.rank()))
    throw Error("PadV2: paddings need 2 entries per axis of " + shape_str(x) + ", got " +
                std::to_string(paddings.size()));
  Shape out_shape = x.shape();
  std::int64_t offset = 0;
  for (std::size_t i = 0; i < out_shape.size(); ++i) {
    if (paddings[2 * i] < 0 || paddings[2 * i + 1] < 0)
      throw Error("PadV2: paddings must not be negative, got " + ints_str(paddings));
    out_shape[i] += paddings[2 * i] + paddings[2 * i + 1];
  }
  const std::size_t bytes = element_bytes(x, "PadV2");
  const Ints out_strides = contiguous_strides(out_shape);
  for (std::size_t i = 0; i < out_shape.size(); ++i) offset += paddings[2 * i] * out_strides[i];
  Tensor out = filled(x.dtype(), out_shape, value);
  strided_copy(bytes, to_dims(x.shape()), x.raw_data(), contiguous_strides(x.shape()),
               element_ptr(out, offset, bytes), out_strides);
  return out;
}

Tensors pad_gradient(const GradientContext& ctx) {
  const Tensor& g = ctx.output_grads[0];
  if (!g.defined()) return {Tensor()};
  const Ints& paddings = attr<Ints>(ctx.attrs, "paddings", "PadV2");
  Ints begin;
  for (std::size_t i = 0; i < paddings.size(); i += 2) begin.push_back(paddings[i]);
  const Shape& in = ctx.inputs[0].shape();
  return {ops::slice(g, begin, Ints(in.begin(), in.end()))};
}

}  // namespace

std::vector<OpDef> indexing_ops() {
  std::vector<OpDef> defs;
  defs.push_back(OpDef{"GatherV2", "GatherV2",
                       [](std::span<const Tensor> in, const Attrs& attrs) -> Tensors {
                         expect_inputs("GatherV2", in, 2);
                         return one_output(gather_kernel(
                             in[0], in[1], attr_or<std::int64_t>(attrs, "axis", 0, "GatherV2")));
                       },
                       gather_gradient});
  defs.push_back(
      OpDef{"UnsortedSegmentSum", "UnsortedSegmentSum",
            [](std::span<const Tensor> in, const Attrs& attrs) -> Tensors {
              expect_inputs("UnsortedSegmentSum", in, 2);
              return one_output(segment_sum_kernel(
                  in[0], in[1], attr<std::int64_t>(attrs, "num_segments", "UnsortedSegmentSum")));
            },
            [](const GradientContext& ctx) -> Tensors {
              const Tensor& g = ctx.output_grads[0];
              if (!g.defined()) return {Tensor(), Tensor()};
              return {ops::gather(g, ctx.inputs[1], 0), Tensor()};
            }});
  defs.push_back(OpDef{"OneHot", "OneHot",
                       [](std::span<const Tensor> in, const Attrs& attrs) -> Tensors {
                         expect_inputs("OneHot", in, 1);
                         return one_output(
                             one_hot_kernel(in[0], attr<std::int64_t>(attrs, "depth", "OneHot")));
                       },
                       nullptr});
  defs.push_back(OpDef{"PadV2", "PadV2",
                       [](std::span<const Tensor> in, const Attrs& attrs) -> Tensors {
                         expect_inputs("PadV2", in, 1);
                         return one_output(
                             pad_kernel(in[0], attr<Ints>(attrs, "paddings", "PadV2"),
                                        attr_or<double>(attrs, "constant_values", 0.0, "PadV2")));
                       },
                       pad_gradient});
  return defs;
}

}  // namespace ksave::detail
