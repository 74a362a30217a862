// Small builders shared by the core regression tests (test_core_*.cpp).
#pragma once

#include <string>

#include "ksave/ksave.hpp"

namespace core_test {

inline ksave::LayerPtr dense(std::int64_t units, const std::string& name = "", const std::string& activation = "linear") {
  ksave::Json config{{"units", units}, {"activation", activation}};
  if (!name.empty()) config["name"] = name;
  return ksave::make_layer("Dense", config);
}

inline ksave::ModelPtr functional(const ksave::KerasTensors& inputs, const ksave::KerasTensors& outputs,
                                  const std::string& name = "") {
  return std::make_shared<ksave::Functional>(inputs, outputs, name);
}

inline std::vector<std::string> names_of(const std::vector<ksave::LayerPtr>& layers) {
  std::vector<std::string> out;
  for (const auto& l : layers) out.push_back(l->name());
  return out;
}

inline std::vector<std::string> weight_names(const ksave::Layer& layer) {
  std::vector<std::string> out;
  for (const auto& v : layer.weights()) out.push_back(v->name());
  return out;
}

// x → x0 + x1: a layer with two inputs (no merge layer plugin is needed for graph tests).
class SumLayer : public ksave::Layer {
 public:
  explicit SumLayer(const ksave::Json& config) : Layer(config, "SumLayer") {}
  std::string class_name() const override { return "SumLayer"; }

 protected:
  ksave::Tensors call(const ksave::Tensors& inputs, const ksave::CallContext&) override {
    return {ksave::ops::add(inputs.at(0), inputs.at(1))};
  }
  std::vector<ksave::Shape> compute_output_shape(const std::vector<ksave::Shape>& shapes) override {
    return {shapes.at(0)};
  }
};

inline ksave::CustomObjects sum_layer_objects() {
  return {{"SumLayer", ksave::layer_class<SumLayer>("SumLayer")}};
}

// Two Dense sublayers called in turn (the guide's NestedDenseLayer).
class NestedDenseLayer : public ksave::Layer {
 public:
  NestedDenseLayer(std::int64_t units, const std::string& name) : Layer(ksave::Json{{"name", name}}, "NestedDenseLayer") {
    dense_1 = track("dense_1", dense(units, "dense_1"));
    dense_2 = track("dense_2", dense(units, "dense_2"));
  }
  std::string class_name() const override { return "NestedDenseLayer"; }
  ksave::LayerPtr dense_1, dense_2;

 protected:
  ksave::Tensors call(const ksave::Tensors& inputs, const ksave::CallContext& ctx) override {
    return (*dense_2)((*dense_1)(inputs, ctx), ctx);
  }
};

inline ksave::Tensor rows(std::int64_t n, std::int64_t width, float start = 0.0f) {
  std::vector<float> values(static_cast<std::size_t>(n * width));
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = start + 0.01f * static_cast<float>(i % 97);
  return ksave::Tensor::from_vector(values, {n, width});
}

}  // namespace core_test
