// Variable names follow the layers being built, as TensorFlow's name scopes do: a weight
// created while building layer "dense_1" inside the call of layer "nested" is named
// "nested/dense_1/kernel:0".
#pragma once

#include <string>

namespace ksave {

class NameScope {
 public:
  enum Mode { kAlways, kIfNotInnermost };
  // Enters `name`, which must outlive the scope (kIfNotInnermost: unless it is already the innermost scope, so that an
  // explicit build() inside a call does not repeat it).
  explicit NameScope(const std::string& name, Mode mode = kAlways);
  ~NameScope();
  NameScope(const NameScope&) = delete;
  NameScope& operator=(const NameScope&) = delete;

  // "<scopes>/<attribute>:0"; `layer` is used when no scope is active.
  static std::string variable_name(const std::string& layer, const std::string& attribute);

 private:
  bool pushed_ = false;
};

}  // namespace ksave
