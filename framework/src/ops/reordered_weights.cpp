#include "reordered_weights.hpp"

#include <algorithm>

namespace ksave::detail::onednn {

void ReorderedWeights::drop_orphans() {
  std::erase_if(entries_, [](const auto& entry) {
    return std::ranges::all_of(entry.second, [](const Layout& l) { return l.source.orphaned(); });
  });
}

std::shared_ptr<const Storage> ReorderedWeights::get(const Tensor& weights, const dnnl::reorder& r,
                                                     const memory::desc& from, const memory::desc& to,
                                                     ReorderFrom from_use) {
  const std::shared_ptr<Storage>& source = weights.storage();
  const auto copy = [&] {
    std::shared_ptr<Storage> reordered = Storage::allocate_for_overwrite(to.get_size());
    reorder(r, from, weights.raw_data(), to, reordered->data());
    return reordered;
  };
  const std::lock_guard lock(mutex_);
  auto it = entries_.find(source.get());
  if (it != entries_.end())
    for (Layout& layout : it->second)
      if (layout.desc == to && layout.source.matches(source)) {
        if (!layout.reordered) layout.reordered = copy();  // the value's second use
        return layout.reordered;
      }
  if (it == entries_.end()) {
    drop_orphans();
    it = entries_.try_emplace(source.get()).first;
  }
  std::vector<Layout>& layouts = it->second;
  std::erase_if(layouts, [&](const Layout& l) { return l.desc == to; });
  layouts.push_back({to, StorageStamp(source), from_use == ReorderFrom::first_use ? copy() : nullptr});
  return layouts.back().reordered;
}

}  // namespace ksave::detail::onednn
