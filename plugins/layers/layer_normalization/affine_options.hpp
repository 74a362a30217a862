// The gamma/beta options LayerNormalization and GroupNormalization share (center, scale and
// their initializers, regularizers and constraints): read from a config, written back in
// tf-keras's order, and turned into the two weights.
#pragma once

#include "ksave/config.hpp"
#include "ksave/layer.hpp"

namespace ksave::plugins {

struct AffineOptions {
  bool center = true, scale = true;
  InitializerPtr beta_initializer, gamma_initializer;
  RegularizerPtr beta_regularizer, gamma_regularizer;
  ConstraintPtr beta_constraint, gamma_constraint;

  static AffineOptions read(const ConfigReader& r) {
    AffineOptions o;
    o.center = r.get<bool>("center", true);
    o.scale = r.get<bool>("scale", true);
    o.beta_initializer = get_initializer(r.get<Json>("beta_initializer", "zeros"));
    o.gamma_initializer = get_initializer(r.get<Json>("gamma_initializer", "ones"));
    o.beta_regularizer = get_regularizer(r.get<Json>("beta_regularizer", nullptr));
    o.gamma_regularizer = get_regularizer(r.get<Json>("gamma_regularizer", nullptr));
    o.beta_constraint = get_constraint(r.get<Json>("beta_constraint", nullptr));
    o.gamma_constraint = get_constraint(r.get<Json>("gamma_constraint", nullptr));
    return o;
  }

  // center, scale, then beta's and gamma's options pairwise, as tf-keras writes them.
  void write(Json& c) const {
    c["center"] = center;
    c["scale"] = scale;
    c["beta_initializer"] = serialize(beta_initializer);
    c["gamma_initializer"] = serialize(gamma_initializer);
    c["beta_regularizer"] = serialize(beta_regularizer);
    c["gamma_regularizer"] = serialize(gamma_regularizer);
    c["beta_constraint"] = serialize(beta_constraint);
    c["gamma_constraint"] = serialize(gamma_constraint);
  }

  WeightSpec gamma_spec(const Shape& shape) const {
    return {"gamma", shape, DType::Float32, gamma_initializer, gamma_regularizer, gamma_constraint, true};
  }
  WeightSpec beta_spec(const Shape& shape) const {
    return {"beta", shape, DType::Float32, beta_initializer, beta_regularizer, beta_constraint, true};
  }
};

}  // namespace ksave::plugins
