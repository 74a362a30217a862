// Reverse-mode automatic differentiation over the framework's ops.
//
// A GradientTape is an op observer: while it lives (and is recording) it keeps every op call on
// this thread, with its inputs and outputs. `gradient` then walks the calls backwards from a
// target and applies each op's registered gradient (OpDef::gradient). Layers written with ops
// therefore differentiate without any backward code of their own.
//
// Tensors are identified by their storage and shape (a Tensor is a shared handle, and ops receive
// Variable::value() itself). Ops that return a view of their input (Reshape, ExpandDims, Squeeze,
// a same-dtype Cast) produce the same storage under another or the same shape: each call's output
// becomes a new node of the graph, so the gradient flows back through the view op, and the first
// sighting of a storage (the variable's own value) stays a separate leaf. The tape keeps every
// recorded tensor alive, so a storage address is never reused while the tape exists.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "ksave/indexed_slices.hpp"
#include "ksave/op.hpp"
#include "ksave/variable.hpp"

namespace ksave {

class GradientTape : public OpObserver {
 public:
  // Starts recording the op calls of this thread.
  GradientTape();
  ~GradientTape() override;
  GradientTape(const GradientTape&) = delete;
  GradientTape& operator=(const GradientTape&) = delete;
  bool records_ops() const override { return recording_; }

  // Pauses recording (as tf.GradientTape.stop_recording) for the guard's lifetime.
  class Pause {
   public:
    explicit Pause(GradientTape& tape) : tape_(tape), was_(tape.recording_) { tape.recording_ = false; }
    ~Pause() { tape_.recording_ = was_; }
    Pause(const Pause&) = delete;
    Pause& operator=(const Pause&) = delete;

   private:
    GradientTape& tape_;
    bool was_;
  };

  // d target / d source for each source, `target` a float tensor produced on this tape (its
  // elements are summed, as TensorFlow does for non-scalar targets). A source the target does not
  // depend on gets an undefined Tensor. The tape may be asked several times.
  std::vector<Tensor> gradient(const Tensor& target, const std::vector<Tensor>& sources);
  std::vector<Tensor> gradient(const Tensor& target, const std::vector<VariablePtr>& variables);

  // Called once per source as soon as the backward walk has passed every use of it, so its
  // gradient is final (undefined when the target does not depend on it): data-parallel training
  // starts reducing those gradients while the walk goes on (Horovod's and DDP's overlap).
  using GradientReady = std::function<void(std::size_t source, const Tensor& gradient)>;
  std::vector<Tensor> gradient(const Tensor& target, const std::vector<VariablePtr>& variables,
                               const GradientReady& on_ready);

  // As gradient(target, variables), and for each variable whose every differentiated read is a
  // gather along axis 0 (an Embedding's table), its gradient as TensorFlow's IndexedSlices too
  // (`slices[i]`; nullopt for a variable read any other way, which TensorFlow differentiates
  // densely). Several gathers' slices are concatenated, the last gather's first (the backward
  // walk's order). The dense gradients stay what the two-argument form returns.
  std::vector<Tensor> gradient(const Tensor& target, const std::vector<VariablePtr>& variables,
                               std::vector<std::optional<IndexedSlices>>& slices);

  // Number of op calls recorded so far.
  std::size_t size() const;

  void on_op(const OpDef& op, std::span<const Tensor> inputs, const Attrs& attrs,
             std::span<const Tensor> outputs) override;

 private:
  struct Graph;
  std::unique_ptr<Graph> graph_;
  bool recording_ = true;
  std::optional<ObserverScope> scope_;
  std::vector<Tensor> gradient_impl(const Tensor& target, const std::vector<Tensor>& sources,
                                    const GradientReady* on_ready,
                                    std::vector<std::optional<IndexedSlices>>* slices = nullptr);
};

}  // namespace ksave
