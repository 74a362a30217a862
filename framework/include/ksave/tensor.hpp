// A dense n-dimensional array: a shape, an element type and shared storage.
//
// Copying a Tensor is cheap and shares the storage (as TensorFlow's eager tensors do); ops never
// write into their inputs, so sharing is safe. `clone()` makes an independent copy. Storage may
// also wrap memory owned by someone else (a memory-mapped file), which is how loaders avoid a
// second copy of large weights.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "ksave/dtype.hpp"
#include "ksave/error.hpp"
#include "ksave/shape.hpp"

namespace ksave {

// Raw bytes, 64-byte aligned, or strings for DType::String.
class Storage {
 public:
  // Zeroed bytes. Large buffers are the kernel's untouched zero pages: no memset, and no memory
  // is used until they are written (a variable that a load is about to fill).
  static std::shared_ptr<Storage> allocate(std::size_t bytes);
  // Bytes the caller overwrites entirely (op outputs): not zeroed, and recycled — a buffer freed
  // by an earlier call of the same size is handed out again, so a steady state of predict calls
  // neither maps fresh memory nor page-faults.
  static std::shared_ptr<Storage> allocate_for_overwrite(std::size_t bytes);
  static std::shared_ptr<Storage> strings(std::size_t count);
  // Wraps memory owned by `owner` (kept alive as long as the storage lives).
  static std::shared_ptr<Storage> wrap(void* data, std::size_t bytes, std::shared_ptr<void> owner);

  // Writable bytes. Every call counts as a write and advances version(), so values derived from
  // this storage and kept (filters reordered for oneDNN, weights with a normalization folded in)
  // are recomputed after an edit made through Tensor::data<T>(). As with PyTorch's version
  // counter, a pointer kept and written through after such a value was derived is not seen.
  void* data() {
    version_.fetch_add(1, std::memory_order_relaxed);
    return data_;
  }
  const void* data() const { return data_; }
  std::size_t bytes() const { return bytes_; }
  std::uint64_t version() const { return version_.load(std::memory_order_relaxed); }
  std::vector<std::string>& string_values() {
    version_.fetch_add(1, std::memory_order_relaxed);
    return strings_;
  }
  const std::vector<std::string>& string_values() const { return strings_; }

 private:
  void* data_ = nullptr;
  std::size_t bytes_ = 0;
  std::shared_ptr<void> owner_;
  std::vector<std::string> strings_;
  std::atomic<std::uint64_t> version_{0};
};

// A tensor's storage and its version when a value was derived from it: whether the tensor still
// holds exactly those values (same storage, no write since). Holding the storage keeps it from
// being freed and recycled for another tensor while the derived value is kept.
class StorageStamp {
 public:
  StorageStamp() = default;
  explicit StorageStamp(const std::shared_ptr<Storage>& storage)
      : storage_(storage), version_(storage ? storage->version() : 0) {}
  bool matches(const std::shared_ptr<Storage>& storage) const {
    return storage == storage_ && (!storage || storage->version() == version_);
  }
  // Only this stamp still holds the storage: nothing can ask for its values again.
  bool orphaned() const { return storage_ && storage_.use_count() == 1; }

 private:
  std::shared_ptr<Storage> storage_;
  std::uint64_t version_ = 0;
};

class Tensor {
 public:
  Tensor() = default;  // an empty float32 tensor of shape [0]; `defined()` is false
  // Uninitialized contents (zeroed for safety: a tensor is never read uninitialized).
  Tensor(DType dtype, Shape shape);
  Tensor(DType dtype, Shape shape, std::shared_ptr<Storage> storage);

  template <typename T>
  static Tensor from_vector(const std::vector<T>& values, Shape shape);
  template <typename T>
  static Tensor scalar(T value) { return from_vector<T>({value}, {}); }
  static Tensor filled(DType dtype, Shape shape, double value);
  static Tensor zeros(DType dtype, Shape shape) { return Tensor(dtype, std::move(shape)); }
  // Contents undefined, for a caller that writes every element itself (a copy, a sum it fills).
  // From the recycled buffers, where Tensor(dtype, shape) maps fresh zeroed pages from 1 MiB up
  // (right for a weight that a load fills once, wrong for a temporary made on every training step,
  // which would then map, fault in and unmap its pages each time). String tensors start empty.
  static Tensor for_overwrite(DType dtype, Shape shape);
  static Tensor strings(const std::vector<std::string>& values, Shape shape);

