// Custom objects, as Keras resolves them. A name in a config is looked up in this order
// (tf.keras 2.x's get_registered_object):
//   1. the innermost active CustomObjectScope, then the outer ones;
//   2. objects registered with a package ("Custom>CustomLayer", register_keras_serializable);
//   3. the custom_objects passed to the load or deserialize call;
//   4. built-in objects (every plugin shipped with ksave), by name or older alias.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "ksave/class_entry.hpp"

namespace ksave {

using CustomObjects = std::map<std::string, ClassRef>;

// keras.utils.custom_object_scope: active on this thread for the object's lifetime.
class CustomObjectScope {
 public:
  explicit CustomObjectScope(CustomObjects objects);
  ~CustomObjectScope();
  CustomObjectScope(const CustomObjectScope&) = delete;
  CustomObjectScope& operator=(const CustomObjectScope&) = delete;
};

// Makes `objects` the call-level custom_objects (step 3) for the object's lifetime; load and
// deserialize functions use it so nested objects resolve with the caller's custom_objects.
class CustomObjectsArgument {
 public:
  explicit CustomObjectsArgument(const CustomObjects& objects);
  ~CustomObjectsArgument();
  CustomObjectsArgument(const CustomObjectsArgument&) = delete;
  CustomObjectsArgument& operator=(const CustomObjectsArgument&) = delete;
};

// Entries for classes defined in the application itself (not in a plugin), to pass through
// custom_objects or a scope, as Python passes a class object.
template <typename L>
ClassRef layer_class(const std::string& class_name, Kind kind = Kind::Layer) {
  auto entry = std::make_shared<ClassEntry>();
  entry->kind = kind;
  entry->class_name = class_name;
  entry->factory = LayerFactory([](const Json& config) { return std::make_shared<L>(config); });
  return entry;
}
ClassRef activation_function(const std::string& name, ActivationFunction fn);

}  // namespace ksave
