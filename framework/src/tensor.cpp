#include "ksave/tensor.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <new>
#include <string>

#include <unistd.h>

#include "buffers.hpp"
#include "half.hpp"
#include "recycled_storage.hpp"

namespace ksave {

// ---- Storage ----

namespace {

// The machine's physical memory, in bytes (0 when unknown).
std::uint64_t physical_memory_bytes() {
  static const std::uint64_t bytes = [] {
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    return pages > 0 && page > 0 ? static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page) : 0;
  }();
  return bytes;
}

// Every buffer request is bounded by the machine's memory before it reaches the allocator: an
// op's output sized from a hostile config (a Conv2DTranspose's strides of 2^30) is then an Error
// like every other bad input, not std::bad_alloc, a process the kernel kills once the pages are
// touched, or an abort under AddressSanitizer (whose operator new never throws).
void require_fits_in_memory(std::size_t bytes) {
  const std::uint64_t memory = physical_memory_bytes();
  if (memory > 0 && bytes > memory)
    throw Error("cannot allocate " + std::to_string(bytes) + " bytes for a tensor: more than this machine's memory (" +
                std::to_string(memory) + " bytes)");
}

}  // namespace

std::shared_ptr<Storage> Storage::allocate(std::size_t bytes) {
  require_fits_in_memory(bytes);
  // Small zeroed tensors (an RNN's initial states, per call) come from the pool as op outputs do.
  if (bytes < detail::kMappedZerosFrom) {
    std::shared_ptr<Storage> s = allocate_for_overwrite(bytes);
    std::memset(s->data_, 0, bytes);
    return s;
  }
  std::shared_ptr<void> buffer = detail::zeroed_buffer(bytes);
  void* data = buffer.get();
  return wrap(data, bytes, std::move(buffer));
}

std::shared_ptr<Storage> Storage::allocate_for_overwrite(std::size_t bytes) {
  require_fits_in_memory(bytes);
  void* data = detail::take_recycled(bytes);
  std::shared_ptr<Storage> s;
  try {
    s = std::allocate_shared<Storage>(detail::RecyclingAllocator<Storage>{});
  } catch (...) {
    detail::give_back_recycled(data, bytes);
    throw;
  }
  // No owner_: the allocator's destroy() gives the bytes back to the pool.
  s->data_ = data;
  s->bytes_ = bytes;
  return s;
}

std::shared_ptr<Storage> Storage::strings(std::size_t count) {
  auto s = std::make_shared<Storage>();
  if (count > s->strings_.max_size()) throw Error("cannot allocate " + std::to_string(count) + " strings for a tensor");
  try {
    s->strings_.resize(count);
  } catch (const std::bad_alloc&) {
    throw Error("out of memory allocating " + std::to_string(count) + " strings for a tensor");
  }
  return s;
}

std::shared_ptr<Storage> Storage::wrap(void* data, std::size_t bytes, std::shared_ptr<void> owner) {
  auto s = std::make_shared<Storage>();
  s->data_ = data;
  s->bytes_ = bytes;
  s->owner_ = std::move(owner);
  return s;
}

// ---- Tensor ----

Tensor::Tensor(DType dtype, Shape shape) : Tensor(dtype, std::move(shape), Contents::Zeros) {}

Tensor Tensor::for_overwrite(DType dtype, Shape shape) { return Tensor(dtype, std::move(shape), Contents::Undefined); }

Tensor::Tensor(DType dtype, Shape shape, Contents contents) : dtype_(dtype), shape_(std::move(shape)) {
  size_ = num_elements(shape_);
  // nbytes() must not wrap around (a shape from a hostile file or config).
  if (dtype_ != DType::String &&
      static_cast<std::uint64_t>(size_) > std::numeric_limits<std::size_t>::max() / dtype_size(dtype_))
    throw Error("a " + std::string(dtype_name(dtype_)) + " tensor of shape " + shape_to_string(shape_) + " is too large");
  // A size from a hostile file or config must not reach the allocator: past the machine's memory
  // the zero-fill pages in until the kernel kills the process, and a refused allocation must be a
  // ksave::Error like every other bad input.
  const std::uint64_t memory = physical_memory_bytes();
  if (dtype_ != DType::String && memory > 0 && nbytes() > memory)
    throw Error("a " + std::string(dtype_name(dtype_)) + " tensor of shape " + shape_to_string(shape_) + " (" +
                std::to_string(nbytes()) + " bytes) does not fit in this machine's memory (" + std::to_string(memory) +
                " bytes)");
  try {
    if (dtype_ == DType::String)
      storage_ = Storage::strings(static_cast<std::size_t>(size_));
    else
      storage_ = contents == Contents::Zeros ? Storage::allocate(nbytes()) : Storage::allocate_for_overwrite(nbytes());
  } catch (const std::bad_alloc&) {
    throw Error("out of memory allocating a " + std::string(dtype_name(dtype_)) + " tensor of shape " +
                shape_to_string(shape_));
  }
}

