// Weights in the layout a primitive wants, kept for the next call with the same weights. At
// inference a model's filters are the same tensors call after call; reordering them on every call
// streamed every weight through memory once more per predict (ResNet50: 100 MB a call). Used only
// while no tape or tracer watches (training changes the weights every step).
//
// Keyed by the weights' storage and checked against its version (StorageStamp): a write through
// Tensor::data<T>() since the reorder makes the next call reorder again. An entry whose source
// only the cache still holds (the variable moved on, the model is gone) can never be asked for
// again and is dropped at the next miss.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "dnnl_support.hpp"
#include "ksave/tensor.hpp"

namespace ksave::detail::onednn {

// When a value is copied: at its first use (a primitive that can only read the reordered layout),
// or at its second (the caller can read the weights as they are: a value used once, a one-shot
// predict of a large model, then costs neither the copy's time nor its memory).
enum class ReorderFrom { first_use, second_use };

class ReorderedWeights {
 public:
  // `weights` (laid out as `from`) as `to`, reordered by `r` unless an earlier call did it for
  // the same values; null at a value's first use with ReorderFrom::second_use. The caller holds
  // the result while the primitive reads it: a concurrent call after an edit replaces the entry
  // without freeing what this one reads.
  std::shared_ptr<const Storage> get(const Tensor& weights, const dnnl::reorder& r, const memory::desc& from,
                                     const memory::desc& to, ReorderFrom from_use = ReorderFrom::first_use);

 private:
  struct Layout {
    memory::desc desc;
    StorageStamp source;
    std::shared_ptr<const Storage> reordered;  // null: seen once, not copied yet
  };
  void drop_orphans();
  std::mutex mutex_;
  std::map<const Storage*, std::vector<Layout>> entries_;
};

}  // namespace ksave::detail::onednn
