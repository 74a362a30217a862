#include "ksave/registry.hpp"

#include <algorithm>

#include "custom_object_stack.hpp"
#include "ksave/op.hpp"
#include "ksave/plugin_loader.hpp"
#include "core_models.hpp"
#include "ops/core_ops.hpp"

namespace ksave {
namespace {

// Layers and models share one namespace: a config's "layers" list holds both.
Kind lookup_kind(Kind kind) { return kind == Kind::Model ? Kind::Layer : kind; }

bool matches(const ClassEntry& e, Kind kind, const std::string& name, bool include_builtins) {
  if (lookup_kind(e.kind) != lookup_kind(kind)) return false;
  if (!e.package.empty()) return e.registered_name() == name;
  if (!include_builtins) return false;
  if (e.class_name == name) return true;
  return std::find(e.aliases.begin(), e.aliases.end(), name) != e.aliases.end();
}

// Every name under which an entry resolves.
std::vector<std::string> lookup_names(const ClassEntry& e) {
  if (!e.package.empty()) return {e.registered_name()};
  std::vector<std::string> names{e.class_name};
  names.insert(names.end(), e.aliases.begin(), e.aliases.end());
  return names;
}

ClassRef find_in(const CustomObjects& objects, Kind kind, const std::string& name) {
  auto it = objects.find(name);
  if (it == objects.end() || !it->second) return nullptr;
  return lookup_kind(it->second->kind) == lookup_kind(kind) ? it->second : nullptr;
}

}  // namespace

Registry& Registry::global() {
  static Registry registry;
  return registry;
}

Registry::Registry() : loader_(std::make_unique<PluginLoader>(*this)) {
  // The primitive ops are part of the core: register them before anything can run.
  std::vector<ClassEntry> ops;
  for (auto& def : detail::core_op_defs()) {
    ClassEntry e;
    e.kind = Kind::Op;
    e.class_name = def.name;
    e.factory = std::move(def);
    ops.push_back(std::move(e));
  }
  add_all(ops);
  add_all(detail::core_model_entries());
}

PluginLoader& Registry::plugins() const { return *loader_; }

void Registry::add_all(const std::vector<ClassEntry>& entries) {
  std::unique_lock lock(mutex_);
  // Check every name first (against the registry and within the new set): all or nothing.
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const ClassEntry& e = entries[i];
    if (e.class_name.empty()) throw Error("a " + std::string(kind_name(e.kind)) + " is registered without a name");
    for (const auto& name : lookup_names(e)) {
      ClassRef existing = find_locked(e.kind, name, true);
      if (existing)
        throw Error(std::string(kind_name(e.kind)) + " '" + name + "' is already registered by " +
                    (existing->plugin.empty() ? std::string("the core") : existing->plugin));
      for (std::size_t j = 0; j < i; ++j)
        if (matches(entries[j], e.kind, name, true))
          throw Error(std::string(kind_name(e.kind)) + " '" + name + "' is registered twice by the same plugin");
    }
  }
  for (const auto& e : entries) entries_.push_back(std::make_shared<const ClassEntry>(e));
}

ClassRef Registry::find_locked(Kind kind, const std::string& name, bool include_builtins) const {
  // Packaged (registered) entries win over built-ins of the same name, as in Keras.
  for (const auto& e : entries_)
    if (!e->package.empty() && matches(*e, kind, name, false)) return e;
  if (include_builtins)
    for (const auto& e : entries_)
      if (e->package.empty() && matches(*e, kind, name, true)) return e;
  return nullptr;
}

ClassRef Registry::find_registered(Kind kind, const std::string& name) const {
  {
    std::shared_lock lock(mutex_);
    if (ClassRef e = find_locked(kind, name, true)) return e;
  }
  loader_->load_default_plugins();
  std::shared_lock lock(mutex_);
  return find_locked(kind, name, true);
}

ClassRef Registry::resolve(Kind kind, const std::string& name) const {
  const auto& scopes = detail::active_scopes();
  for (auto it = scopes.rbegin(); it != scopes.rend(); ++it)
    if (ClassRef e = find_in(*it, kind, name)) return e;
  loader_->load_default_plugins();
  std::shared_lock lock(mutex_);
  if (ClassRef e = find_locked(kind, name, false)) return e;
  if (const CustomObjects* args = detail::active_argument())
    if (ClassRef e = find_in(*args, kind, name)) return e;
  return find_locked(kind, name, true);
}

ClassRef Registry::require(Kind kind, const std::string& name) const {
  if (ClassRef e = resolve(kind, name)) return e;
  throw Error("unknown " + std::string(kind_name(kind)) + " '" + name +
              "': not a built-in, not registered, and not in custom_objects or an active scope (" +
              loader_->search_summary() + ")");
}

std::string Registry::registered_name_for(Kind kind, const std::string& class_name) const {
  std::shared_lock lock(mutex_);
  // A built-in of that name keeps its plain name even when the same class is also registered
  // under a package (optimizers are also "Custom>Adam" for Keras 2.11 configs).
  for (const auto& e : entries_)
    if (e->package.empty() && lookup_kind(e->kind) == lookup_kind(kind) && e->class_name == class_name)
      return class_name;
  for (const auto& e : entries_)
    if (!e->package.empty() && lookup_kind(e->kind) == lookup_kind(kind) && e->class_name == class_name)
      return e->registered_name();
  return class_name;
}

Registry::Origin Registry::origin_of(Kind kind, const std::string& class_name) const {
  if (registered_name_for(kind, class_name) != class_name) return Origin::Package;
  const ClassRef entry = find_registered(kind, class_name);
  return entry && entry->package.empty() ? Origin::Keras : Origin::Custom;
}

std::vector<ClassRef> Registry::entries(Kind kind) const {
  loader_->load_default_plugins();
  std::shared_lock lock(mutex_);
  std::vector<ClassRef> out;
  for (const auto& e : entries_)
    if (e->kind == kind) out.push_back(e);
  return out;
}

std::vector<ClassRef> Registry::all_entries() const {
  loader_->load_default_plugins();
  std::shared_lock lock(mutex_);
  return entries_;
}

}  // namespace ksave
