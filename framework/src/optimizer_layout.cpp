// The Keras >= 2.11 / Keras 3 order of an optimizer's slots, from the loops the optimizer
// declares (Optimizer::slot_loops): one place for the h5, checkpoint, SavedModel and Keras 3
// formats, which all keep the state in this order.
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

std::vector<NewOptimizerSlot> new_optimizer_slots(const Optimizer& optimizer) {
  return layout_for(optimizer, optimizer.built_for());
}

}  // namespace ksave
