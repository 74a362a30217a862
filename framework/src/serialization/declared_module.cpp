#include "serialization/declared_module.hpp"

namespace ksave {

Json declared_module(Kind kind, const std::string& class_name) {
  const Registry& registry = Registry::global();
  const ClassRef entry = registry.find_registered(kind, registry.registered_name_for(kind, class_name));
  if (!entry || entry->package.empty()) return nullptr;
  const Json& form = entry->keras3_form.fields();
  return form.contains("module") ? form["module"] : Json();
}

}  // namespace ksave
