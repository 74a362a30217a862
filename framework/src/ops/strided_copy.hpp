// Dtype-agnostic movement of elements between strided views. Transpose, Slice, Pad, Concat, Pack
// and Tile are all one call: each describes the source and destination as (base, strides) over
// the same index space, and the copy collapses contiguous axes and moves whole rows with memcpy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "ksave/tensor.hpp"

namespace ksave::detail {

// For every index i over `dims`: dst[i . dst_strides] = src[i . src_strides] (strides in
// elements of `element_bytes` bytes). A stride of 0 repeats an element (Tile).
void strided_copy(std::size_t element_bytes, std::vector<std::int64_t> dims, const void* src,
                  std::vector<std::int64_t> src_strides, void* dst,
                  std::vector<std::int64_t> dst_strides);

// Bytes per element of a tensor a shape op moves; string tensors are refused naming the op.
std::size_t element_bytes(const Tensor& t, std::string_view op);

// Byte address of element `offset` of a tensor's storage.
inline const void* element_ptr(const Tensor& t, std::int64_t offset, std::size_t bytes) {
  return static_cast<const char*>(t.raw_data()) + offset * static_cast<std::int64_t>(bytes);
}
inline void* element_ptr(Tensor& t, std::int64_t offset, std::size_t bytes) {
  return static_cast<char*>(t.raw_data()) + offset * static_cast<std::int64_t>(bytes);
}

}  // namespace ksave::detail
