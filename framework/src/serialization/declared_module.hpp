// The module tf-keras writes for a class registered under a package: its Python class's module
// (cls.__module__), which a plugin declares for its Keras twin with Keras3Form().module(...) (Keras
// 3 writes the same one). Null when the class declares none, or is Keras's own.
#pragma once

#include <string>

#include "ksave/json.hpp"
#include "ksave/registry.hpp"

namespace ksave {

Json declared_module(Kind kind, const std::string& class_name);

}  // namespace ksave
