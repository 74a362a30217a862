// The process registry, with what the core itself defines registered before anything can look
// a name up: the primitive ops, the core's layer and model classes and the LossScaleOptimizer
// (it wraps whichever optimizer plugin, so it lives with the training code). Defined here, beside
// them, so that registry/ includes nothing of the framework's internals.
#include "core_models.hpp"
#include "ksave/op.hpp"
#include "ksave/plugin_loader.hpp"  // the registry owns its loader: a complete type to destroy it
#include "ksave/registry.hpp"
#include "ops/core_ops.hpp"
#include "training/loss_scale_optimizer.hpp"

namespace ksave {
namespace {

std::vector<ClassEntry> core_op_entries() {
  std::vector<ClassEntry> ops;
  for (auto& def : detail::core_op_defs()) {
    ClassEntry e;
    e.kind = Kind::Op;
    e.class_name = def.name;
    e.factory = std::move(def);
    ops.push_back(std::move(e));
  }
  return ops;
}

}  // namespace

Registry& Registry::global() {
  static Registry registry;
  // Filled once, under the same thread-safe static initialization as the registry itself.
  [[maybe_unused]] static const bool core_registered = [] {
    registry.add_all(core_op_entries());
    registry.add_all(detail::core_class_entries());
    registry.add_all(detail::loss_scale_optimizer_entries());
    return true;
  }();
  return registry;
}

}  // namespace ksave
