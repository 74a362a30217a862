#include "ksave/op.hpp"

#include "ksave/registry.hpp"

namespace ksave {
namespace {

// Observers active on this thread, innermost last.
thread_local std::vector<OpObserver*> t_observers;

}  // namespace

ObserverScope::ObserverScope(OpObserver& observer) { t_observers.push_back(&observer); }
ObserverScope::~ObserverScope() { t_observers.pop_back(); }

bool ops_observed() { return !t_observers.empty(); }

bool ops_recorded() {
  for (const OpObserver* observer : t_observers)
    if (observer->records_ops()) return true;
  return false;
}

bool fused_ops_allowed() {
  for (const OpObserver* observer : t_observers)
    if (observer->wants_primitive_ops()) return false;
  return true;
}

const OpDef& find_op(const std::string& name) {
  ClassRef entry = Registry::global().find_registered(Kind::Op, name);
  if (!entry) throw Error("unknown op '" + name + "' (no plugin registers it)");
  // Entries are never removed, so the reference stays valid for the process's life.
  return entry->as<OpDef>();
}

Tensors run_op(const OpDef& op, std::span<const Tensor> inputs, const Attrs& attrs) {
  Tensors outputs = op.forward(inputs, attrs);
  for (OpObserver* observer : t_observers) observer->on_op(op, inputs, attrs, outputs);
  return outputs;
}

Tensors run_op(const std::string& name, std::span<const Tensor> inputs, const Attrs& attrs) {
  return run_op(find_op(name), inputs, attrs);
}

}  // namespace ksave
