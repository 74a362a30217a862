// The small serializable objects a layer holds: activations, initializers, regularizers and
// constraints. Each kind is a registry kind; the concrete ones live in plugins.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "ksave/json.hpp"
#include "ksave/tensor.hpp"

namespace ksave {

// An activation is a named function of one tensor, written with ops so it differentiates.
struct Activation {
  std::string name;  // serialized name: "relu", or "Custom>custom_activation"
  std::function<Tensor(const Tensor&)> fn;
  Tensor operator()(const Tensor& x) const { return fn ? fn(x) : x; }
  bool is_linear() const { return name == "linear"; }
};

class Initializer {
 public:
  virtual ~Initializer() = default;
  virtual std::string class_name() const = 0;
  virtual Json get_config() const = 0;
  // Fresh values of `shape`. Seeded initializers give the same values for the same seed.
  virtual Tensor operator()(const Shape& shape, DType dtype) = 0;
};

class Regularizer {
 public:
  virtual ~Regularizer() = default;
  virtual std::string class_name() const = 0;
  virtual Json get_config() const = 0;
  // The penalty added to the loss, a float32 scalar (written with ops).
  virtual Tensor operator()(const Tensor& weight) const = 0;
};

class Constraint {
 public:
  virtual ~Constraint() = default;
  virtual std::string class_name() const = 0;
  virtual Json get_config() const = 0;
  // The projected weight, applied after each optimizer update.
  virtual Tensor operator()(const Tensor& weight) const = 0;
};

using InitializerPtr = std::shared_ptr<Initializer>;
using RegularizerPtr = std::shared_ptr<Regularizer>;
using ConstraintPtr = std::shared_ptr<Constraint>;

// Resolution from config values, through the registry (custom objects and scopes included).
// `value` may be a name ("relu", "glorot_uniform"), a {"class_name", "config"} dict in any Keras
// generation's form, or null (linear / no object).
Activation get_activation(const Json& value);
InitializerPtr get_initializer(const Json& value);
RegularizerPtr get_regularizer(const Json& value);
ConstraintPtr get_constraint(const Json& value);

// Serialized forms as tf.keras 2.x writes them.
Json serialize(const Activation& activation);
Json serialize(const InitializerPtr& initializer);
Json serialize(const RegularizerPtr& regularizer);
Json serialize(const ConstraintPtr& constraint);

}  // namespace ksave
