#include "strided_copy.hpp"

#include <cstring>
#include <string>

namespace ksave::detail {

namespace {

// Innermost loop for a strided row, typed by element width so each element is one move.
template <typename T>
void copy_row(const char* src, std::int64_t src_stride, char* dst, std::int64_t dst_stride,
              std::int64_t n) {
  const T* s = reinterpret_cast<const T*>(src);
  T* d = reinterpret_cast<T*>(dst);
  for (std::int64_t i = 0; i < n; ++i)
    std::memcpy(d + i * dst_stride, s + i * src_stride, sizeof(T));
}

using RowCopy = void (*)(const char*, std::int64_t, char*, std::int64_t, std::int64_t);

RowCopy row_copier(std::size_t bytes) {
  switch (bytes) {
    case 1:
      return copy_row<std::uint8_t>;
    case 2:
      return copy_row<std::uint16_t>;
    case 4:
      return copy_row<std::uint32_t>;
    case 8:
      return copy_row<std::uint64_t>;
    default:
      throw Error("strided_copy: unsupported element size " + std::to_string(bytes));
  }
}

}  // namespace

void strided_copy(std::size_t element_bytes, std::vector<std::int64_t> dims, const void* src,
                  std::vector<std::int64_t> src_strides, void* dst,
                  std::vector<std::int64_t> dst_strides) {
  // Drop size-1 axes, then merge each axis into its outer neighbour when both views are
  // contiguous across the pair.
  std::vector<std::int64_t> d, ss, ds;
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == 0) return;
    if (dims[i] == 1) continue;
    if (!d.empty() && ss.back() == src_strides[i] * dims[i] &&
        ds.back() == dst_strides[i] * dims[i]) {
      d.back() *= dims[i];
      ss.back() = src_strides[i];
      ds.back() = dst_strides[i];
      continue;
    }
    d.push_back(dims[i]);
    ss.push_back(src_strides[i]);
    ds.push_back(dst_strides[i]);
  }
  const auto* s = static_cast<const char*>(src);
  auto* t = static_cast<char*>(dst);
  const auto bytes = static_cast<std::int64_t>(element_bytes);
  if (d.empty()) {
    std::memcpy(t, s, element_bytes);
    return;
  }

  const std::size_t depth = d.size();
  const std::int64_t n = d[depth - 1];
  const std::int64_t s_inner = ss[depth - 1], d_inner = ds[depth - 1];
  const bool contiguous = s_inner == 1 && d_inner == 1;
  const RowCopy copy = contiguous ? nullptr : row_copier(element_bytes);
  std::vector<std::int64_t> counter(depth - 1, 0);
  std::int64_t so = 0, dso = 0;  // element offsets of the current row
  for (;;) {
    if (contiguous)
      std::memcpy(t + dso * bytes, s + so * bytes, static_cast<std::size_t>(n * bytes));
    else
      copy(s + so * bytes, s_inner, t + dso * bytes, d_inner, n);
    std::size_t axis = depth - 1;
    for (; axis-- > 0;) {
      if (++counter[axis] < d[axis]) {
        so += ss[axis];
        dso += ds[axis];
        break;
      }
      so -= ss[axis] * (d[axis] - 1);
      dso -= ds[axis] * (d[axis] - 1);
      counter[axis] = 0;
    }
    if (axis == static_cast<std::size_t>(-1)) return;  // every outer axis wrapped: done
  }
}

std::size_t element_bytes(const Tensor& t, std::string_view op) {
  const std::size_t bytes = dtype_size(t.dtype());
  if (bytes == 0) throw Error(std::string(op) + ": string tensors are not supported");
  return bytes;
}

}  // namespace ksave::detail