  bool defined() const { return storage_ != nullptr; }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int rank() const { return static_cast<int>(shape_.size()); }
  Dim dim(int axis) const;  // negative axes count from the end
  std::int64_t size() const { return size_; }
  std::size_t nbytes() const { return static_cast<std::size_t>(size_) * dtype_size(dtype_); }

  template <typename T> T* data();
  template <typename T> const T* data() const;
  void* raw_data() { return storage_ ? storage_->data() : nullptr; }
  // Through a const Storage: a shared_ptr's constness does not reach what it points to, and the
  // writable Storage::data() would count this read as a write.
  const void* raw_data() const { return storage_ ? std::as_const(*storage_).data() : nullptr; }
  template <typename T> std::span<T> values() { return {data<T>(), static_cast<std::size_t>(size_)}; }
  template <typename T> std::span<const T> values() const {
    return {data<T>(), static_cast<std::size_t>(size_)};
  }
  std::vector<std::string>& string_values();
  const std::vector<std::string>& string_values() const;
  template <typename T> std::vector<T> to_vector() const;
  // Single element as double (any numeric dtype); for scalars and tests.
  double item(std::int64_t flat_index = 0) const;

  // Same storage, new shape with the same element count (one dim may be -1).
  Tensor reshape(Shape shape) const;
  Tensor clone() const;
  // Converts values as NumPy's astype does (float → int truncates toward zero).
  Tensor cast(DType dtype) const;
  // Tensor of dtype Float32: this tensor if it already is one, else a converted copy.
  Tensor as_float() const { return dtype_ == DType::Float32 ? *this : cast(DType::Float32); }
  // Copies `other`'s values into this tensor's storage (shapes and dtypes must match).
  void copy_from(const Tensor& other);
  // Rows [begin, end) of the first axis, copied.
  Tensor slice_rows(Dim begin, Dim end) const;
  bool same_storage(const Tensor& other) const { return storage_ == other.storage_; }
  const std::shared_ptr<Storage>& storage() const { return storage_; }

 private:
  enum class Contents { Zeros, Undefined };
  Tensor(DType dtype, Shape shape, Contents contents);
  template <typename T> void check_type() const;
  DType dtype_ = DType::Float32;
  Shape shape_{0};
  std::int64_t size_ = 0;
  std::shared_ptr<Storage> storage_;
};

// Concatenates tensors along the first axis (batches of predict).
Tensor concat_rows(const std::vector<Tensor>& parts);
// Largest |a - b| over all elements (as float64); shapes must match.
double max_abs_difference(const Tensor& a, const Tensor& b);
// True when |a - b| <= atol + rtol * |b| for every element (NumPy's allclose rule).
bool allclose(const Tensor& a, const Tensor& b, double rtol = 1e-5, double atol = 1e-8);

// ---- template definitions ----

template <typename T>
void Tensor::check_type() const {
  if (dtype_of<T>::value != dtype_)
    throw Error("tensor holds " + std::string(dtype_name(dtype_)) + ", accessed as " +
                std::string(dtype_name(dtype_of<T>::value)));
}

template <typename T>
T* Tensor::data() {
  check_type<T>();
  return static_cast<T*>(raw_data());
}

template <typename T>
const T* Tensor::data() const {
  check_type<T>();
  return static_cast<const T*>(raw_data());
}

template <typename T>
Tensor Tensor::from_vector(const std::vector<T>& values, Shape shape) {
  if (static_cast<std::int64_t>(values.size()) != num_elements(shape))
    throw Error("from_vector: " + std::to_string(values.size()) + " values do not fill shape " +
                shape_to_string(shape));
  if constexpr (std::is_same_v<T, std::string>) {
    return strings(values, std::move(shape));
  } else if constexpr (std::is_same_v<T, bool>) {
    Tensor t(DType::Bool, std::move(shape));
    for (std::size_t i = 0; i < values.size(); ++i) t.data<bool>()[i] = values[i];
    return t;
  } else {
    Tensor t(dtype_of<T>::value, std::move(shape));
    if (!values.empty()) std::memcpy(t.raw_data(), values.data(), values.size() * sizeof(T));
    return t;
  }
}

template <typename T>
std::vector<T> Tensor::to_vector() const {
  if (dtype_of<T>::value != dtype_) return cast(dtype_of<T>::value).template to_vector<T>();
  if constexpr (std::is_same_v<T, std::string>) {
    return string_values();
  } else {
    const T* p = data<T>();
    return std::vector<T>(p, p + size_);
  }
}

}  // namespace ksave
