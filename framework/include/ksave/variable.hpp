// A named, shaped, mutable tensor: the weights of layers, the slots of optimizers.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "ksave/tensor.hpp"
#include "ksave/trackable.hpp"

namespace ksave {

class Regularizer;
class Constraint;
class Initializer;
class Variable;

namespace detail {
// Mixed precision (framework/src/mixed_precision.cpp): while a mixed-precision layer's call runs
// on a thread, the variables it reads read there as rounded to its compute dtype, as Keras's
// AutoCastVariable reads inside such a layer. The count is of those calls on all threads, so a
// read outside them costs one relaxed load.
extern std::atomic<int> mixed_precision_calls_running;
// The calling thread's rounded value of `variable`, or null when it reads as itself.
const Tensor* mixed_precision_read(const Variable& variable);
}  // namespace detail

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

  // The value, or inside a mixed-precision layer's call its rounding (see detail:: above).
  const Tensor& value() const {
    if (detail::mixed_precision_calls_running.load(std::memory_order_relaxed) != 0) [[unlikely]]
      if (const Tensor* rounded = detail::mixed_precision_read(*this)) return *rounded;
    return value_;
  }
  // The stored value itself, never rounded (what savers and optimizers read and write).
  const Tensor& stored_value() const { return value_; }
  // Replaces the value; the shape and dtype must match (the error names the variable).
  void assign(const Tensor& value);
  // Replaces the value without copying (the caller gives up its tensor).
  void assign_shared(Tensor value);

  // Deferred initialization (see DeferredInitialization): the variable holds zeros, in storage
  // not yet touched, and runs `initializer` only if nothing supplies a value first.
  void defer_initialization(std::shared_ptr<Initializer> initializer);
  // A loader wrote the value into the storage in place: the initializer will not run.
  void mark_loaded() { pending_initializer_.reset(); }
  bool initialization_pending() const { return pending_initializer_ != nullptr; }
  // Runs the deferred initializer, if any is still pending.
  void initialize_if_pending();

  std::shared_ptr<Regularizer> regularizer;
  std::shared_ptr<Constraint> constraint;

  std::string trackable_kind() const override { return "variable"; }

 private:
  std::string name_;
  Tensor value_;
  bool trainable_;
  std::shared_ptr<Initializer> pending_initializer_;
};

using VariablePtr = std::shared_ptr<Variable>;

// While one is alive on a thread, the weights that layers create there (Layer::add_weight) skip
// their initializers: a load is about to supply their values, straight into their storage. When
// it ends normally, every variable that the load left without a value is initialized then. Loads
// (ksave::load_model) open one; an exception ends it without initializing (the model is dropped).
class DeferredInitialization {
 public:
  DeferredInitialization();
  ~DeferredInitialization() noexcept(false);
  DeferredInitialization(const DeferredInitialization&) = delete;
  DeferredInitialization& operator=(const DeferredInitialization&) = delete;

  // The innermost scope of this thread, or null.
  static DeferredInitialization* active();
  void add(const std::shared_ptr<Variable>& variable) { deferred_.push_back(variable); }

 private:
  DeferredInitialization* outer_;
  int uncaught_at_start_;
  std::vector<std::weak_ptr<Variable>> deferred_;
};

}  // namespace ksave
