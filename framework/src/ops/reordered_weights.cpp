#include "reordered_weights.hpp"

#include <iterator>

namespace ksave::detail::onednn {

const void* ReorderedWeights::get(const Tensor& weights, const dnnl::reorder& r, const memory::desc& from,
                                  const memory::desc& to) {
  const std::lock_guard lock(mutex_);
  const std::shared_ptr<Storage>& source = weights.storage();
  auto it = entries_.find(source.get());
  if (it != entries_.end())
    for (const auto& [layout, reordered] : it->second.layouts)
      if (layout == to) return reordered->data();
  if (it == entries_.end()) {
    for (auto e = entries_.begin(); e != entries_.end();)
      e = e->second.source.use_count() == 1 ? entries_.erase(e) : std::next(e);
    it = entries_.emplace(source.get(), Entry{source, {}}).first;
  }
  std::shared_ptr<Storage> reordered = Storage::allocate_for_overwrite(to.get_size());
  reorder(r, from, weights.raw_data(), to, reordered->data());
  it->second.layouts.emplace_back(to, reordered);
  return reordered->data();
}

}  // namespace ksave::detail::onednn
