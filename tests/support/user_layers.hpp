// A layer as an application defines it (not in any plugin), for the suites that check what
// formats do with classes they do not know: registered under a package, passed in a scope.
#pragma once

#include "ksave/layer.hpp"
#include "ksave/ops.hpp"

namespace ksave::test {

// y = x · factor, one learned factor per feature (zeros at first).
class ScaleLayer : public Layer {
 public:
  explicit ScaleLayer(const Json& config) : Layer(config, "Scale") {}
  std::string class_name() const override { return "Scale"; }

 protected:
  void build_impl(const std::vector<Shape>& shapes) override {
    WeightSpec spec;
    spec.name = "factor";
    spec.shape = {shapes.at(0).back()};
    factor_ = add_weight(spec);
  }
  Tensors call(const Tensors& inputs, const CallContext&) override { return {ops::mul(inputs.at(0), factor_->value())}; }

 private:
  VariablePtr factor_;
};

}  // namespace ksave::test
