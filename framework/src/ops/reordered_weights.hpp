// Weights in the layout a primitive wants, kept for the next call with the same weights. At
// inference a model's filters are the same tensors call after call; reordering them on every call
// streamed every weight through memory once more per predict (ResNet50: 100 MB a call). Used only
// while no tape or tracer watches (training changes the weights every step).
//
// Keyed by the weights' storage, one copy per layout. The cache holds the source storage: it
// cannot be freed and reused for other weights, and loaders, which overwrite a variable's storage
// in place only when nothing else shares it, give the variable fresh storage instead, so a hit is
// never stale. An entry whose source only the cache still holds (the variable moved on, the model
// is gone) can never be asked for again and is dropped at the next miss.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "dnnl_support.hpp"
#include "ksave/tensor.hpp"

namespace ksave::detail::onednn {

class ReorderedWeights {
 public:
  // `weights` (laid out as `from`) as `to`, reordered by `r` on the first call.
  const void* get(const Tensor& weights, const dnnl::reorder& r, const memory::desc& from, const memory::desc& to);

 private:
  struct Entry {
    std::shared_ptr<Storage> source;
    std::vector<std::pair<memory::desc, std::shared_ptr<Storage>>> layouts;
  };
  std::mutex mutex_;
  std::map<const Storage*, Entry> entries_;
};

}  // namespace ksave::detail::onednn
