#include "resolve.hpp"

#include "ksave/registry.hpp"

namespace ksave {
namespace {

// class_name and config of a name or dict value; `what` names the kind for errors.
std::pair<std::string, Json> split(const Json& value, const char* what) {
  if (value.is_string()) return {value.get<std::string>(), Json::object()};
  if (value.is_object() && value.contains("class_name") && value["class_name"].is_string()) {
    Json config = value.contains("config") && value["config"].is_object() ? value["config"] : Json::object();
    return {value["class_name"].get<std::string>(), config};
  }
  throw Error(std::string("compile: a ") + what + " must be a name or a {\"class_name\", \"config\"} dict, found " +
              value.dump());
}

// Keras >= 2.11 writes its new optimizers as "Custom>Adam" in training_config; they are the
// built-in ones when no package registered that name.
ClassRef find(Kind kind, const std::string& name) {
  Registry& registry = Registry::global();
  if (ClassRef entry = registry.resolve(kind, name)) return entry;
  if (name.rfind("Custom>", 0) == 0)
    if (ClassRef entry = registry.resolve(kind, name.substr(7))) return entry;
  return registry.require(kind, name);  // throws naming what was searched
}

bool is_any(const std::string& s, std::initializer_list<const char*> names) {
  for (const char* n : names)
    if (s == n) return true;
  return false;
}

}  // namespace

std::string describe(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_object() && value.contains("class_name")) return value["class_name"].dump();
  return value.dump();
}

LossPtr resolve_loss(const Json& value) {
  auto [name, config] = split(value, "loss");
  return find(Kind::Loss, name)->as<LossFactory>()(config);
}

OptimizerPtr resolve_optimizer(const Json& value) {
  auto [name, config] = split(value, "optimizer");
  // A name means what it means in tf-keras 2.21: its default optimizers, the Keras >= 2.11 ones
  // (configs of older files, without is_legacy_optimizer, are OptimizerV2's).
  if (value.is_string()) config["is_legacy_optimizer"] = false;
  // Keras < 2.3 spelled the learning rate "lr"; OptimizerV2 reads both.
  if (config.contains("lr") && !config.contains("learning_rate")) {
    config["learning_rate"] = config["lr"];
    config.erase("lr");
  }
  return find(Kind::Optimizer, name)->as<OptimizerFactory>()(config);
}

MetricPtr resolve_metric(const Json& spec, const Shape& y_true, const Shape& y_pred) {
  auto [name, config] = split(spec, "metric");
  if (spec.is_string()) {
    const bool binary = !y_pred.empty() && y_pred.back() == 1;
    const bool sparse = y_true.size() < y_pred.size() ||
                        (!y_true.empty() && !y_pred.empty() && y_true.back() == 1 && y_pred.back() > 1);
    std::string fn;
    if (is_any(name, {"accuracy", "acc"}))
      fn = binary ? "binary_accuracy" : sparse ? "sparse_categorical_accuracy" : "categorical_accuracy";
    else if (is_any(name, {"crossentropy", "ce"}))
      fn = binary ? "binary_crossentropy" : sparse ? "sparse_categorical_crossentropy" : "categorical_crossentropy";
    // Keras names a metric given as a string after that string.
    config = Json{{"name", name}};
    if (!fn.empty()) return find(Kind::Metric, fn)->as<MetricFactory>()(config);
  }
  return find(Kind::Metric, name)->as<MetricFactory>()(config);
}

Json serialize_metric(const Metric& metric) {
  return Json{{"class_name", metric.class_name()}, {"config", metric.get_config()}};
}

}  // namespace ksave
