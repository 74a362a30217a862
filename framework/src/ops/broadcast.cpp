#include "broadcast.hpp"

#include <algorithm>
#include <string>

#include "ksave/error.hpp"

namespace ksave::detail {

namespace {

[[noreturn]] void not_broadcastable(std::span<const Shape* const> shapes, std::string_view op) {
  std::string msg = std::string(op) + ": shapes ";
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    if (i > 0) msg += i + 1 == shapes.size() ? " and " : ", ";
    msg += shape_to_string(*shapes[i]);
  }
  throw Error(msg + " cannot be broadcast together");
}

}  // namespace

BroadcastPlan plan_broadcast(std::span<const Shape* const> shapes, std::string_view op) {
  BroadcastPlan plan;
  plan.num_inputs = static_cast<int>(shapes.size());
  if (plan.num_inputs > kMaxBroadcastInputs)
    throw Error(std::string(op) + ": too many inputs to broadcast");

  std::size_t rank = 0;
  for (const Shape* s : shapes) rank = std::max(rank, s->size());

  // Right-align every shape; the output dim is the non-1 dim (all non-1 dims must agree).
  plan.out_shape.assign(rank, 1);
  for (const Shape* s : shapes) {
    const std::size_t pad = rank - s->size();
    for (std::size_t i = 0; i < s->size(); ++i) {
      const std::int64_t d = (*s)[i];
      std::int64_t& o = plan.out_shape[pad + i];
      if (d == o || d == 1) continue;
      if (o == 1)
        o = d;
      else
        not_broadcastable(shapes, op);
    }
  }
  plan.out_size = num_elements(plan.out_shape);

  // Per-input strides in the aligned frame: 0 where the input is broadcast.
  std::vector<Offsets> full(rank, Offsets{});
  for (std::size_t k = 0; k < shapes.size(); ++k) {
    const Shape& s = *shapes[k];
    const std::size_t pad = rank - s.size();
    std::int64_t stride = 1;
    for (std::size_t i = s.size(); i-- > 0;) {
      full[pad + i][k] = s[i] == 1 ? 0 : stride;
      stride *= s[i];
    }
  }

  // Drop size-1 output axes, then merge an axis into the previous one when every input stays
  // contiguous across the pair (stride_outer == stride_inner * extent_inner, which also holds
  // when both strides are 0).
  for (std::size_t i = 0; i < rank; ++i) {
    const std::int64_t d = plan.out_shape[i];
    if (d == 1) continue;
    if (!plan.dims.empty()) {
      Offsets& prev = plan.strides.back();
      bool mergeable = true;
      for (int k = 0; k < plan.num_inputs; ++k)
        mergeable = mergeable &&
                    prev[static_cast<std::size_t>(k)] == full[i][static_cast<std::size_t>(k)] * d;
      if (mergeable) {
        plan.dims.back() *= d;
        prev = full[i];
        continue;
      }
    }
    plan.dims.push_back(d);
    plan.strides.push_back(full[i]);
  }
  return plan;
}

}  // namespace ksave::detail
