// A named, shaped, mutable tensor: the weights of layers, the slots of optimizers.
#pragma once

#include <memory>
#include <string>

#include "ksave/tensor.hpp"
#include "ksave/trackable.hpp"

namespace ksave {

class Regularizer;
class Constraint;

class Variable : public Trackable {
 public:
  Variable(std::string name, Tensor initial_value, bool trainable = true);

  // Full Keras name, e.g. "dense/kernel:0" or "nested/dense_1/kernel:0".
  const std::string& name() const { return name_; }
  // Name without scope and ":0" ("kernel").
  std::string short_name() const;
  // The name without its ":0" output suffix ("dense/kernel"), TensorFlow's shared name.
  std::string shared_name() const;
  const Shape& shape() const { return value_.shape(); }
  DType dtype() const { return value_.dtype(); }
  bool trainable() const { return trainable_; }
  void set_trainable(bool trainable) { trainable_ = trainable; }

  const Tensor& value() const { return value_; }
  // Replaces the value; the shape and dtype must match (the error names the variable).
  void assign(const Tensor& value);
  // Replaces the value without copying (the caller gives up its tensor).
  void assign_shared(Tensor value);

  std::shared_ptr<Regularizer> regularizer;
  std::shared_ptr<Constraint> constraint;

  std::string trackable_kind() const override { return "variable"; }

 private:
  std::string name_;
  Tensor value_;
  bool trainable_;
};

using VariablePtr = std::shared_ptr<Variable>;

}  // namespace ksave
