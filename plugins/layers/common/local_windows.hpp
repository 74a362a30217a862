// Which input positions each output position of tf-keras's LocallyConnected1D/2D reads, and
// where each of its three kernel layouts (`implementation` 1, 2, 3) keeps the weight of a pair
// (header only: the layer plugin and the ONNX exporter compute with the same tables).
//
// Output position p (row-major over the output's spatial axes) reads a window of K = prod
// kernel_size input positions, slot k row-major over the window's axes, channels innermost: the
// (K · in_channels) "patch" order of tf-keras's local_conv (implementation 1). Valid padding
// starts window p at p · strides; same padding centres it (start p · strides − kernel_size // 2),
// and a slot outside the input reads nothing (conv_utils.conv_connected_inputs). Every layout
// then becomes one (P, K · in_channels, filters) kernel, the absent slots' rows zero, so that
// outputs = patches · kernel per position, whatever the file's layout (an absent slot's patch
// entry may read any input position: it meets a zero row).
#pragma once

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <utility>
#include <vector>

#include "ksave/ops.hpp"

namespace ksave::plugins::local_windows {

struct Geometry {
  std::vector<std::int64_t> input, kernel, strides;  // spatial sizes, per axis
  bool same = false;
  std::int64_t in_channels = 0, filters = 0;

  std::vector<std::int64_t> output() const {
    std::vector<std::int64_t> out;
    for (std::size_t d = 0; d < input.size(); ++d) {
      const std::int64_t length = same ? input[d] : input[d] - kernel[d] + 1;
      out.push_back(length <= 0 ? 0 : (length + strides[d] - 1) / strides[d]);
    }
    return out;
  }
  static std::int64_t product(const std::vector<std::int64_t>& v) {
    return std::accumulate(v.begin(), v.end(), std::int64_t{1}, std::multiplies<>());
  }
  std::int64_t positions() const { return product(output()); }
  std::int64_t window() const { return product(kernel); }
  std::int64_t input_positions() const { return product(input); }

  // (P · K) flat input positions, −1 for slots outside the input (patch_inputs: 0 there).
  std::vector<std::int64_t> window_inputs() const {
    const std::vector<std::int64_t> out = output();
    const std::size_t rank = input.size();
    std::vector<std::int64_t> table;
    table.reserve(static_cast<std::size_t>(positions() * window()));
    std::vector<std::int64_t> p(rank, 0), k(rank, 0);
    for (std::int64_t pi = 0; pi < positions(); ++pi) {
      std::int64_t rest = pi;
      for (std::size_t d = rank; d-- > 0;) p[d] = rest % out[d], rest /= out[d];
      for (std::int64_t ki = 0; ki < window(); ++ki) {
        rest = ki;
        for (std::size_t d = rank; d-- > 0;) k[d] = rest % kernel[d], rest /= kernel[d];
        std::int64_t flat = 0;
        bool inside = true;
        for (std::size_t d = 0; d < rank; ++d) {
          const std::int64_t at = p[d] * strides[d] - (same ? kernel[d] / 2 : 0) + k[d];
          inside = inside && at >= 0 && at < input[d];
          flat = flat * input[d] + at;
        }
        table.push_back(inside ? flat : -1);
      }
    }
    return table;
  }

  std::vector<std::int64_t> patch_inputs() const {
    std::vector<std::int64_t> slots = window_inputs();
    for (auto& s : slots) s = std::max<std::int64_t>(s, 0);
    return slots;
  }

  // Implementation 2's kernel (input..., in_channels, output..., filters) seen as (S_in · P,
  // in_channels, filters) after moving its position axes together (S_in, P, in_channels,
  // filters): the row of each (p, k) slot, S_in · P (one zero row appended) when absent.
  std::vector<std::int64_t> dense_rows() const {
    const std::vector<std::int64_t> slots = window_inputs();
    const std::int64_t P = positions(), K = window();
    std::vector<std::int64_t> rows(slots.size());
    for (std::int64_t pi = 0; pi < P; ++pi)
      for (std::int64_t ki = 0; ki < K; ++ki) {
        const std::int64_t s = slots[static_cast<std::size_t>(pi * K + ki)];
        rows[static_cast<std::size_t>(pi * K + ki)] = s < 0 ? input_positions() * P : s * P + pi;
      }
    return rows;
  }

