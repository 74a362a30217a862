// Resolution of activations, initializers, regularizers and constraints from config values,
// and their tf.keras 2.x serialized forms. The objects themselves live in plugins; this file
// only reads the many forms a config may name one in and asks the registry.
#include "ksave/objects.hpp"

#include <string>
#include <type_traits>
#include <vector>

#include "ksave/registry.hpp"
#include "ksave/serialization.hpp"
#include "serialization/declared_module.hpp"

namespace ksave {

namespace {

// What a config value names: the names to try in order, and the config to build with.
struct Reference {
  std::vector<std::string> names;
  Json config = Json::object();
};

// Reads every generation's form of a reference to a registered object:
//   "glorot_uniform"                                                  a name (all versions)
//   {"class_name": "L2", "config": {...}}                             tf.keras 2.x
//   {"module": ..., "class_name": "GlorotUniform", "config": {...},
//    "registered_name": null | "pkg>Name"}                            tf.keras >= 2.13, Keras 3
//   {"module": ..., "class_name": "function", "config": "relu",
//    "registered_name": "function"}                                   a function, Keras 3 style
//   {"name": "MaxNorm", "m": 2, "axis": 0}                            Keras 1 (name inside)
// Other keys (shared_object_id, __passive_serialization__, build_config) do not change what
// is named.
Reference read_reference(Kind kind, const Json& value) {
  const auto invalid = [&](const std::string& why) {
    return Error(std::string(kind_name(kind)) + ": " + why + ", found " + value.dump());
  };
  if (value.is_string()) return {{value.get<std::string>()}};
  if (!value.is_object())
    throw invalid("expected a name, a {\"class_name\", \"config\"} dict or null");

  if (!value.contains("class_name")) {
    const auto name = value.find("name");
    if (name == value.end() || !name->is_string())
      throw invalid("expected a \"class_name\" key in the dict");
    Reference ref{{name->get<std::string>()}, value};
    ref.config.erase("name");
    return ref;
  }

  const Json& class_name = value.at("class_name");
  if (!class_name.is_string()) throw invalid("\"class_name\" must be a string");
  const auto config = value.find("config");
  if (class_name == "function") {
    if (config == value.end() || !config->is_string())
      throw invalid("a serialized function needs its name as a string \"config\"");
    return {{config->get<std::string>()}};
  }

  Reference ref;
  // Keras 3 names a registered custom object by registered_name ("pkg>Name") and keeps the
  // plain class name in class_name; custom_objects may know it under either.
  const auto registered = value.find("registered_name");
  if (registered != value.end() && registered->is_string() && *registered != class_name)
    ref.names.push_back(registered->get<std::string>());
  ref.names.push_back(class_name.get<std::string>());
  if (config != value.end() && !config->is_null()) ref.config = *config;
  return ref;
}

ClassRef resolve(Kind kind, const std::vector<std::string>& names) {
  const Registry& registry = Registry::global();
  for (const std::string& name : names)
    if (ClassRef entry = registry.resolve(kind, name)) return entry;
  return registry.require(kind, names.front());  // throws, naming the class and paths searched
}

// The name tf.keras writes for an object of plain class `class_name`: "Package>Name" when it
// was registered with a package, else the plain name.
std::string serialized_name(Kind kind, const std::string& class_name) {
  std::string name = Registry::global().registered_name_for(kind, class_name);
  return name.empty() ? class_name : name;
}

// Builds the object a config value names with the entry's factory (null value: no object).
template <typename Factory, typename Pointer = std::invoke_result_t<Factory, const Json&>>
Pointer build(Kind kind, const Json& value) {
  if (value.is_null()) return nullptr;
  const Reference ref = read_reference(kind, value);
  ClassRef entry = resolve(kind, ref.names);
  auto object = entry->as<Factory>()(ref.config);
  if (!object)
    throw Error(std::string(kind_name(kind)) + " '" + entry->registered_name() +
                "': its factory returned nothing");
  return object;
}

// The module tf-keras 2.21 names for a built-in object of this kind.
const char* keras_module(Kind kind) {
  switch (kind) {
    case Kind::Initializer: return "keras.initializers";
    case Kind::Regularizer: return "keras.regularizers";
    case Kind::Constraint: return "keras.constraints";
    default: return "keras";
  }
}

// tf-keras 2.21's serialize_keras_object: {"module", "class_name", "config", "registered_name"};
// an object registered under a package has no module and its "Package>Name" as registered_name.
template <typename Object>
Json serialize_object(Kind kind, const std::shared_ptr<Object>& object) {
  if (!object) return nullptr;
  if (current_config_dialect() == ConfigDialect::SavedModel)
    return {{"class_name", serialized_name(kind, object->class_name())}, {"config", object->get_config()}};
  const auto origin = Registry::global().origin_of(kind, object->class_name());
  Json out = Json::object();
  out["module"] = origin == Registry::Origin::Keras ? Json(keras_module(kind))
                                                   : declared_module(kind, object->class_name());
  out["class_name"] = object->class_name();
  out["config"] = object->get_config();
  out["registered_name"] = origin == Registry::Origin::Keras ? Json() : Json(serialized_name(kind, object->class_name()));
  return out;
}

}  // namespace

Activation get_activation(const Json& value) {
  // Keras writes a missing activation as "linear"; the empty function is the identity.
  if (value.is_null()) return {"linear", {}};
  const Reference ref = read_reference(Kind::Activation, value);
  ClassRef entry = resolve(Kind::Activation, ref.names);
  // The entry's own name, not the alias the config used: Keras serializes the function's name.
  std::string name = entry->package.empty() ? serialized_name(Kind::Activation, entry->class_name)
                                            : entry->registered_name();
  return {std::move(name), entry->as<ActivationFunction>()};
}

InitializerPtr get_initializer(const Json& value) {
  return build<InitializerFactory>(Kind::Initializer, value);
}

RegularizerPtr get_regularizer(const Json& value) {
  return build<RegularizerFactory>(Kind::Regularizer, value);
}

ConstraintPtr get_constraint(const Json& value) {
  return build<ConstraintFactory>(Kind::Constraint, value);
}

Json serialize(const Activation& activation) {
  if (activation.name.empty()) return "linear";
  // Keras's own activations by name; any other function (registered under a package or given in
  // custom_objects) as tf-keras 2.21 writes a function.
  const ClassRef entry = Registry::global().find_registered(Kind::Activation, activation.name);
  if ((entry && entry->package.empty()) || current_config_dialect() == ConfigDialect::SavedModel) return activation.name;
  return {{"module", "builtins"}, {"class_name", "function"}, {"config", activation.name}, {"registered_name", "function"}};
}

Json serialize(const InitializerPtr& initializer) {
  return serialize_object(Kind::Initializer, initializer);
}

Json serialize(const RegularizerPtr& regularizer) {
  return serialize_object(Kind::Regularizer, regularizer);
}

Json serialize(const ConstraintPtr& constraint) {
  return serialize_object(Kind::Constraint, constraint);
}

}  // namespace ksave
