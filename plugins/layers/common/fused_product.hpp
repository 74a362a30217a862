// A Dense or convolution layer's product, bias and activation as one fused op (FusedMatMul,
// FusedConv2D: one oneDNN primitive, no separate passes over the output for BiasAdd and Relu).
// Only while no observer watches the ops: a tape needs the separate ops' gradients and a tracer
// writes TensorFlow's ops, so training and SavedModel traces see what they always saw. ReLU is
// fused; any other activation runs after the fused product and bias, as its own op.
#pragma once

#include <array>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ksave/depthwise_stage.hpp"
#include "ksave/inference_folding.hpp"
#include "ksave/ops.hpp"
#include "ksave/plugin.hpp"

namespace ksave::plugins::fused {

struct Epilogue {
  const Attrs* attrs = nullptr;     // the fused op's "activation"
  bool applies_activation = false;  // false: the layer applies its activation afterwards
};

// How `activation` is fused now, or nothing when the layer must run the separate ops.
inline std::optional<Epilogue> epilogue_for(const Activation& activation) {
  if (ops_observed()) return std::nullopt;
  // Built once: a small model's per-call cost is a few hundred nanoseconds per op, which an
  // attribute map allocated per call would double.
  static const Attrs relu{{"activation", std::string("relu")}};
  static const Attrs linear{{"activation", std::string("linear")}};
  const bool fuses_relu = activation.name == "relu";
  return Epilogue{fuses_relu ? &relu : &linear, fuses_relu || activation.is_linear() || !activation.fn};
}

// The kernel a fused product reads and the bias it adds after (null: none); a view, so that a
// small model's per-call cost gains no tensor copies (each copies its shape). FusedConv2D only:
// `addend`, a tensor of the output's shape that the result is added to in place (its storage
// becomes the output's; nothing else may hold it).
struct KernelBias {
  const Tensor& kernel;
  const Tensor* bias;
  const Tensor* addend = nullptr;
  const DepthwiseStage* depthwise = nullptr;  // FusedConv2D only: a depthwise stage after it
};

inline KernelBias kernel_bias(const Tensor& kernel, const VariablePtr& bias) {
  return {kernel, bias ? &bias->value() : nullptr};
}

// op(x, kernel[, bias]) with `attrs`; `op` is looked up once by the caller.
inline Tensor product(const OpDef& op, const Tensor& x, const KernelBias& weights, const Attrs& attrs) {
  const DepthwiseStage* stage = weights.depthwise;
  const std::array<Tensor, 6> inputs{x,
                                     weights.kernel,
                                     weights.bias ? *weights.bias : Tensor(),
                                     weights.addend ? *weights.addend : Tensor(),
                                     stage ? stage->kernel : Tensor(),
                                     stage ? stage->bias : Tensor()};
  const std::size_t count = stage ? 6 : weights.addend ? 4 : weights.bias ? 3 : 2;
  return std::move(run_op(op, std::span<const Tensor>(inputs.data(), count), attrs)[0]);
}

inline Tensor matmul(const Tensor& x, const KernelBias& weights, const Attrs& attrs) {
  static const OpDef& op = find_op("FusedMatMul");
  return product(op, x, weights, attrs);
}

inline Tensor matmul(const Tensor& x, const Tensor& kernel, const VariablePtr& bias, const Epilogue& e) {
  return matmul(x, kernel_bias(kernel, bias), *e.attrs);
}

// FusedConv2D's attributes: Conv2D's window (VALID, SAME or EXPLICIT), then the epilogue's.
inline Attrs conv2d_attrs(const ops::Window2D& w, const Attrs& epilogue) {
  Attrs attrs = ops::conv2d_window_attrs(w);
  for (const auto& [name, value] : epilogue.items()) attrs.set(name, value);
  return attrs;
}

// FusedConv2D with its whole attributes (conv2d_attrs).
inline Tensor conv2d(const Tensor& x, const KernelBias& weights, const Attrs& attrs) {
  static const OpDef& op = find_op("FusedConv2D");
  return product(op, x, weights, attrs);
}

inline Tensor conv2d(const Tensor& x, const KernelBias& weights, const ops::Window2D& w, const Attrs& epilogue) {
  return conv2d(x, weights, conv2d_attrs(w, epilogue));
}


inline Tensor conv2d(const Tensor& x, const Tensor& filter, const VariablePtr& bias, const ops::Window2D& w,
                     const Epilogue& e) {
  return conv2d(x, kernel_bias(filter, bias), w, *e.attrs);
}

// ---- a product layer's side of inference folding (ksave/inference_folding.hpp) ----

// The fused ops' attributes for `activation` (a fused ops' name: "linear", "relu", "relu6") and,
// for FusedConv2D with an addend, the activation after the sum.
inline Attrs activation_attrs(const char* activation, const char* after_sum = "linear") {
  Attrs attrs{{"activation", std::string(activation)}};
  if (std::string_view(after_sum) != "linear") attrs.set("sum_activation", std::string(after_sum));
  return attrs;
}

// FusedConv2D's attributes for a layer's own window with each epilogue the fused ops know (its own
// activation's, or a folded chain's, with an activation after a sum or not), built once with the
// layer: built per call, their int lists allocate.
class FixedWindowAttrs {
 public:
  explicit FixedWindowAttrs(const ops::Window2D& window) {
    for (std::size_t i = 0; i < kActivations.size(); ++i)
      for (std::size_t j = 0; j < kActivations.size(); ++j)
        attrs_[i][j] = conv2d_attrs(window, activation_attrs(kActivations[i], kActivations[j]));
  }
  // The attributes for `epilogue` (an "activation", perhaps a "sum_activation"), or null for one
  // of another form.
  const Attrs* find(const Attrs& epilogue) const {
    const std::optional<std::size_t> i = index_of(epilogue.find("activation"));
    const AttrValue* after_sum = epilogue.find("sum_activation");
    const std::optional<std::size_t> j = after_sum ? index_of(after_sum) : 0;
    if (!i || !j || epilogue.items().size() != (after_sum ? 2u : 1u)) return nullptr;
    return &attrs_[*i][*j];
  }

