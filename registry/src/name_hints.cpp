#include "ksave/name_hints.hpp"

#include "ksave/registry.hpp"

namespace ksave {

std::string qualified_name_hint(Kind kind, const std::string& name) {
  // Layers and models share one namespace, as in the registry's lookups.
  const auto same_namespace = [](Kind a, Kind b) { return (a == Kind::Model ? Kind::Layer : a) == (b == Kind::Model ? Kind::Layer : b); };
  // Built by appending (GCC 12 reports a false -Wrestrict on "'" + std::string temporaries).
  std::string qualified;
  for (const auto& e : Registry::global().all_entries())
    if (!e->package.empty() && same_namespace(e->kind, kind) && e->class_name == name)
      qualified.append(qualified.empty() ? "'" : ", '").append(e->registered_name()).append("'");
  if (qualified.empty()) return "";
  return " (" + qualified + " is registered under a package: a config must name it so)";
}

}  // namespace ksave