Tensor::Tensor(DType dtype, Shape shape, std::shared_ptr<Storage> storage)
    : dtype_(dtype), shape_(std::move(shape)), storage_(std::move(storage)) {
  size_ = num_elements(shape_);
  if (!storage_) throw Error("tensor of shape " + shape_to_string(shape_) + " given no storage");
  bool fits = dtype_ == DType::String
                  ? std::as_const(*storage_).string_values().size() == static_cast<std::size_t>(size_)
                  : storage_->bytes() >= nbytes();
  if (!fits)
    throw Error("tensor storage of " + std::to_string(storage_->bytes()) + " bytes is too small for " +
                std::string(dtype_name(dtype_)) + " " + shape_to_string(shape_));
}

Tensor Tensor::filled(DType dtype, Shape shape, double value) {
  Tensor t(DType::Float64, std::move(shape));
  std::fill_n(t.data<double>(), t.size(), value);
  return dtype == DType::Float64 ? t : t.cast(dtype);
}

Tensor Tensor::strings(const std::vector<std::string>& values, Shape shape) {
  Tensor t(DType::String, std::move(shape));
  if (values.size() != static_cast<std::size_t>(t.size()))
    throw Error("Tensor::strings: " + std::to_string(values.size()) + " strings for shape " +
                shape_to_string(t.shape()));
  t.string_values() = values;
  return t;
}

Dim Tensor::dim(int axis) const {
  int r = rank();
  int a = axis < 0 ? axis + r : axis;
  if (a < 0 || a >= r)
    throw Error("axis " + std::to_string(axis) + " out of range for shape " + shape_to_string(shape_));
  return shape_[static_cast<std::size_t>(a)];
}

std::vector<std::string>& Tensor::string_values() {
  if (dtype_ != DType::String) throw Error("tensor holds " + std::string(dtype_name(dtype_)) + ", not strings");
  return storage_->string_values();
}

const std::vector<std::string>& Tensor::string_values() const {
  if (dtype_ != DType::String) throw Error("tensor holds " + std::string(dtype_name(dtype_)) + ", not strings");
  return std::as_const(*storage_).string_values();
}

namespace {

// Calls fn(pointer) with the typed data pointer of a numeric dtype.
template <typename Fn>
decltype(auto) visit_numeric(DType dtype, const void* p, Fn&& fn) {
  switch (dtype) {
    case DType::Float32: return fn(static_cast<const float*>(p));
    case DType::Float64: return fn(static_cast<const double*>(p));
    case DType::Int8: return fn(static_cast<const std::int8_t*>(p));
    case DType::Int16: return fn(static_cast<const std::int16_t*>(p));
    case DType::Int32: return fn(static_cast<const std::int32_t*>(p));
    case DType::Int64: return fn(static_cast<const std::int64_t*>(p));
    case DType::UInt8: return fn(static_cast<const std::uint8_t*>(p));
    case DType::UInt16: return fn(static_cast<const std::uint16_t*>(p));
    case DType::UInt32: return fn(static_cast<const std::uint32_t*>(p));
    case DType::UInt64: return fn(static_cast<const std::uint64_t*>(p));
    case DType::Bool: return fn(static_cast<const bool*>(p));
    default: break;
  }
  throw Error("dtype " + std::string(dtype_name(dtype)) + " is not numeric here");
}

template <typename Fn>
decltype(auto) visit_numeric_mut(DType dtype, void* p, Fn&& fn) {
  switch (dtype) {
    case DType::Float32: return fn(static_cast<float*>(p));
    case DType::Float64: return fn(static_cast<double*>(p));
    case DType::Int8: return fn(static_cast<std::int8_t*>(p));
    case DType::Int16: return fn(static_cast<std::int16_t*>(p));
    case DType::Int32: return fn(static_cast<std::int32_t*>(p));
    case DType::Int64: return fn(static_cast<std::int64_t*>(p));
    case DType::UInt8: return fn(static_cast<std::uint8_t*>(p));
    case DType::UInt16: return fn(static_cast<std::uint16_t*>(p));
    case DType::UInt32: return fn(static_cast<std::uint32_t*>(p));
    case DType::UInt64: return fn(static_cast<std::uint64_t*>(p));
    case DType::Bool: return fn(static_cast<bool*>(p));
    default: break;
  }
  throw Error("dtype " + std::string(dtype_name(dtype)) + " is not numeric here");
}

// NumPy's astype: float → int truncates (values outside the target range are clamped, where
// NumPy's result would be undefined); anything → bool is "!= 0".
template <typename To, typename From>
To convert_value(From v) {
  if constexpr (std::is_same_v<To, bool>) {
    return v != From{};
  } else if constexpr (std::is_integral_v<To> && std::is_floating_point_v<From>) {
    if (std::isnan(v)) return To{};
    constexpr double lo = static_cast<double>(std::numeric_limits<To>::min());
    constexpr double hi = static_cast<double>(std::numeric_limits<To>::max());
    double d = std::trunc(static_cast<double>(v));
    if (d <= lo) return std::numeric_limits<To>::min();
    if (d >= hi) return std::numeric_limits<To>::max();
    return static_cast<To>(d);
  } else {
    return static_cast<To>(v);
  }
}

}  // namespace

