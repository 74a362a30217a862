// NumPy broadcasting as a loop nest. A plan aligns the input shapes, gives each input a stride of
// 0 along the axes it is broadcast over, drops size-1 axes and merges neighbouring axes that
// stay contiguous for every input. What is left is usually one or two loops, and the innermost
// run has a stride of 0 or 1 per input, which the kernels turn into vectorised Eigen
// expressions. Reductions reuse the same plan backwards: the kept-dims result is "broadcast"
// over the input, and the accumulation follows the same runs.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "ksave/shape.hpp"

namespace ksave::detail {

inline constexpr int kMaxBroadcastInputs = 3;  // SelectV2 has the most: cond, x, y
using Offsets = std::array<std::int64_t, kMaxBroadcastInputs>;

struct BroadcastPlan {
  Shape out_shape;            // the broadcast shape, uncollapsed
  std::int64_t out_size = 0;  // elements in out_shape
  int num_inputs = 0;
  std::vector<std::int64_t> dims;  // collapsed loop extents, outermost first
  std::vector<Offsets> strides;    // per collapsed axis, each input's element stride
};

// Plans the broadcast of `shapes` (at most kMaxBroadcastInputs). Throws
// "<op>: shapes (2, 3) and (4,) cannot be broadcast together".
BroadcastPlan plan_broadcast(std::span<const Shape* const> shapes, std::string_view op);
inline BroadcastPlan plan_broadcast(const Shape& a, const Shape& b, std::string_view op) {
  const Shape* shapes[] = {&a, &b};
  return plan_broadcast(shapes, op);
}

// Calls run(out_offset, in_offsets, count, inner_strides) once per innermost run, in the output's
// row-major order. out_offset is the flat output index of the run's first element; in_offsets[i]
// is input i's flat index of it; inner_strides[i] is 0 or 1.
template <typename Run>
void for_each_run(const BroadcastPlan& plan, Run&& run) {
  if (plan.out_size == 0) return;
  const std::size_t depth = plan.dims.size();
  if (depth == 0) {  // every axis had size 1: a single element
    run(std::int64_t{0}, Offsets{}, std::int64_t{1}, Offsets{});
    return;
  }
  const std::int64_t inner = plan.dims[depth - 1];
  const Offsets& inner_strides = plan.strides[depth - 1];
  // Odometer over the outer axes; offsets are updated incrementally rather than recomputed.
  std::vector<std::int64_t> counter(depth - 1, 0);
  Offsets offsets{};
  for (std::int64_t out = 0; out < plan.out_size; out += inner) {
    run(out, offsets, inner, inner_strides);
    for (std::size_t axis = depth - 1; axis-- > 0;) {
      const Offsets& s = plan.strides[axis];
      if (++counter[axis] < plan.dims[axis]) {
        for (int i = 0; i < plan.num_inputs; ++i)
          offsets[static_cast<std::size_t>(i)] += s[static_cast<std::size_t>(i)];
        break;
      }
      for (int i = 0; i < plan.num_inputs; ++i)
        offsets[static_cast<std::size_t>(i)] -=
            s[static_cast<std::size_t>(i)] * (plan.dims[axis] - 1);
      counter[axis] = 0;
    }
  }
}

}  // namespace ksave::detail
