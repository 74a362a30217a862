// Finds every class a config names that nothing resolves, so one error can list them all.
#include <set>

#include "ksave/name_hints.hpp"
#include "ksave/registry.hpp"
#include "ksave/serialization.hpp"
#include "serialization/unknown_classes.hpp"

namespace ksave {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// What kind of object a config key holds; nullopt where ksave does not resolve a class.
std::optional<Kind> kind_for_key(const std::string& key) {
  if (key == "layers" || key == "layer" || key == "cell" || key == "cells" || key == "forward_layer" ||
      key == "backward_layer")
    return Kind::Layer;
  if (ends_with(key, "initializer")) return Kind::Initializer;
  if (ends_with(key, "regularizer")) return Kind::Regularizer;
  if (ends_with(key, "constraint")) return Kind::Constraint;
  if (key == "activation" || key == "recurrent_activation") return Kind::Activation;
  return std::nullopt;
}

struct Scanner {
  std::set<std::string> seen;
  std::vector<std::string> unknown;

  void check(Kind kind, const std::string& name) {
    std::string label = std::string(kind_name(kind)) + " '" + name + "'";
    if (seen.count(label)) return;
    seen.insert(label);
    if (!Registry::global().resolve(kind, name)) unknown.push_back(label + qualified_name_hint(kind, name));
  }

  void scan_value(const Json& v, std::optional<Kind> kind) {
    if (v.is_array()) {
      for (const auto& item : v) scan_value(item, kind);
    } else if (v.is_string() && kind == Kind::Activation) {
      check(Kind::Activation, v.get<std::string>());
    } else if (v.is_object() && v.contains("class_name") && v.contains("config") && kind) {
      std::string cls = v["class_name"].is_string() ? v["class_name"].get<std::string>() : "";
      // Keras 3 wraps plain functions as {"class_name": "function", "config": "relu"}.
      if (cls == "function" && v["config"].is_string()) check(*kind, v["config"].get<std::string>());
      else check(*kind, cls);
      scan_object(v["config"]);
    } else if (v.is_object()) {
      scan_object(v);
    }
  }

  void scan_object(const Json& v) {
    if (!v.is_object()) return;
    for (const auto& [key, item] : v.items()) scan_value(item, kind_for_key(key));
  }
};

}  // namespace

std::vector<std::string> unknown_classes_in_normalized(const Json& value) {
  Scanner scanner;
  scanner.scan_value(value, Kind::Layer);
  return scanner.unknown;
}

std::vector<std::string> unknown_classes(const Json& value) {
  return unknown_classes_in_normalized(normalize_config(value));
}

}  // namespace ksave