Tensor Tensor::cast(DType target) const {
  if (target == dtype_) return clone();
  if (dtype_ == DType::String || target == DType::String)
    throw Error("cannot cast " + std::string(dtype_name(dtype_)) + " to " + std::string(dtype_name(target)));
  // The 16-bit float types go through float32 (which holds each of their values exactly).
  if (dtype_ == DType::Float16 || dtype_ == DType::BFloat16) {
    Tensor f(DType::Float32, shape_);
    const auto* h = static_cast<const std::uint16_t*>(raw_data());
    float* dst = f.data<float>();
    if (dtype_ == DType::Float16)
      for (std::int64_t i = 0; i < size_; ++i) dst[i] = detail::half_to_float(h[i]);
    else
      for (std::int64_t i = 0; i < size_; ++i) dst[i] = detail::bfloat16_to_float(h[i]);
    return target == DType::Float32 ? f : f.cast(target);
  }
  if (target == DType::Float16 || target == DType::BFloat16) {
    Tensor f = as_float();
    Tensor out(target, shape_);
    auto* h = static_cast<std::uint16_t*>(out.raw_data());
    const float* src = f.data<float>();
    if (target == DType::Float16)
      for (std::int64_t i = 0; i < size_; ++i) h[i] = detail::float_to_half(src[i]);
    else
      for (std::int64_t i = 0; i < size_; ++i) h[i] = detail::float_to_bfloat16(src[i]);
    return out;
  }
  Tensor out(target, shape_);
  visit_numeric(dtype_, raw_data(), [&](const auto* src) {
    visit_numeric_mut(target, out.raw_data(), [&](auto* dst) {
      using To = std::remove_pointer_t<decltype(dst)>;
      for (std::int64_t i = 0; i < size_; ++i) dst[i] = convert_value<To>(src[i]);
    });
  });
  return out;
}

double Tensor::item(std::int64_t flat_index) const {
  if (flat_index < 0 || flat_index >= size_)
    throw Error("element " + std::to_string(flat_index) + " out of range for shape " + shape_to_string(shape_));
  if (dtype_ == DType::Float16)
    return detail::half_to_float(static_cast<const std::uint16_t*>(raw_data())[flat_index]);
  if (dtype_ == DType::BFloat16)
    return detail::bfloat16_to_float(static_cast<const std::uint16_t*>(raw_data())[flat_index]);
  return visit_numeric(dtype_, raw_data(),
                       [&](const auto* p) { return static_cast<double>(p[flat_index]); });
}

Tensor Tensor::reshape(Shape shape) const {
  int unknown = -1;
  std::int64_t known = 1;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      if (unknown >= 0) throw Error("reshape to " + shape_to_string(shape) + ": more than one -1");
      unknown = static_cast<int>(i);
    } else {
      known *= shape[i];
    }
  }
  if (unknown >= 0) {
    if (known == 0 || size_ % known != 0)
      throw Error("cannot reshape " + shape_to_string(shape_) + " to " + shape_to_string(shape));
    shape[static_cast<std::size_t>(unknown)] = size_ / known;
  }
  if (num_elements(shape) != size_)
    throw Error("cannot reshape " + shape_to_string(shape_) + " (" + std::to_string(size_) +
                " elements) to " + shape_to_string(shape));
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

