// Shape ops: Reshape, Transpose, ConcatV2, Pack, Slice, ExpandDims, Squeeze, Tile. They keep the
// input dtype and move bytes; views that need no copy (Reshape, ExpandDims, Squeeze) share the
// input's storage.
#include <cstring>

#include "gradient_util.hpp"
#include "kernel_util.hpp"
#include "op_groups.hpp"
#include "strided_copy.hpp"

namespace ksave::detail {

namespace {

using Ints = std::vector<std::int64_t>;

const Ints& ints(const Attrs& attrs, const char* name, const char* op) {
  return attr<Ints>(attrs, name, op);
}

// ---- Reshape ----

// Resolves one -1 and checks the element count, naming both shapes on failure.
Shape resolve_shape(const Shape& from, std::span<const std::int64_t> to, const char* op) {
  Shape out(to.begin(), to.end());
  std::int64_t known = 1;
  int unknown = -1;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i] == -1 && unknown < 0)
      unknown = static_cast<int>(i);
    else if (out[i] < 0)
      throw Error(std::string(op) + ": invalid target shape " + ints_str(Ints(to.begin(), to.end())));
    else
      known *= out[i];
  }
  const std::int64_t size = num_elements(from);
  if (unknown >= 0 && known != 0 && size % known == 0)
    out[static_cast<std::size_t>(unknown)] = size / known;
  if ((unknown >= 0 && out[static_cast<std::size_t>(unknown)] < 0) || num_elements(out) != size)
    throw Error(std::string(op) + ": cannot reshape " + shape_to_string(from) + " (" +
                std::to_string(size) + " elements) to " + ints_str(Ints(to.begin(), to.end())));
  return out;
}

GradientFn reshape_back_gradient() {
  return [](const GradientContext& ctx) -> Tensors {
    const Tensor& g = ctx.output_grads[0];
    if (!g.defined()) return {Tensor()};
    return {ops::reshape(g, ctx.inputs[0].shape())};
  };
}

// ---- Transpose ----

Tensor transpose_kernel(const Tensor& x, const Ints& perm) {
  const int rank = x.rank();
  std::vector<bool> seen(static_cast<std::size_t>(rank), false);
  bool valid = static_cast<int>(perm.size()) == rank;
  for (std::size_t i = 0; valid && i < perm.size(); ++i) {
    valid = perm[i] >= 0 && perm[i] < rank && !seen[static_cast<std::size_t>(perm[i])];
    if (valid) seen[static_cast<std::size_t>(perm[i])] = true;
  }
  if (!valid)
    throw Error("Transpose: perm " + ints_str(perm) + " is not a permutation of the axes of " +
                shape_str(x));
  const std::size_t bytes = element_bytes(x, "Transpose");
  const Ints in_strides = contiguous_strides(x.shape());
  Shape out_shape(perm.size());
  Ints src_strides(perm.size());
  for (std::size_t i = 0; i < perm.size(); ++i) {
    out_shape[i] = x.shape()[static_cast<std::size_t>(perm[i])];
    src_strides[i] = in_strides[static_cast<std::size_t>(perm[i])];
  }
  Tensor out = Tensor::for_overwrite(x.dtype(), out_shape);
  strided_copy(bytes, to_dims(out_shape), x.raw_data(), src_strides, out.raw_data(),
               contiguous_strides(out_shape));
  return out;
}

// ---- Slice ----

// Checks begin/size against the shape and resolves size -1 ("to the end").
Ints resolve_slice(const Shape& shape, const Ints& begin, Ints size) {
  if (begin.size() != shape.size() || size.size() != shape.size())
    throw Error("Slice: begin and size need " + std::to_string(shape.size()) +
                " entries for shape " + shape_to_string(shape) + ", got " +
                std::to_string(begin.size()) + " and " + std::to_string(size.size()));
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (size[i] == -1) size[i] = shape[i] - begin[i];
    if (begin[i] < 0 || size[i] < 0 || begin[i] + size[i] > shape[i])
      throw Error("Slice: begin " + std::to_string(begin[i]) + " with size " +
                  std::to_string(size[i]) + " is outside axis " + std::to_string(i) + " of shape " +
                  shape_to_string(shape));
  }
  return size;
}

