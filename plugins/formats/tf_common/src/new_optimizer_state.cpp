#include "new_optimizer_state.hpp"

#include <map>

namespace ksave::tf {
namespace {

// A Keras list attribute (`_variables`, `_momentums`): children "0", "1", ...; a position
// without an object keeps its number (so later positions keep theirs) but has no child.
class TrackedList final : public Trackable {
 public:
  explicit TrackedList(std::vector<VariablePtr> items) : items_(std::move(items)) {}
  std::vector<TrackableChild> trackable_children() const override {
    std::vector<TrackableChild> out;
    for (std::size_t i = 0; i < items_.size(); ++i)
      if (items_[i]) out.push_back({std::to_string(i), items_[i]});
    return out;
  }
  std::string trackable_kind() const override { return "list"; }

 private:
  std::vector<VariablePtr> items_;
};

VariablePtr child_variable(const Optimizer& optimizer, const std::string& name) {
  for (const auto& child : optimizer.trackable_children())
    if (child.name == name) return std::dynamic_pointer_cast<Variable>(child.object);
  return nullptr;
}

// Keras's order: `_variables` first (so slots are filed under it, as TensorFlow's breadth-first
// walk meets them there first), the counter, the learning rate, then the slot lists in build()
// order and the extras.
NewOptimizerState describe(const Optimizer& optimizer, const std::vector<NewOptimizerSlot>& slots) {
  NewOptimizerState state;
  const auto learning_rate = child_variable(optimizer, "learning_rate");
  std::vector<VariablePtr> all{optimizer.iterations()};
  std::vector<std::string> list_order;
  std::map<std::string, std::vector<VariablePtr>> lists;
  for (const auto& s : slots) {
    all.push_back(s.slot);
    if (!lists.count(s.list.attribute)) list_order.push_back(s.list.attribute);
    lists[s.list.attribute].push_back(s.slot);
  }
  auto& out = state.children;
  out.push_back({"_variables", std::make_shared<TrackedList>(all)});
  out.push_back({"_iterations", optimizer.iterations()});
  if (learning_rate) out.push_back({"_learning_rate", learning_rate});
  for (const auto& attribute : list_order) out.push_back({attribute, std::make_shared<TrackedList>(lists[attribute])});
  for (const auto& extra : optimizer.new_generation_extras()) out.push_back(extra);
  std::map<const Trackable*, bool> mapped;
  for (const auto& child : out) mapped[child.object.get()] = true;
  for (const auto& child : optimizer.trackable_children())
    if (auto variable = std::dynamic_pointer_cast<Variable>(child.object))
      if (!mapped.count(variable.get())) state.set_by_config.push_back(variable);
  return state;
}

}  // namespace

bool is_new_optimizer_child(const std::string& local_name) {
  return local_name == "_iterations" || local_name == "_variables" || local_name == "_learning_rate";
}

NewOptimizerState new_optimizer_state(Optimizer& optimizer, const std::vector<VariablePtr>& trained) {
  return describe(optimizer, new_optimizer_slots(optimizer, trained));
}

NewOptimizerState written_new_optimizer_state(const Optimizer& optimizer) {
  std::vector<NewOptimizerSlot> slots = new_optimizer_slots(optimizer);
  // Where Keras keeps a slot ksave does not (SGD's momentums at momentum 0), it holds zeros.
  for (auto& s : slots)
    if (!s.slot)
      s.slot = std::make_shared<Variable>(s.list.keras_name + "/" + s.trained->shared_name(),
                                          Tensor::zeros(s.trained->dtype(), s.trained->shape()), false);
  return describe(optimizer, slots);
}

}  // namespace ksave::tf
