// The orders of an optimizer's state, from what the optimizer declares: the Keras >= 2.11 /
// Keras 3 order of its slots, from its loops (Optimizer::slot_loops), one place for the h5,
// checkpoint, SavedModel and Keras 3 formats, which all keep the state in this order; and
// OptimizerV2's grouping by kind (Optimizer::variables' default), from slots().
#include <algorithm>
#include <memory>

#include "ksave/optimizer.hpp"

namespace ksave {
namespace {

VariablePtr slot_named(const Optimizer& optimizer, const Variable& variable, const std::string& name) {
  for (const auto& [slot_name, slot] : optimizer.slots(variable))
    if (slot_name == name) return slot;
  return nullptr;
}

// Without declared loops, every slot of a variable together, in slot order (names from the
// first variable that has slots).
std::vector<SlotLoop> default_loops(const Optimizer& optimizer, const std::vector<VariablePtr>& trained) {
  SlotLoop loop;
  for (const auto& variable : trained) {
    for (const auto& [name, _] : optimizer.slots(*variable)) loop.lists.push_back({name, "_" + name, name});
    if (!loop.lists.empty()) break;
  }
  return {loop};
}

std::vector<NewOptimizerSlot> layout_for(const Optimizer& optimizer, const std::vector<VariablePtr>& trained) {
  std::vector<SlotLoop> loops = optimizer.slot_loops();
  if (loops.empty()) loops = default_loops(optimizer, trained);
  std::vector<NewOptimizerSlot> layout;
  for (const SlotLoop& loop : loops) {
    std::vector<NewOptimizerSlot> made;
    bool any = false;
    for (const auto& variable : trained)
      for (const SlotList& list : loop.lists) {
        made.push_back({list, variable, slot_named(optimizer, *variable, list.slot)});
        any = any || made.back().slot;
      }
    if (!any && !loop.always) continue;  // Keras made no such variables either
    layout.insert(layout.end(), made.begin(), made.end());
  }
  return layout;
}

}  // namespace

std::vector<NewOptimizerSlot> new_optimizer_slots(Optimizer& optimizer, const std::vector<VariablePtr>& trained) {
  optimizer.build(trained);
  return layout_for(optimizer, trained);
}

std::vector<VariablePtr> Optimizer::variables() const {
  std::vector<VariablePtr> out{iterations()};
  std::vector<std::string> kinds;
  for (const auto& variable : built_for())
    for (const auto& [name, _] : slots(*variable))
      if (std::find(kinds.begin(), kinds.end(), name) == kinds.end()) kinds.push_back(name);
  for (const auto& kind : kinds)
    for (const auto& variable : built_for())
      if (VariablePtr slot = slot_named(*this, *variable, kind)) out.push_back(slot);
  return out;
}

std::vector<NewOptimizerSlot> new_optimizer_slots(const Optimizer& optimizer) {
  return layout_for(optimizer, optimizer.built_for());
}

}  // namespace ksave
