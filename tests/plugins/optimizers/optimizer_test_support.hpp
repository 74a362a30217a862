// Small helpers shared by the optimizer tests: optimizers from configs through the registry,
// float32 variables, one update step.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "ksave/json.hpp"
#include "ksave/optimizer.hpp"
#include "ksave/registry.hpp"
#include "ksave/tensor.hpp"
#include "ksave/variable.hpp"

namespace ksave::test {

// keras.optimizers.deserialize: {"class_name", "config"} through the registry.
inline OptimizerPtr make_optimizer(const Json& serialized) {
  const std::string class_name = serialized.at("class_name").get<std::string>();
  const Json config = serialized.value("config", Json::object());
  return Registry::global().require(Kind::Optimizer, class_name)->as<OptimizerFactory>()(config);
}

inline OptimizerPtr make_optimizer(const std::string& class_name, const Json& config) {
  return make_optimizer(Json{{"class_name", class_name}, {"config", config}});
}

inline VariablePtr make_variable(const std::string& name, const std::vector<float>& values) {
  return std::make_shared<Variable>(name, Tensor::from_vector<float>(values, {static_cast<Dim>(values.size())}));
}

inline void step(Optimizer& optimizer, const std::vector<std::pair<std::vector<float>, VariablePtr>>& grads) {
  std::vector<std::pair<Tensor, VariablePtr>> pairs;
  for (const auto& [g, v] : grads) pairs.emplace_back(Tensor::from_vector<float>(g, v->shape()), v);
  optimizer.apply_gradients(pairs);
}

inline std::vector<float> values(const VariablePtr& v) { return v->value().to_vector<float>(); }

inline std::vector<std::string> names(const std::vector<VariablePtr>& variables) {
  std::vector<std::string> out;
  for (const auto& v : variables) out.push_back(v->name());
  return out;
}

}  // namespace ksave::test