Tensor slice_copy(const Tensor& x, const Ints& begin, const Ints& size_attr) {
  const Ints size = resolve_slice(x.shape(), begin, size_attr);
  const std::size_t bytes = element_bytes(x, "Slice");
  const Ints strides = contiguous_strides(x.shape());
  std::int64_t offset = 0;
  for (std::size_t i = 0; i < begin.size(); ++i) offset += begin[i] * strides[i];
  Tensor out = Tensor::for_overwrite(x.dtype(), Shape(size.begin(), size.end()));
  strided_copy(bytes, size, element_ptr(x, offset, bytes), strides, out.raw_data(),
               contiguous_strides(out.shape()));
  return out;
}

Tensor concat_copy(std::span<const Tensor> xs, std::int64_t axis_attr, const char* op) {
  if (xs.empty()) throw Error(std::string(op) + ": expected at least one input");
  const Tensor& first = xs[0];
  const int axis = normalize_axis(axis_attr, first.rank(), first.shape(), op);
  Shape out_shape = first.shape();
  out_shape[static_cast<std::size_t>(axis)] = 0;
  for (const Tensor& x : xs) {
    bool same = x.rank() == first.rank() && x.dtype() == first.dtype();
    for (int i = 0; same && i < x.rank(); ++i) same = i == axis || x.dim(i) == first.dim(i);
    if (!same)
      throw Error(std::string(op) + ": inputs differ outside axis " + std::to_string(axis_attr) +
                  ": " + shape_str(first) + " " + std::string(dtype_name(first.dtype())) + " and " +
                  shape_str(x) + " " + std::string(dtype_name(x.dtype())));
    out_shape[static_cast<std::size_t>(axis)] += x.dim(axis);
  }
  const std::size_t bytes = element_bytes(first, op);
  Tensor out = Tensor::for_overwrite(first.dtype(), out_shape);
  const Ints out_strides = contiguous_strides(out_shape);
  std::int64_t offset = 0;  // along `axis`, in output elements
  for (const Tensor& x : xs) {
    strided_copy(bytes, to_dims(x.shape()), x.raw_data(), contiguous_strides(x.shape()),
                 element_ptr(out, offset, bytes), out_strides);
    offset += x.dim(axis) * out_strides[static_cast<std::size_t>(axis)];
  }
  return out;
}

Tensors concat_gradient(const GradientContext& ctx) {
  const Tensor& g = ctx.output_grads[0];
  Tensors grads(ctx.inputs.size());
  if (!g.defined()) return grads;
  const int axis = normalize_axis(attr<std::int64_t>(ctx.attrs, "axis", "ConcatV2"), g.rank(),
                                  g.shape(), "ConcatV2");
  Ints begin(static_cast<std::size_t>(g.rank()), 0);
  for (std::size_t i = 0; i < ctx.inputs.size(); ++i) {
    Ints size(ctx.inputs[i].shape().begin(), ctx.inputs[i].shape().end());
    grads[i] = ops::slice(g, begin, size);
    begin[static_cast<std::size_t>(axis)] += size[static_cast<std::size_t>(axis)];
  }
  return grads;
}

// ---- Pack ----

Tensor pack_kernel(std::span<const Tensor> xs, std::int64_t axis_attr) {
  if (xs.empty()) throw Error("Pack: expected at least one input");
  const int rank = xs[0].rank() + 1;
  const int axis = normalize_axis(axis_attr, rank, xs[0].shape(), "Pack");
  Shape expanded = xs[0].shape();
  expanded.insert(expanded.begin() + axis, 1);
  Tensors parts;
  parts.reserve(xs.size());
  for (const Tensor& x : xs) {
    if (x.shape() != xs[0].shape())
      throw Error("Pack: inputs must have one shape, got " + shape_str(xs[0]) + " and " +
                  shape_str(x));
    parts.push_back(x.reshape(expanded));  // a view: no copy
  }
  return concat_copy(parts, axis, "Pack");
}

