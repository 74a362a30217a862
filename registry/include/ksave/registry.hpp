// The process-wide registry of named factories, by kind. One instance lives in libksave, so a
// plugin and the application see the same registry. Thread-safe: lookups take a shared lock,
// registration an exclusive one.
#pragma once

#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "ksave/class_entry.hpp"
#include "ksave/custom_objects.hpp"

namespace ksave {

class PluginLoader;

class Registry {
 public:
  static Registry& global();

  // Adds every entry or none: a name already taken (in the same kind) refuses the whole set,
  // with a message naming the name and who registered it first.
  void add_all(const std::vector<ClassEntry>& entries);
  void add(const ClassEntry& entry) { add_all({entry}); }

  // Resolves a config name with Keras's precedence (see custom_objects.hpp). Loads the plugins
  // on first use. Returns null when nothing matches.
  ClassRef resolve(Kind kind, const std::string& name) const;
  // Like resolve, but throws an error naming the class, the kind and the plugin paths searched.
  ClassRef require(Kind kind, const std::string& name) const;
  // Only registered and built-in entries (no scopes, no call arguments).
  ClassRef find_registered(Kind kind, const std::string& name) const;
  // The "Package>Name" under which objects of this plain class name were registered, if any;
  // serialization writes that name, as Keras does.
  std::string registered_name_for(Kind kind, const std::string& class_name) const;
  // How Keras serializes an object of this class: a class of Keras itself (registered without a
  // package: module "keras.<kind>", registered_name null), one registered under a package
  // (module null, registered_name "Package>Name") or a custom object known only to the caller
  // (custom_objects, scopes: module null, registered_name the class name).
  enum class Origin { Keras, Package, Custom };
  Origin origin_of(Kind kind, const std::string& class_name) const;
  std::vector<ClassRef> entries(Kind kind) const;
  std::vector<ClassRef> all_entries() const;

  PluginLoader& plugins() const;

 private:
  Registry();
  ClassRef find_locked(Kind kind, const std::string& name, bool include_builtins) const;
  mutable std::shared_mutex mutex_;
  std::vector<ClassRef> entries_;
  std::unique_ptr<PluginLoader> loader_;
};

}  // namespace ksave
