// The options of a layer with a kernel and an optional bias (Dense, the convolutions): Keras's
// config keys with Keras 1's spellings, read in one place, written back by get_config, and the
// two weights' specs. A plugin's layer keeps one of these instead of eight members of its own.
#pragma once

#include <utility>

#include "ksave/config.hpp"
#include "ksave/layer.hpp"
#include "ksave/objects.hpp"

namespace ksave {

struct KernelBiasOptions {
  bool use_bias = true;
  InitializerPtr kernel_initializer, bias_initializer;
  RegularizerPtr kernel_regularizer, bias_regularizer, activity_regularizer;
  ConstraintPtr kernel_constraint, bias_constraint;

  // Keras 1 spellings: bias, init, W_/b_ regularizers and constraints.
  static KernelBiasOptions read(const ConfigReader& r) {
    KernelBiasOptions o;
    o.use_bias = r.get<bool>("use_bias", true, {"bias"});
    o.kernel_initializer = get_initializer(r.get<Json>("kernel_initializer", "glorot_uniform", {"init"}));
    o.bias_initializer = get_initializer(r.get<Json>("bias_initializer", "zeros"));
    o.kernel_regularizer = get_regularizer(r.get<Json>("kernel_regularizer", nullptr, {"W_regularizer"}));
    o.bias_regularizer = get_regularizer(r.get<Json>("bias_regularizer", nullptr, {"b_regularizer"}));
    o.activity_regularizer = get_regularizer(r.get<Json>("activity_regularizer", nullptr));
    o.kernel_constraint = get_constraint(r.get<Json>("kernel_constraint", nullptr, {"W_constraint"}));
    o.bias_constraint = get_constraint(r.get<Json>("bias_constraint", nullptr, {"b_constraint"}));
    return o;
  }

  void write(Json& config) const {
    config["use_bias"] = use_bias;
    config["kernel_initializer"] = serialize(kernel_initializer);
    config["bias_initializer"] = serialize(bias_initializer);
    config["kernel_regularizer"] = serialize(kernel_regularizer);
    config["bias_regularizer"] = serialize(bias_regularizer);
    config["activity_regularizer"] = serialize(activity_regularizer);
    config["kernel_constraint"] = serialize(kernel_constraint);
    config["bias_constraint"] = serialize(bias_constraint);
  }

  WeightSpec kernel_spec(Shape shape) const {
    return {"kernel", std::move(shape), DType::Float32, kernel_initializer, kernel_regularizer, kernel_constraint, true};
  }
  WeightSpec bias_spec(Dim units) const {
    return {"bias", {units}, DType::Float32, bias_initializer, bias_regularizer, bias_constraint, true};
  }
};

}  // namespace ksave