Tensors pack_gradient(const GradientContext& ctx) {
  const Tensor& g = ctx.output_grads[0];
  Tensors grads(ctx.inputs.size());
  if (!g.defined()) return grads;
  const int axis =
      normalize_axis(attr<std::int64_t>(ctx.attrs, "axis", "Pack"), g.rank(), g.shape(), "Pack");
  Ints begin(static_cast<std::size_t>(g.rank()), 0);
  Ints size(g.shape().begin(), g.shape().end());
  size[static_cast<std::size_t>(axis)] = 1;
  for (std::size_t i = 0; i < ctx.inputs.size(); ++i) {
    begin[static_cast<std::size_t>(axis)] = static_cast<std::int64_t>(i);
    grads[i] = ops::reshape(ops::slice(g, begin, size), ctx.inputs[i].shape());
  }
  return grads;
}

// ---- ExpandDims / Squeeze ----

Shape expand_shape(const Tensor& x, std::int64_t axis_attr) {
  // The new axis may go anywhere in [0, rank], so normalise against rank + 1.
  const int axis = normalize_axis(axis_attr, x.rank() + 1, x.shape(), "ExpandDims");
  Shape s = x.shape();
  s.insert(s.begin() + axis, 1);
  return s;
}

Shape squeeze_shape(const Tensor& x, const Ints& axes_attr) {
  std::vector<bool> drop(static_cast<std::size_t>(x.rank()), false);
  if (axes_attr.empty()) {
    for (int i = 0; i < x.rank(); ++i) drop[static_cast<std::size_t>(i)] = x.dim(i) == 1;
  } else {
    for (int a : normalize_axes(axes_attr, x.shape(), "Squeeze")) {
      if (x.dim(a) != 1)
        throw Error("Squeeze: axis " + std::to_string(a) + " of shape " + shape_str(x) +
                    " has size " + std::to_string(x.dim(a)) + ", not 1");
      drop[static_cast<std::size_t>(a)] = true;
    }
  }
  Shape s;
  for (int i = 0; i < x.rank(); ++i)
    if (!drop[static_cast<std::size_t>(i)]) s.push_back(x.dim(i));
  return s;
}

// ---- Tile ----

Tensor tile_kernel(const Tensor& x, const Ints& multiples) {
  if (static_cast<int>(multiples.size()) != x.rank())
    throw Error("Tile: multiples " + ints_str(multiples) + " must have one entry per axis of " +
                shape_str(x));
  for (std::int64_t m : multiples)
    if (m < 0) throw Error("Tile: multiples " + ints_str(multiples) + " must not be negative");
  // Index space (m0, d0, m1, d1, ...): the source ignores the repeat index (stride 0), the
  // output places repeat k of axis i at k * d_i.
  const std::size_t bytes = element_bytes(x, "Tile");
  const Ints in_strides = contiguous_strides(x.shape());
  Shape out_shape(x.shape().size());
  for (std::size_t i = 0; i < out_shape.size(); ++i) out_shape[i] = x.shape()[i] * multiples[i];
  const Ints out_strides = contiguous_strides(out_shape);
  Ints dims, src, dst;
  for (std::size_t i = 0; i < out_shape.size(); ++i) {
    dims.insert(dims.end(), {multiples[i], x.shape()[i]});
    src.insert(src.end(), {0, in_strides[i]});
    dst.insert(dst.end(), {x.shape()[i] * out_strides[i], out_strides[i]});
  }
  Tensor out = Tensor::for_overwrite(x.dtype(), out_shape);
  if (x.rank() == 0)
    std::memcpy(out.raw_data(), x.raw_data(), bytes);
  else
    strided_copy(bytes, dims, x.raw_data(), src, out.raw_data(), dst);
  return out;
}

Tensors tile_gradient(const GradientContext& ctx) {
  // Sum the repeats: view g as (m0, d0, m1, d1, ...) and reduce the m axes.
  const Tensor& g = ctx.output_grads[0];
  if (!g.defined()) return {Tensor()};
  const Tensor& x = ctx.inputs[0];
  const Ints& multiples = ints(ctx.attrs, "multiples", "Tile");
  Shape split;
  Ints repeat_axes;
  for (int i = 0; i < x.rank(); ++i) {
    repeat_axes.push_back(static_cast<std::int64_t>(split.size()));
    split.push_back(multiples[static_cast<std::size_t>(i)]);
    split.push_back(x.dim(i));
  }
  if (repeat_axes.empty()) return {g};
  return {ops::sum(ops::reshape(g, split), repeat_axes)};
}

}  // namespace