 private:
  static constexpr std::array<const char*, 3> kActivations{"linear", "relu", "relu6"};
  static std::optional<std::size_t> index_of(const AttrValue* value) {
    const auto* name = value ? std::get_if<std::string>(value) : nullptr;
    for (std::size_t i = 0; name && i < kActivations.size(); ++i)
      if (*name == kActivations[i]) return i;
    return std::nullopt;
  }
  std::array<std::array<Attrs, 3>, 3> attrs_;  // [activation][activation after the sum]
};

// Whether a product layer can run a folded chain: built, channels-last, float32 input, no
// activation or activity regularizer of its own (they come before the chain's layers).
inline bool can_fold(const Layer& layer, const Tensor& x, bool channels_last, const Activation& own_activation,
                     const RegularizerPtr& activity_regularizer) {
  return layer.built() && channels_last && x.dtype() == DType::Float32 && own_activation.is_linear() &&
         !activity_regularizer;
}

// `kernel` (output channels last) and `bias` with `affine` folded in (cached in `cache` while
// their values stay the same), or as they are when there is no affine layer (bias undefined when
// the layer has none).
inline FoldedWeights::Folded folded(FoldedWeights& cache, const Tensor& kernel, const VariablePtr& bias,
                                    const ChannelAffineLayer* affine) {
  if (!affine) return {kernel, bias ? bias->value() : Tensor()};
  return cache.get(kernel, bias, *affine);
}

// `window` (padding VALID) with a chain's zero padding before the product as its own explicit
// padding: one spatial axis is the width of the 2-D form a 1-D layer runs in, two are height and
// width.
inline ops::Window2D with_zero_padding(ops::Window2D window, std::span<const std::pair<Dim, Dim>> padding) {
  if (padding.empty()) return window;
  window.padding = "EXPLICIT";
  const auto [top, bottom] = padding.size() == 2 ? padding[0] : std::pair<Dim, Dim>{0, 0};
  const auto [left, right] = padding.back();
  window.explicit_paddings = {top, bottom, left, right};
  return window;
}

// FusedConv2D's attributes for the windows a convolution runs over at inference: its own, and its
// own with the zero padding of a folded chain before it (one chain per layer in a model; a few
// kept, in case), each built once — built per call, their int lists allocate. Concurrent predicts
// may share it.
class ConvAttrsCache {
 public:
  explicit ConvAttrsCache(const ops::Window2D& own) : own_(own), own_attrs_(own) {}

  // The attributes for `epilogue` over the own window with `zero_padding`, or null where none
  // are kept (an epilogue of another form, or more paddings than the cache holds).
  const Attrs* find(std::span<const std::pair<Dim, Dim>> zero_padding, const Attrs& epilogue) {
    if (zero_padding.empty()) return own_attrs_.find(epilogue);
    const ops::Window2D window = with_zero_padding(own_, zero_padding);
    const std::lock_guard lock(mutex_);
    for (const auto& entry : padded_)
      if (entry->paddings == window.explicit_paddings) return entry->attrs.find(epilogue);
    if (padded_.size() == kMaxPadded) return nullptr;
    padded_.push_back(std::make_unique<Padded>(Padded{window.explicit_paddings, FixedWindowAttrs(window)}));
    return padded_.back()->attrs.find(epilogue);
  }

 private:
  struct Padded {
    std::array<std::int64_t, 4> paddings;
    FixedWindowAttrs attrs;
  };
  static constexpr std::size_t kMaxPadded = 4;
  ops::Window2D own_;
  FixedWindowAttrs own_attrs_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Padded>> padded_;  // entries never move: callers keep pointers
};

// FusedConv2D's attributes for a window with an activation and a depthwise stage after it
// ("depthwise": stride, pad_top, pad_left, out_h, out_w; "depthwise_activation"), built once per
// form (a layer sees one per input size; entries are never dropped, callers keep references):
// built per call, their lists allocate. Concurrent predicts may share it.
class DepthwiseAttrsCache {
 public:
  const Attrs& find(const ops::Window2D& window, const char* activation, const DepthwiseStage& stage) {
    const std::array<std::int64_t, 5> key{stage.stride, stage.pad_top, stage.pad_left, stage.out_h, stage.out_w};
    const std::lock_guard lock(mutex_);
    for (const auto& entry : entries_)
      if (entry->key == key && entry->activation == activation && entry->stage_activation == stage.activation)
        return entry->attrs;
    Attrs attrs = conv2d_attrs(window, activation_attrs(activation));
    attrs.set("depthwise", std::vector<std::int64_t>(key.begin(), key.end()));
    attrs.set("depthwise_activation", std::string(stage.activation));
    entries_.push_back(std::make_unique<Entry>(Entry{key, activation, stage.activation, std::move(attrs)}));
    return entries_.back()->attrs;
  }

 private:
  struct Entry {
    std::array<std::int64_t, 5> key;
    std::string activation, stage_activation;
    Attrs attrs;
  };
  std::mutex mutex_;
  std::vector<std::unique_ptr<Entry>> entries_;
};

inline KernelBias view(const FoldedWeights::Folded& weights) {
  return {weights.kernel, weights.bias.defined() ? &weights.bias : nullptr};
}

}  // namespace ksave::plugins::fused
