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

// One slot list of a Keras >= 2.11 optimizer and the ksave slot holding the same values.
struct SlotList {
  const char* keras_list;
  const char* slot;
};

// One creation loop of a Keras >= 2.11 optimizer's build(): for each variable, one slot per list,
// interleaved (Adam: m0, v0, m1, v1, ...). `always` marks loops Keras runs whatever the options
// (SGD makes `momentums` even when momentum is 0, ksave then keeps no slot); the other loops run
// exactly when ksave's optimizer has those slots.
struct BuildLoop {
  std::vector<SlotList> lists;
  bool always = false;
};

// From keras/optimizers/optimizer_experimental/<class>.py, build() (Keras 2.11-2.15).
const std::map<std::string, std::vector<BuildLoop>>& build_loops() {
  static const std::map<std::string, std::vector<BuildLoop>> loops = {
      {"Adam", {{{{"_momentums", "m"}, {"_velocities", "v"}}}, {{{"_velocity_hats", "vhat"}}}}},
      {"SGD", {{{{"momentums", "momentum"}}, true}}},
      {"RMSprop", {{{{"_velocities", "rms"}}}, {{{"_momentums", "momentum"}}}, {{{"_average_gradients", "mg"}}}}},
      {"Adagrad", {{{{"_accumulators", "accumulator"}}}}},
      {"Adadelta", {{{{"_accumulated_grads", "accum_grad"}, {"_accumulated_delta_vars", "accum_var"}}}}},
      {"Adamax", {{{{"_m", "m"}, {"_u", "v"}}}}},
      {"Nadam", {{{{"_momentums", "m"}, {"_velocities", "v"}}}}},
  };
  return loops;
}

VariablePtr slot_of(const Optimizer& optimizer, const Variable& variable, const std::string& name) {
  for (const auto& [slot_name, slot] : optimizer.slots(variable))
    if (slot_name == name) return slot;
  return nullptr;
}

VariablePtr child_variable(const Optimizer& optimizer, const std::string& name) {
  for (const auto& child : optimizer.trackable_children())
    if (child.name == name) return std::dynamic_pointer_cast<Variable>(child.object);
  return nullptr;
}

}  // namespace

bool is_new_optimizer_child(const std::string& local_name) {
  return local_name == "_iterations" || local_name == "_variables" || local_name == "_learning_rate";
}

NewOptimizerState new_optimizer_state(Optimizer& optimizer, const std::vector<VariablePtr>& trained) {
  optimizer.build(trained);
  NewOptimizerState state;
  auto& out = state.children;
  out.push_back({"_iterations", optimizer.iterations()});
  const auto learning_rate = child_variable(optimizer, "learning_rate");
  if (learning_rate) out.push_back({"_learning_rate", learning_rate});
  for (const auto& child : optimizer.trackable_children())
    if (auto variable = std::dynamic_pointer_cast<Variable>(child.object))
      if (variable != learning_rate && variable != optimizer.iterations()) state.set_by_config.push_back(variable);
  std::vector<VariablePtr> all{optimizer.iterations()};
  const auto loops = build_loops().find(optimizer.class_name());
  if (loops != build_loops().end()) {
    for (const BuildLoop& loop : loops->second) {
      std::vector<std::vector<VariablePtr>> lists(loop.lists.size());
      bool any = false;
      for (const auto& variable : trained)
        for (std::size_t l = 0; l < loop.lists.size(); ++l) {
          lists[l].push_back(slot_of(optimizer, *variable, loop.lists[l].slot));
          any = any || lists[l].back();
        }
      if (!any && !loop.always) continue;  // Keras made no such variables either
      for (std::size_t v = 0; v < trained.size(); ++v)
        for (const auto& list : lists) all.push_back(list[v]);
      for (std::size_t l = 0; l < loop.lists.size(); ++l)
        out.push_back({loop.lists[l].keras_list, std::make_shared<TrackedList>(lists[l])});
    }
  }
  out.push_back({"_variables", std::make_shared<TrackedList>(all)});
  return state;
}

}  // namespace ksave::tf
