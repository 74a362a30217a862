// Writing a ksave plugin. A plugin is a shared library with exactly one exported entry point,
// declared with KSAVE_PLUGIN, that tells the host its API version, name and version, and gives
// it a function that registers the plugin's objects into a PluginRegistrar. The host checks the
// API version before calling anything else, stages the registrations, and commits them all or
// none.
//
//   class MyLayer : public ksave::Layer { ... };
//   static void register_objects(ksave::PluginRegistrar& r) { r.layer<MyLayer>("MyLayer"); }
//   KSAVE_PLUGIN("my_layer", "1.0.0", register_objects)
//
// A registration may say how Keras 3 writes the class into a `.keras` archive, when Keras 3
// spells its config otherwise than its get_config (module, key order, renamed or dropped keys,
// build_config, call keyword arguments; ksave/keras3_form.hpp lists them all):
//
//   r.layer<MyLayer>("MyLayer").keras3_form(ksave::Keras3Form()
//       .module("my_package.layers")
//       .keys({"name", "trainable", "dtype", "units", "scale"})
//       .renamed("factor", "scale"));
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/dll/alias.hpp>

#include "ksave/class_entry.hpp"
#include "ksave/format.hpp"
#include "ksave/keras3_form.hpp"
#include "ksave/layer.hpp"
#include "ksave/loss.hpp"
#include "ksave/metric.hpp"
#include "ksave/op.hpp"
#include "ksave/optimizer.hpp"
#include "ksave/sdk_fingerprint.hpp"

// Bumped whenever a public class layout or virtual interface changes incompatibly.
// 2: SaveOptions gained format_options.
// 3: Format gained traits() and names_files_at(), Layer gained input_spec(),
//    is_recurrent_layer() and the stored-weights conversion; PluginInfo records the compiler and
//    the SDK header fingerprint.
// 4: ClassEntry gained the class's Keras 3 form; PluginRegistrar's registrations return a
//    ClassRegistration.
#define KSAVE_PLUGIN_API_VERSION 4u

// The compiler a plugin was built with, recorded in its entry point for `ksave plugins` and for
// the loader's refusals (the C++ library ABI is part of it: std::string's layout differs).
#if defined(__clang__)
#define KSAVE_PLUGIN_COMPILER "clang " __clang_version__
#elif defined(__GNUC__)
#define KSAVE_PLUGIN_COMPILER "GCC " __VERSION__
#else
#define KSAVE_PLUGIN_COMPILER "unknown compiler"
#endif
#if defined(_GLIBCXX_USE_CXX11_ABI) && !_GLIBCXX_USE_CXX11_ABI
#define KSAVE_PLUGIN_CXX_ABI ", libstdc++ pre-C++11 string ABI"
#else
#define KSAVE_PLUGIN_CXX_ABI ""
#endif

namespace ksave {

class PluginRegistrar;

// What a registration returns: the class just registered, to declare more about it in the same
// statement (`r.layer<L>("L").keras3_form(...)`).
class ClassRegistration {
 public:
  // How Keras 3 writes the class (ksave/keras3_form.hpp); without one, as its get_config says.
  ClassRegistration& keras3_form(Keras3Form form);

 private:
  friend class PluginRegistrar;
  ClassRegistration(PluginRegistrar& registrar, std::size_t index) : registrar_(&registrar), index_(index) {}
  PluginRegistrar* registrar_;
  std::size_t index_;  // the entry's place in the registrar (a reference would move with its vector)
};

class PluginRegistrar {
 public:
  // Objects registered after this call are serializable under "package>Name" (Keras's
  // register_keras_serializable(package)); before it they are built-ins resolved by name.
  void set_package(std::string package) { package_ = std::move(package); }

