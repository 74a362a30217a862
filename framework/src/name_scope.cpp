#include "name_scope.hpp"

#include <vector>

namespace ksave {
namespace {
// Pointers to the names of the layers being called; they outlive the scope objects.
thread_local std::vector<const std::string*> t_scopes;
}

NameScope::NameScope(const std::string& name, Mode mode) {
  if (mode == kIfNotInnermost && !t_scopes.empty() && *t_scopes.back() == name) return;
  t_scopes.push_back(&name);
  pushed_ = true;
}

NameScope::~NameScope() {
  if (pushed_) t_scopes.pop_back();
}

std::string NameScope::variable_name(const std::string& layer, const std::string& attribute) {
  if (t_scopes.empty()) return layer + "/" + attribute + ":0";
  std::string name;
  for (const auto* s : t_scopes) name += *s + "/";
  return name + attribute + ":0";
}

}  // namespace ksave
