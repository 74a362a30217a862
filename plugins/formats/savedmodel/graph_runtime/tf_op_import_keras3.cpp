#include "tf_op_import_keras3.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>

#include "ksave/error.hpp"

namespace ksave::plugins::savedmodel {
namespace {

using Ints = std::vector<std::int64_t>;

// Axes of a constant input, made non-negative and checked against the rank.
std::vector<std::size_t> axes_of(const TfOpCall& call, const Tensor& x, const Tensor& axes) {
  std::set<std::size_t> out;
  for (std::int64_t a : int_values(axes, call.where + " axis")) {
    const std::int64_t axis = a < 0 ? a + x.rank() : a;
    if (axis < 0 || axis >= x.rank())
      throw Error(call.where + " (" + call.node.op() + "): axis " + std::to_string(a) + " is out of range for shape " +
                  shape_to_string(x.shape()));
    out.insert(static_cast<std::size_t>(axis));
  }
  return {out.begin(), out.end()};
}

// Row-major strides of a shape, in elements.
std::vector<std::int64_t> strides_of(const Shape& shape) {
  std::vector<std::int64_t> strides(shape.size(), 1);
  for (std::size_t i = shape.size(); i-- > 1;) strides[i - 1] = strides[i] * shape[i];
  return strides;
}

// Erfc as TensorFlow computes it (not 1 - erf, which loses the tail Keras 3's gelu reads).
Tensors erfc(const TfOpCall& call) {
  expect_inputs(call, 1);
  Tensor y = call.inputs[0].as_float().clone();
  for (float& v : y.values<float>()) v = std::erfc(v);
  return {y};
}

// Range(start, limit, delta): integers in the start's integer type, else float32.
Tensors range(const TfOpCall& call) {
  expect_inputs(call, 3);
  for (const Tensor& t : call.inputs)
    if (t.size() != 1) throw Error(call.where + " (Range): start, limit and delta must be scalars");
  const double start = call.inputs[0].item(), limit = call.inputs[1].item(), delta = call.inputs[2].item();
  if (delta == 0 || !std::isfinite(start) || !std::isfinite(limit) || !std::isfinite(delta))
    throw Error(call.where + " (Range): needs finite bounds and a non-zero delta, found start " + std::to_string(start) +
                ", limit " + std::to_string(limit) + ", delta " + std::to_string(delta));
  const double count = std::max(0.0, std::ceil((limit - start) / delta));
  if (count > 1e8) throw Error(call.where + " (Range): " + std::to_string(count) + " elements is too many");
  const auto n = static_cast<Dim>(count);
  const DType dtype = call.inputs[0].dtype();
  if (dtype == DType::Int32 || dtype == DType::Int64) {
    std::vector<std::int64_t> values(static_cast<std::size_t>(n));
    for (Dim i = 0; i < n; ++i) values[static_cast<std::size_t>(i)] = static_cast<std::int64_t>(start) + i * static_cast<std::int64_t>(delta);
    if (dtype == DType::Int64) return {Tensor::from_vector<std::int64_t>(values, {n})};
    return {Tensor::from_vector<std::int32_t>(std::vector<std::int32_t>(values.begin(), values.end()), {n})};
  }
  std::vector<float> values(static_cast<std::size_t>(n));
  for (Dim i = 0; i < n; ++i) values[static_cast<std::size_t>(i)] = static_cast<float>(start + static_cast<double>(i) * delta);
  return {Tensor::from_vector<float>(values, {n})};
}

// Cumsum(x, axis) with TensorFlow's exclusive and reverse attributes, summed in double and
// written back in x's dtype (Keras 3's causal mask: cumsum of an int32 ones tensor).
Tensors cumsum(const TfOpCall& call) {
  expect_inputs(call, 2);
  const Tensor& x = call.inputs[0];
  const auto axes = axes_of(call, x, call.inputs[1]);
  if (axes.size() != 1) throw Error(call.where + " (Cumsum): expected one axis");
  const bool exclusive = call.attrs.get_or<bool>("exclusive", false), reverse = call.attrs.get_or<bool>("reverse", false);
  const auto strides = strides_of(x.shape());
  const std::int64_t length = x.shape()[axes[0]], stride = strides[axes[0]];
  std::vector<double> values = x.to_vector<double>(), sums(values.size());
  for (std::int64_t i = 0; i < static_cast<std::int64_t>(values.size()); ++i) {
    if ((i / stride) % length != 0) continue;  // each line along the axis starts at its index 0
    double total = 0;
    for (std::int64_t k = 0; k < length; ++k) {
      const std::int64_t at = i + (reverse ? length - 1 - k : k) * stride;
      if (!exclusive) total += values[static_cast<std::size_t>(at)];
      sums[static_cast<std::size_t>(at)] = total;
      if (exclusive) total += values[static_cast<std::size_t>(at)];
    }
  }
  return {Tensor::from_vector<double>(sums, x.shape()).cast(x.dtype())};
}

// y of shape out_shape, each element copied from x's element `source(out multi-index)` (an input
// flat index; -1 leaves a zero).
template <typename Source>
Tensor gather_elements(const Tensor& x, const Shape& out_shape, Source source) {
  const std::size_t element = dtype_size(x.dtype());
  if (element == 0) throw Error("cannot move " + std::string(dtype_name(x.dtype())) + " tensors");
  Tensor y = Tensor::zeros(x.dtype(), out_shape);  // the padding SpaceToBatchND adds
  const auto strides = strides_of(out_shape);
  const auto* from = static_cast<const char*>(x.raw_data());
  auto* to = static_cast<char*>(y.raw_data());
  std::vector<std::int64_t> index(out_shape.size());
  const std::int64_t total = num_elements(out_shape);
  for (std::int64_t i = 0; i < total; ++i) {
    std::int64_t rest = i;
    for (std::size_t d = 0; d < strides.size(); ++d) {
      index[d] = rest / strides[d];
      rest %= strides[d];
    }
    const std::int64_t s = source(index);
    if (s >= 0) std::memcpy(to + static_cast<std::size_t>(i) * element, from + static_cast<std::size_t>(s) * element, element);
  }
  return y;
}

// The offset in x (row-major `strides`) of the dimensions from `first` on, which the ops below
// copy unchanged.
std::int64_t offset_of_rest(const std::vector<std::int64_t>& idx, const std::vector<std::int64_t>& strides, std::size_t first) {
  std::int64_t offset = 0;
  for (std::size_t d = first; d < idx.size(); ++d) offset += idx[d] * strides[d];
  return offset;
}

// ReverseV2(x, axes): any fixed-size dtype.
Tensors reverse_v2(const TfOpCall& call) {
  expect_inputs(call, 2);
  const Tensor& x = call.inputs[0];
  std::vector<bool> reversed(static_cast<std::size_t>(x.rank()), false);
  for (std::size_t a : axes_of(call, x, call.inputs[1])) reversed[a] = true;
  const auto strides = strides_of(x.shape());
  return {gather_elements(x, x.shape(), [&](const std::vector<std::int64_t>& idx) {
    std::int64_t source = 0;
    for (std::size_t d = 0; d < idx.size(); ++d) source += (reversed[d] ? x.shape()[d] - 1 - idx[d] : idx[d]) * strides[d];
    return source;
  })};
}

// Prod(x, axes, keep_dims): integer products in int64 (Tensordot multiplies shape parts), float
// products in double, each written back in x's dtype.
Tensors prod(const TfOpCall& call) {
  expect_inputs(call, 2);
  const Tensor& x = call.inputs[0];
  const auto axes = axes_of(call, x, call.inputs[1]);
  const bool keep_dims = call.attrs.get_or<bool>("keep_dims", false);
  Shape kept_shape = x.shape(), out_shape;
  for (std::size_t a : axes) kept_shape[a] = 1;
  for (std::size_t d = 0; d < kept_shape.size(); ++d)
    if (keep_dims || std::find(axes.begin(), axes.end(), d) == axes.end()) out_shape.push_back(kept_shape[d]);
  const auto in_strides = strides_of(x.shape()), out_strides = strides_of(kept_shape);
  std::vector<double> products(static_cast<std::size_t>(num_elements(kept_shape)), 1.0);
  const std::vector<double> values = x.to_vector<double>();
  for (std::size_t i = 0; i < values.size(); ++i) {
    std::int64_t target = 0, rest = static_cast<std::int64_t>(i);
    for (std::size_t d = 0; d < in_strides.size(); ++d) {
      const std::int64_t index = rest / in_strides[d];
      rest %= in_strides[d];
      if (kept_shape[d] != 1 || x.shape()[d] == 1) target += index * out_strides[d];
    }
    products[static_cast<std::size_t>(target)] *= values[i];
  }
  switch (x.dtype()) {
    case DType::Int32: return {Tensor::from_vector<std::int32_t>(std::vector<std::int32_t>(products.begin(), products.end()), out_shape)};
    case DType::Int64: return {Tensor::from_vector<std::int64_t>(std::vector<std::int64_t>(products.begin(), products.end()), out_shape)};
    case DType::Float32: return {Tensor::from_vector<float>(std::vector<float>(products.begin(), products.end()), out_shape)};
    default: throw Error(call.where + " (Prod): cannot multiply " + std::string(dtype_name(x.dtype())) + " tensors");
  }
}

// The block shape and the [M, 2] paddings or crops of SpaceToBatchND / BatchToSpaceND.
struct BlockLayout {
  Ints block;
  Ints before, after;
};

BlockLayout block_layout(const TfOpCall& call, const Tensor& x) {
  BlockLayout layout;
  layout.block = int_values(call.inputs[1], call.where + " block_shape");
  const Tensor& pads = call.inputs[2];
  const std::size_t m = layout.block.size();
  if (m == 0 || pads.rank() != 2 || pads.shape()[0] != static_cast<Dim>(m) || pads.shape()[1] != 2 ||
      x.rank() < static_cast<std::int64_t>(m) + 1)
    throw Error(call.where + " (" + call.node.op() + "): block_shape " + shape_to_string(call.inputs[1].shape()) +
                " and paddings " + shape_to_string(pads.shape()) + " do not fit input " + shape_to_string(x.shape()));
  const auto p = pads.to_vector<std::int64_t>();
  for (std::size_t i = 0; i < m; ++i) {
    layout.before.push_back(p[2 * i]);
    layout.after.push_back(p[2 * i + 1]);
    if (layout.block[i] <= 0 || p[2 * i] < 0 || p[2 * i + 1] < 0)
      throw Error(call.where + " (" + call.node.op() + "): blocks must be positive and paddings non-negative");
  }
  return layout;
}


// SpaceToBatchND: TensorFlow's dilated convolutions move each dilation phase into the batch.
Tensors space_to_batch(const TfOpCall& call) {
  expect_inputs(call, 3);
  const Tensor& x = call.inputs[0];
  const BlockLayout b = block_layout(call, x);
  const std::size_t m = b.block.size();
  Shape out = x.shape();
  std::int64_t blocks = 1;
  for (std::size_t i = 0; i < m; ++i) {
    const std::int64_t padded = x.shape()[i + 1] + b.before[i] + b.after[i];
    if (padded % b.block[i] != 0)
      throw Error(call.where + " (SpaceToBatchND): padded size " + std::to_string(padded) + " is not a multiple of " +
                  std::to_string(b.block[i]));
    out[i + 1] = padded / b.block[i];
    blocks *= b.block[i];
  }
  const Dim batch = x.shape()[0];
  out[0] = batch * blocks;
  const auto in_strides = strides_of(x.shape());
  return {gather_elements(x, out, [&](const std::vector<std::int64_t>& idx) -> std::int64_t {
    std::int64_t phase = idx[0] / batch, source = (idx[0] % batch) * in_strides[0];
    for (std::size_t i = m; i-- > 0;) {
      const std::int64_t offset = phase % b.block[i];
      phase /= b.block[i];
      const std::int64_t p = idx[i + 1] * b.block[i] + offset - b.before[i];
      if (p < 0 || p >= x.shape()[i + 1]) return -1;
      source += p * in_strides[i + 1];
    }
    return source + offset_of_rest(idx, in_strides, m + 1);
  })};
}

// BatchToSpaceND: the inverse, with crops.
Tensors batch_to_space(const TfOpCall& call) {
  expect_inputs(call, 3);
  const Tensor& x = call.inputs[0];
  const BlockLayout b = block_layout(call, x);
  const std::size_t m = b.block.size();
  std::int64_t blocks = 1;
  for (std::int64_t k : b.block) blocks *= k;
  if (x.shape()[0] % blocks != 0)
    throw Error(call.where + " (BatchToSpaceND): batch " + std::to_string(x.shape()[0]) + " is not a multiple of " +
                std::to_string(blocks));
  const Dim batch = x.shape()[0] / blocks;
  Shape out = x.shape();
  out[0] = batch;
  for (std::size_t i = 0; i < m; ++i) {
    out[i + 1] = x.shape()[i + 1] * b.block[i] - b.before[i] - b.after[i];
    if (out[i + 1] < 0) throw Error(call.where + " (BatchToSpaceND): crops larger than the space");
  }
  const auto in_strides = strides_of(x.shape());
  return {gather_elements(x, out, [&](const std::vector<std::int64_t>& idx) -> std::int64_t {
    std::int64_t phase = 0, source = 0;
    for (std::size_t i = 0; i < m; ++i) {
      const std::int64_t t = idx[i + 1] + b.before[i];
      phase = phase * b.block[i] + t % b.block[i];
      source += (t / b.block[i]) * in_strides[i + 1];
    }
    source += (phase * batch + idx[0]) * in_strides[0];
    return source + offset_of_rest(idx, in_strides, m + 1);
  })};
}

}  // namespace

void add_keras3_export_importers(std::map<std::string, TfOpImporter>& table) {
  table["Erfc"] = {erfc, {}};
  table["Range"] = {range, {}};
  table["Cumsum"] = {cumsum, {}};
  table["ReverseV2"] = {reverse_v2, {}};
  table["Prod"] = {prod, {}};
  table["SpaceToBatchND"] = {space_to_batch, {}};
  table["BatchToSpaceND"] = {batch_to_space, {}};
}

}  // namespace ksave::plugins::savedmodel