  template <typename L>
  ClassRegistration layer(const std::string& class_name, std::vector<std::string> aliases = {}) {
    return add(Kind::Layer, class_name, std::move(aliases),
               LayerFactory([](const Json& c) -> std::shared_ptr<Layer> { return std::make_shared<L>(c); }));
  }
  template <typename M>
  ClassRegistration model(const std::string& class_name, std::vector<std::string> aliases = {}) {
    return add(Kind::Model, class_name, std::move(aliases),
               LayerFactory([](const Json& c) -> std::shared_ptr<Layer> { return std::make_shared<M>(c); }));
  }
  ClassRegistration activation(const std::string& name, ActivationFunction fn, std::vector<std::string> aliases = {}) {
    return add(Kind::Activation, name, std::move(aliases), std::move(fn));
  }
  template <typename T>
  ClassRegistration initializer(const std::string& class_name, std::vector<std::string> aliases = {}) {
    return add(Kind::Initializer, class_name, std::move(aliases),
               InitializerFactory([](const Json& c) -> std::shared_ptr<Initializer> { return std::make_shared<T>(c); }));
  }
  template <typename T>
  ClassRegistration regularizer(const std::string& class_name, std::vector<std::string> aliases = {}) {
    return add(Kind::Regularizer, class_name, std::move(aliases),
               RegularizerFactory([](const Json& c) -> std::shared_ptr<Regularizer> { return std::make_shared<T>(c); }));
  }
  template <typename T>
  ClassRegistration constraint(const std::string& class_name, std::vector<std::string> aliases = {}) {
    return add(Kind::Constraint, class_name, std::move(aliases),
               ConstraintFactory([](const Json& c) -> std::shared_ptr<Constraint> { return std::make_shared<T>(c); }));
  }
  template <typename T>
  ClassRegistration optimizer(const std::string& class_name, std::vector<std::string> aliases = {}) {
    return add(Kind::Optimizer, class_name, std::move(aliases),
               OptimizerFactory([](const Json& c) -> std::shared_ptr<Optimizer> { return std::make_shared<T>(c); }));
  }
  ClassRegistration loss(const std::string& name, LossFactory factory, std::vector<std::string> aliases = {}) {
    return add(Kind::Loss, name, std::move(aliases), std::move(factory));
  }
  ClassRegistration metric(const std::string& name, MetricFactory factory, std::vector<std::string> aliases = {}) {
    return add(Kind::Metric, name, std::move(aliases), std::move(factory));
  }
  template <typename F>
  ClassRegistration format(const std::string& name) {
    return add(Kind::Format, name, {},
               FormatFactory([]() -> std::shared_ptr<Format> { return std::make_shared<F>(); }));
  }
  ClassRegistration op(OpDef def) {
    std::string name = def.name;
    return add(Kind::Op, name, {}, std::move(def));
  }

  const std::vector<ClassEntry>& entries() const { return entries_; }

 private:
  friend class ClassRegistration;
  ClassRegistration add(Kind kind, const std::string& name, std::vector<std::string> aliases, std::any factory) {
    ClassEntry e;
    e.kind = kind;
    e.class_name = name;
    e.package = package_;
    e.aliases = std::move(aliases);
    e.factory = std::move(factory);
    entries_.push_back(std::move(e));
    return ClassRegistration(*this, entries_.size() - 1);
  }
  std::string package_;
  std::vector<ClassEntry> entries_;
};

inline ClassRegistration& ClassRegistration::keras3_form(Keras3Form form) {
  registrar_->entries_[index_].keras3_form = std::move(form);
  return *this;
}

// What the entry point returns. Plain C layout: the host reads `api_version` before trusting
// anything else in it; fields are only ever appended, with a new API version.
struct PluginInfo {
  std::uint32_t api_version;
  const char* name;
  const char* version;
  void (*register_objects)(PluginRegistrar&);
  // Since API version 3. A plugin built against headers other than the host's (a class layout
  // changed without an API version bump, a patched copy) is refused instead of crashing.
  const char* compiler;
  const char* sdk_fingerprint;
};

using PluginEntryPoint = const PluginInfo* (*)();

}  // namespace ksave

// The exported symbol, in the "ksave" section so `ksave plugins` can list a file's entry
// points without running any of its code.
#define KSAVE_PLUGIN_ENTRY_SYMBOL ksave_plugin_entry

#define KSAVE_PLUGIN_WITH_API(NAME, VERSION, REGISTER_FN, API)                                \
  namespace {                                                                               \
  const ::ksave::PluginInfo* ksave_plugin_info_impl() {                                     \
    static const ::ksave::PluginInfo info{(API),         (NAME),                            \
                                          (VERSION),     &(REGISTER_FN),                    \
                                          KSAVE_PLUGIN_COMPILER KSAVE_PLUGIN_CXX_ABI,       \
                                          KSAVE_SDK_HEADER_FINGERPRINT};                    \
    return &info;                                                                           \
  }                                                                                         \
  }                                                                                         \
  BOOST_DLL_ALIAS_SECTIONED(ksave_plugin_info_impl, ksave_plugin_entry, ksave)

#define KSAVE_PLUGIN(NAME, VERSION, REGISTER_FN) \
  KSAVE_PLUGIN_WITH_API(NAME, VERSION, REGISTER_FN, KSAVE_PLUGIN_API_VERSION)