Tensor Tensor::clone() const {
  Tensor t = for_overwrite(dtype_, shape_);
  if (dtype_ == DType::String)
    t.string_values() = string_values();
  else if (nbytes())
    std::memcpy(t.raw_data(), raw_data(), nbytes());
  return t;
}

void Tensor::copy_from(const Tensor& other) {
  if (other.dtype_ != dtype_ || other.shape_ != shape_)
    throw Error("copy_from: " + std::string(dtype_name(other.dtype_)) + " " + shape_to_string(other.shape_) +
                " into " + std::string(dtype_name(dtype_)) + " " + shape_to_string(shape_));
  if (dtype_ == DType::String)
    string_values() = other.string_values();
  else if (nbytes())
    std::memmove(raw_data(), other.raw_data(), nbytes());
}

Tensor Tensor::slice_rows(Dim begin, Dim end) const {
  if (rank() == 0 || begin < 0 || end < begin || end > shape_[0])
    throw Error("rows [" + std::to_string(begin) + ", " + std::to_string(end) + ") out of range for " +
                shape_to_string(shape_));
  Shape s = shape_;
  s[0] = end - begin;
  Tensor t(dtype_, s);
  std::int64_t row = shape_[0] ? size_ / shape_[0] : 0;
  if (dtype_ == DType::String) {
    const auto& src = string_values();
    std::copy(src.begin() + begin * row, src.begin() + end * row, t.string_values().begin());
  } else if (t.nbytes()) {
    std::size_t row_bytes = static_cast<std::size_t>(row) * dtype_size(dtype_);
    std::memcpy(t.raw_data(), static_cast<const char*>(raw_data()) + begin * row_bytes, t.nbytes());
  }
  return t;
}

Tensor concat_rows(const std::vector<Tensor>& parts) {
  if (parts.empty()) throw Error("concat_rows: no tensors");
  if (parts.size() == 1) return parts[0];
  Shape s = parts[0].shape();
  if (s.empty()) throw Error("concat_rows: scalars cannot be concatenated");
  Dim rows = 0;
  for (const auto& p : parts) {
    Shape rest(p.shape().begin() + (p.rank() ? 1 : 0), p.shape().end());
    if (p.rank() != parts[0].rank() || p.dtype() != parts[0].dtype() ||
        !std::equal(rest.begin(), rest.end(), s.begin() + 1))
      throw Error("concat_rows: " + shape_to_string(p.shape()) + " does not stack with " + shape_to_string(s));
    rows += p.shape()[0];
  }
  s[0] = rows;
  Tensor out(parts[0].dtype(), s);
  if (out.dtype() == DType::String) {
    auto it = out.string_values().begin();
    for (const auto& p : parts) it = std::copy(p.string_values().begin(), p.string_values().end(), it);
  } else {
    char* dst = static_cast<char*>(out.raw_data());
    for (const auto& p : parts) {
      if (p.nbytes()) std::memcpy(dst, p.raw_data(), p.nbytes());
      dst += p.nbytes();
    }
  }
  return out;
}

double max_abs_difference(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape())
    throw Error("max_abs_difference: shapes " + shape_to_string(a.shape()) + " and " + shape_to_string(b.shape()));
  Tensor x = a.cast(DType::Float64), y = b.cast(DType::Float64);
  double m = 0;
  for (std::int64_t i = 0; i < x.size(); ++i) {
    double d = std::abs(x.data<double>()[i] - y.data<double>()[i]);
    if (std::isnan(d)) return std::numeric_limits<double>::infinity();
    m = std::max(m, d);
  }
  return m;
}

bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol) {
  if (a.shape() != b.shape()) return false;
  Tensor x = a.cast(DType::Float64), y = b.cast(DType::Float64);
  for (std::int64_t i = 0; i < x.size(); ++i) {
    double u = x.data<double>()[i], v = y.data<double>()[i];
    if (!(std::abs(u - v) <= atol + rtol * std::abs(v))) return false;
  }
  return true;
}

}  // namespace ksave
