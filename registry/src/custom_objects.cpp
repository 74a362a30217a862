#include "ksave/custom_objects.hpp"

#include <vector>

#include "custom_object_stack.hpp"
#include "ksave/tensor.hpp"

namespace ksave {
namespace detail {

thread_local std::vector<CustomObjects> t_scopes;
thread_local std::vector<const CustomObjects*> t_arguments;

const std::vector<CustomObjects>& active_scopes() { return t_scopes; }
const CustomObjects* active_argument() { return t_arguments.empty() ? nullptr : t_arguments.back(); }

}  // namespace detail

CustomObjectScope::CustomObjectScope(CustomObjects objects) { detail::t_scopes.push_back(std::move(objects)); }
CustomObjectScope::~CustomObjectScope() { detail::t_scopes.pop_back(); }

CustomObjectsArgument::CustomObjectsArgument(const CustomObjects& objects) {
  detail::t_arguments.push_back(&objects);
}
CustomObjectsArgument::~CustomObjectsArgument() { detail::t_arguments.pop_back(); }

ClassRef activation_function(const std::string& name, ActivationFunction fn) {
  auto entry = std::make_shared<ClassEntry>();
  entry->kind = Kind::Activation;
  entry->class_name = name;
  entry->factory = std::move(fn);
  return entry;
}

}  // namespace ksave