  // Implementation 3's kernel: the values of the sparse (P · filters, S_in · in_channels) matrix
  // at its sorted (output index, input index) pairs (conv_utils.conv_kernel_idxs, channels
  // last). Its size, and for each (p, k · in_channels + c, f) of the (P, K · in_channels,
  // filters) kernel the value's index, the size itself (one zero appended) when absent.
  std::int64_t sparse_size() const {
    std::int64_t present = 0;
    for (std::int64_t s : window_inputs()) present += s >= 0;
    return present * in_channels * filters;
  }
  std::vector<std::int64_t> sparse_entries() const {
    const std::vector<std::int64_t> slots = window_inputs();
    const std::int64_t P = positions(), K = window(), C = in_channels, F = filters;
    std::vector<std::pair<std::int64_t, std::int64_t>> pairs;
    for (std::int64_t pi = 0; pi < P; ++pi)
      for (std::int64_t ki = 0; ki < K; ++ki)
        if (const std::int64_t s = slots[static_cast<std::size_t>(pi * K + ki)]; s >= 0)
          for (std::int64_t c = 0; c < C; ++c)
            for (std::int64_t f = 0; f < F; ++f) pairs.emplace_back(pi * F + f, s * C + c);
    std::sort(pairs.begin(), pairs.end());
    std::vector<std::int64_t> entries(static_cast<std::size_t>(P * K * C * F), static_cast<std::int64_t>(pairs.size()));
    for (std::int64_t pi = 0; pi < P; ++pi)
      for (std::int64_t ki = 0; ki < K; ++ki)
        if (const std::int64_t s = slots[static_cast<std::size_t>(pi * K + ki)]; s >= 0)
          for (std::int64_t c = 0; c < C; ++c)
            for (std::int64_t f = 0; f < F; ++f) {
              const auto at = std::lower_bound(pairs.begin(), pairs.end(), std::make_pair(pi * F + f, s * C + c));
              entries[static_cast<std::size_t>(((pi * K + ki) * C + c) * F + f)] = at - pairs.begin();
            }
    return entries;
  }
};

inline Tensor int64_tensor(const std::vector<std::int64_t>& values, const Shape& shape) {
  Tensor t(DType::Int64, shape);
  std::copy(values.begin(), values.end(), t.data<std::int64_t>());
  return t;
}

// The gather indices of one layer, made once when it is built.
struct Indices {
  Tensor patch_inputs;  // (P · K): the input position of each patch slot
  Tensor kernel;        // implementation 2: (P · K) rows; 3: (P, K · C, F) entries; 1: none

  Indices(const Geometry& g, std::int64_t implementation) {
    const std::int64_t P = g.positions(), K = g.window();
    patch_inputs = int64_tensor(g.patch_inputs(), {P * K});
    if (implementation == 2) kernel = int64_tensor(g.dense_rows(), {P * K});
    if (implementation == 3) kernel = int64_tensor(g.sparse_entries(), {P, K * g.in_channels, g.filters});
  }
  Indices() = default;
};

// The stored kernel of `implementation` as (P, K · in_channels, filters), with ops (so that the
// gradient reaches the stored layout).
inline Tensor position_kernels(const Tensor& kernel, std::int64_t implementation, const Geometry& g, const Indices& at) {
  const std::int64_t P = g.positions(), K = g.window(), C = g.in_channels, F = g.filters;
  if (implementation == 1) return kernel;
  if (implementation == 2) {
    const std::int64_t S = g.input_positions();
    const Tensor by_pair = ops::transpose(ops::reshape(kernel, {S, C, P, F}), {0, 2, 1, 3});
    const Tensor rows = ops::pad(ops::reshape(by_pair, {S * P, C, F}), {{0, 1}, {0, 0}, {0, 0}});
    return ops::reshape(ops::gather(rows, at.kernel, 0), {P, K * C, F});
  }
  return ops::gather(ops::pad(kernel, {{0, 1}}), at.kernel, 0);
}

}  // namespace ksave::plugins::local_windows
