#include "reordered_weights.hpp"

#include <algorithm>

namespace ksave::detail::onednn {

void ReorderedWeights::drop_orphans() {
  std::erase_if(entries_, [](const auto& entry) {
    return std::ranges::all_of(entry.second, [](const Layout& l) { return l.source.orphaned(); });
  });
}

std::shared_ptr<const Storage> ReorderedWeights::get(const Tensor& weights, const dnnl::reorder& r,
                                                     const memory::desc& from, const memory::desc& to) {
  const std::shared_ptr<Storage>& source = weights.storage();
  const std::lock_guard lock(mutex_);
  auto it = entries_.find(source.get());
  if (it != entries_.end())
    for (const Layout& layout : it->second)
      if (layout.desc == to && layout.source.matches(source)) return layout.reordered;
  if (it == entries_.end()) {
    drop_orphans();
    it = entries_.try_emplace(source.get()).first;
  }
  std::shared_ptr<Storage> reordered = Storage::allocate_for_overwrite(to.get_size());
  reorder(r, from, weights.raw_data(), to, reordered->data());
  std::vector<Layout>& layouts = it->second;
  std::erase_if(layouts, [&](const Layout& l) { return l.desc == to; });
  layouts.push_back({to, StorageStamp(source), reordered});
  return reordered;
}

}  // namespace ksave::detail::onednn