Tensor reshaped(const Tensor& x, std::span<const std::int64_t> shape, const char* op) {
  return x.reshape(resolve_shape(x.shape(), shape, op));
}

std::vector<OpDef> shape_ops() {
  std::vector<OpDef> defs;
  defs.push_back(OpDef{"Reshape", "Reshape",
                       [](std::span<const Tensor> in, const Attrs& attrs) -> Tensors {
                         expect_inputs("Reshape", in, 1);
                         return one_output(reshaped(in[0], ints(attrs, "shape", "Reshape"), "Reshape"));
                       },
                       reshape_back_gradient()});
  defs.push_back(
      OpDef{"Transpose", "Transpose",
            [](std::span<const Tensor> in, const Attrs& attrs) -> Tensors {
              expect_inputs("Transpose", in, 1);
              return one_output(transpose_kernel(in[0], ints(attrs, "perm", "Transpose")));
            },
            [](const GradientContext& ctx) -> Tensors {
              const Tensor& g = ctx.output_grads[0];
              if (!g.defined()) return {Tensor()};
              const Ints& perm = ints(ctx.attrs, "perm", "Transpose");
              Ints inverse(perm.size());
              for (std::size_t i = 0; i < perm.size(); ++i)
                inverse[static_cast<std::size_t>(perm[i])] = static_cast<std::int64_t>(i);
              return {ops::transpose(g, inverse)};
            }});
  defs.push_back(OpDef{"ConcatV2", "ConcatV2",
                       [](std::span<const Tensor> in, const Attrs& attrs) -> Tensors {
                         return one_output(concat_copy(
                             in, attr<std::int64_t>(attrs, "axis", "ConcatV2"), "ConcatV2"));
                       },
                       concat_gradient});
  defs.push_back(OpDef{"Pack", "Pack",
                       [](std::span<const Tensor> in, const Attrs& attrs) -> Tensors {
                         return one_output(
                             pack_kernel(in, attr_or<std::int64_t>(attrs, "axis", 0, "Pack")));
                       },
                       pack_gradient});
  defs.push_back(OpDef{"Slice", "Slice",
                       [](std::span<const Tensor> in, const Attrs& attrs) -> Tensors {
                         expect_inputs("Slice", in, 1);
                         return one_output(slice_copy(in[0], ints(attrs, "begin", "Slice"),
                                                      ints(attrs, "size", "Slice")));
                       },
                       [](const GradientContext& ctx) -> Tensors {
                         // Zero-pad g back to the input's shape around the slice.
                         const Tensor& g = ctx.output_grads[0];
                         if (!g.defined()) return {Tensor()};
                         const Ints& begin = ints(ctx.attrs, "begin", "Slice");
                         std::vector<std::pair<std::int64_t, std::int64_t>> pads;
                         for (int i = 0; i < g.rank(); ++i) {
                           const std::int64_t b = begin[static_cast<std::size_t>(i)];
                           pads.emplace_back(b, ctx.inputs[0].dim(i) - b - g.dim(i));
                         }
                         return {ops::pad(g, pads)};
                       }});
  defs.push_back(OpDef{"ExpandDims", "ExpandDims",
                       [](std::span<const Tensor> in, const Attrs& attrs) -> Tensors {
                         expect_inputs("ExpandDims", in, 1);
                         return one_output(in[0].reshape(
                             expand_shape(in[0], attr<std::int64_t>(attrs, "axis", "ExpandDims"))));
                       },
                       reshape_back_gradient()});
  defs.push_back(OpDef{"Squeeze", "Squeeze",
                       [](std::span<const Tensor> in, const Attrs& attrs) -> Tensors {
                         expect_inputs("Squeeze", in, 1);
                         return one_output(in[0].reshape(squeeze_shape(
                             in[0], attr_or<Ints>(attrs, "squeeze_dims", {}, "Squeeze"))));
                       },
                       reshape_back_gradient()});
  defs.push_back(OpDef{"Tile", "Tile",
                       [](std::span<const Tensor> in, const Attrs& attrs) -> Tensors {
                         expect_inputs("Tile", in, 1);
                         return one_output(tile_kernel(in[0], ints(attrs, "multiples", "Tile")));
                       },
                       tile_gradient});
  return defs;
}

}  // namespace ksave::detail
