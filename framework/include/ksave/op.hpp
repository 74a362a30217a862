// Primitive ops: the only place where numbers are computed. A layer's `call` is written as a
// sequence of op calls; every call goes through `run_op`, which lets observers see it. That one
// hook gives reverse-mode autodiff (a tape observer), traced functions for SavedModels (a
// graph-building observer) and profiling, without the layers knowing.
#pragma once

#include <concepts>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <boost/container/small_vector.hpp>

#include "ksave/attrs.hpp"
#include "ksave/tensor.hpp"

namespace ksave {

// The inputs or outputs of an op or a layer: std::vector's interface with up to five tensors held
// inside the object. Most ops and layers give one output (an LSTM with its states three, the
// fused recurrent ops five), so returning them by value allocates nothing in a steady-state
// predict. Views as the span ops take their inputs as; a std::vector<Tensor> (weights,
// gradients, a user's list) converts explicitly: Tensors(v) and to_vector().
class Tensors : public boost::container::small_vector<Tensor, 5> {
 public:
  using Base = boost::container::small_vector<Tensor, 5>;
  // std::vector's constructors, spelled out: Boost's unconstrained (first, last) pair would take
  // any two arguments, which makes a list of two KerasTensors ambiguous between Layer's calls.
  Tensors() = default;
  Tensors(std::initializer_list<Tensor> tensors) : Base(tensors) {}
  explicit Tensors(size_type count) : Base(count) {}
  Tensors(size_type count, const Tensor& value) : Base(count, value) {}
  template <std::input_iterator It>
    requires std::constructible_from<Tensor, std::iter_reference_t<It>>
  Tensors(It first, It last) : Base(first, last) {}
  explicit Tensors(const std::vector<Tensor>& tensors) : Base(tensors.begin(), tensors.end()) {}
  explicit Tensors(std::vector<Tensor>&& tensors)
      : Base(std::make_move_iterator(tensors.begin()), std::make_move_iterator(tensors.end())) {}

  // Boost's iterators are not contiguous ones to std::span's eyes, so the view is spelled out.
  operator std::span<const Tensor>() const noexcept { return {data(), size()}; }
  std::vector<Tensor> to_vector() const { return std::vector<Tensor>(begin(), end()); }
};

// Inputs and outputs of a recorded op call, handed to its gradient function.
struct GradientContext {
  std::span<const Tensor> inputs;
  std::span<const Tensor> outputs;
  std::span<const Tensor> output_grads;  // one per output; undefined Tensor = zero gradient
  const Attrs& attrs;
  // Which inputs the caller needs a gradient for (empty = all). A gradient function may return an
  // undefined Tensor for the others and skip their cost: the first layer's Conv2DBackpropInput
  // or MatMul input gradient costs as much as the forward op and nobody reads it.
  std::span<const char> wanted = {};

  bool wants(std::size_t input) const { return wanted.empty() || wanted[input] != 0; }
};

using Kernel = std::function<Tensors(std::span<const Tensor> inputs, const Attrs& attrs)>;
// Returns one gradient per input (an undefined Tensor where the input gets none, e.g. indices).
using GradientFn = std::function<Tensors(const GradientContext&)>;

struct OpDef {
  std::string name;    // ksave's name, unique in the registry ("MatMul")
  std::string tf_op;   // TensorFlow op type written into traced FunctionDefs ("MatMul")
  Kernel forward;
  GradientFn gradient;  // empty when the op is not differentiable (e.g. Shape, ArgMax)
};

// Something that wants to see every op call on this thread (autodiff tape, graph tracer).
class OpObserver {
 public:
  virtual ~OpObserver() = default;
  virtual void on_op(const OpDef& op, std::span<const Tensor> inputs, const Attrs& attrs,
                     std::span<const Tensor> outputs) = 0;
  // True for observers that need TensorFlow's primitive ops (a graph tracer writing
  // FunctionDefs): layers then skip their fused ops (FusedLSTM), which TensorFlow cannot run.
  virtual bool wants_primitive_ops() const { return false; }
  // False while the observer sees calls but records none (a paused tape).
  virtual bool records_ops() const { return true; }
};

// Installs an observer on this thread for the object's lifetime (nests).
class ObserverScope {
 public:
  explicit ObserverScope(OpObserver& observer);
  ~ObserverScope();
  ObserverScope(const ObserverScope&) = delete;
  ObserverScope& operator=(const ObserverScope&) = delete;
};

// True when some observer is watching this thread's ops (a tape records, a tracer traces): fused
// ops then keep what their gradient needs.
bool ops_observed();
// False while an observer that needs primitive ops is installed on this thread.
bool fused_ops_allowed();
// True when some observer on this thread records the op calls it sees. Gradients computed while
// nothing records (a tape computing its own gradient, paused) may skip composing ops, which only
// a recorded gradient of a gradient needs.
bool ops_recorded();

// Looks up an op in the process registry (throws naming the op when unknown).
const OpDef& find_op(const std::string& name);
// Runs an op and notifies this thread's observers.
Tensors run_op(const OpDef& op, std::span<const Tensor> inputs, const Attrs& attrs = {});
Tensors run_op(const std::string& name, std::span<const Tensor> inputs, const Attrs& attrs = {});

}  // namespace ksave
