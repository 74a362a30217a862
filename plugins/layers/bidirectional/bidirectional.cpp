// Bidirectional: a recurrent layer run forward and a copy with go_backwards flipped, outputs
// merged (concat, sum, mul, ave, or None for two outputs). As in tf.keras, the copies are named
// "forward_<name>" and "backward_<name>" (weights "bidirectional/forward_lstm/lstm_cell/kernel:0"),
// forward weights first. Initial states come as extra inputs: forward states, then backward.
#include <numeric>

#include "ksave/config.hpp"
#include "ksave/ops.hpp"
#include "ksave/conformance.hpp"
#include "ksave/plugin.hpp"
#include "ksave/serialization.hpp"
#include "ksave/sublayer_config.hpp"

namespace ksave::plugins {
namespace {

enum class Merge { Concat, Sum, Mul, Ave, None };

Merge parse_merge(const Json& value, const std::string& object) {
  if (value.is_null()) return Merge::None;
  if (!value.is_string())
    throw Error(object + ": config key 'merge_mode' expected one of concat, sum, mul, ave or None, found " + value.dump());
  const std::string m = value.get<std::string>();
  if (m == "concat") return Merge::Concat;
  if (m == "sum") return Merge::Sum;
  if (m == "mul") return Merge::Mul;
  if (m == "ave") return Merge::Ave;
  throw Error(object + ": merge_mode must be one of concat, sum, mul, ave or None, found '" + m + "'");
}

Json merge_name(Merge m) {
  switch (m) {
    case Merge::Concat: return "concat";
    case Merge::Sum: return "sum";
    case Merge::Mul: return "mul";
    case Merge::Ave: return "ave";
    case Merge::None: break;
  }
  return nullptr;
}

// A copy of the wrapped layer's serialized form with a new name (and go_backwards flipped).
Json renamed(Json layer, const std::string& name, bool flip_direction) {
  Json& c = layer["config"];
  c["name"] = name;
  if (flip_direction) c["go_backwards"] = !(c.contains("go_backwards") && c["go_backwards"].is_boolean() &&
                                            c["go_backwards"].get<bool>());
  return layer;
}

class Bidirectional : public Layer {
 public:
  explicit Bidirectional(const Json& config) : Layer(config, "Bidirectional") {
    ConfigReader r(config, describe());
    const Json layer = r.require<Json>("layer");
    merge_ = parse_merge(r.get<Json>("merge_mode", "concat"), describe());
    if (config.contains("merge_mode") && config["merge_mode"].is_null()) merge_ = Merge::None;
    // The wrapped layer as configured (for get_config); it is never built or called.
    template_ = deserialize_layer(layer);
    const Json serialized = serialize(*template_);
    const Json& inner = serialized.at("config");
    return_sequences_ = inner.value("return_sequences", false);
    return_state_ = inner.value("return_state", false);
    forward_ = track("forward_layer", deserialize_layer(renamed(serialized, "forward_" + template_->name(), false)));
    if (const Json* b = r.find("backward_layer"); b && !b->is_null()) {
      backward_config_ = *b;
      backward_ = deserialize_layer(*b);
    } else {
      backward_ = deserialize_layer(renamed(serialized, "backward_" + template_->name(), true));
    }
    track("backward_layer", backward_);
  }

  std::string class_name() const override { return "Bidirectional"; }

  Json get_config() const override {
    Json c = Layer::get_config();
    c["layer"] = serialize_sublayer(*template_);
    c["merge_mode"] = merge_name(merge_);
    if (!backward_config_.is_null()) {
      // tf-keras writes the backward layer's config as it was given, before any build.
      Json backward = serialize_sublayer(*backward_);
      backward.erase("build_config");
      c["backward_layer"] = std::move(backward);
    }
    return c;
  }

  std::vector<Tensor> compute_mask(const Tensors&, const std::vector<Tensor>& masks,
                                   std::size_t output_count) const override {
    std::vector<Tensor> out(output_count);
    if (!return_sequences_ || masks.empty()) return out;
    out[0] = masks[0];
    if (merge_ == Merge::None && output_count > 1) out[1] = masks[0];
    return out;
  }

 protected:
  void build_impl(const std::vector<Shape>& shapes) override {
    const std::vector<Shape> forward_shapes = split_states(shapes, true), backward_shapes = split_states(shapes, false);
    forward_->build(forward_shapes);
    backward_->build(backward_shapes);
  }

  Tensors call(const Tensors& inputs, const CallContext& ctx) override {
    CallContext inner;
    inner.training = ctx.training;
    if (!ctx.masks.empty()) inner.masks = {ctx.masks[0]};
    Tensors f = (*forward_)(split_states(inputs, true), inner);
    Tensors b = (*backward_)(split_states(inputs, false), inner);
    Tensor yf = f.at(0), yb = b.at(0);
    // The backward layer's sequence comes in processing order: put it back in time order.
    if (return_sequences_) yb = reverse_time(yb);
    Tensors out;
    switch (merge_) {
      case Merge::Concat: out.push_back(ops::concat({yf, yb}, -1)); break;
      case Merge::Sum: out.push_back(ops::add(yf, yb)); break;
      case Merge::Mul: out.push_back(ops::mul(yf, yb)); break;
      case Merge::Ave: out.push_back(ops::mul(ops::add(yf, yb), 0.5)); break;
      case Merge::None: out.push_back(yf); out.push_back(yb); break;
    }
    if (return_state_) {
      out.insert(out.end(), f.begin() + 1, f.end());
      out.insert(out.end(), b.begin() + 1, b.end());
    }
    return out;
  }

  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override {
    std::vector<Shape> f = forward_->output_shapes(split_states(shapes, true));
    std::vector<Shape> b = backward_->output_shapes(split_states(shapes, false));
    std::vector<Shape> out;
    Shape y = f.at(0);
    if (merge_ == Merge::Concat && y.back() >= 0) y.back() += b.at(0).back();
    out.push_back(y);
    if (merge_ == Merge::None) out.push_back(b.at(0));
    if (return_state_) {
      out.insert(out.end(), f.begin() + 1, f.end());
      out.insert(out.end(), b.begin() + 1, b.end());
    }
    return out;
  }

 private:
  std::string describe() const { return "layer '" + name() + "' (Bidirectional)"; }

  // [x, forward states..., backward states...] → the part for one direction.
  template <typename T>
  std::vector<T> split_states(const std::vector<T>& inputs, bool forward) const {
    if (inputs.empty()) throw Error(describe() + " called without inputs");
    std::vector<T> part{inputs[0]};
    const std::size_t states = inputs.size() - 1;
    if (states % 2 != 0)
      throw Error(describe() + ": initial states must come in equal numbers for both directions, found " +
                  std::to_string(states));
    const std::size_t half = states / 2, first = forward ? 1 : 1 + half;
    part.insert(part.end(), inputs.begin() + static_cast<std::ptrdiff_t>(first),
                inputs.begin() + static_cast<std::ptrdiff_t>(first + half));
    return part;
  }

  static Tensor reverse_time(const Tensor& y) {
    std::vector<std::int64_t> order(static_cast<std::size_t>(y.dim(1)));
    std::iota(order.rbegin(), order.rend(), std::int64_t{0});
    return ops::gather(y, Tensor::from_vector<std::int64_t>(order, {y.dim(1)}), 1);
  }

  Merge merge_ = Merge::Concat;
  LayerPtr template_, forward_, backward_;
  Json backward_config_;
  bool return_sequences_ = false, return_state_ = false;
};

void register_objects(PluginRegistrar& r) {
  // Keras 3 builds both wrapped layers with the wrapper's input shape, and sets their
  // zero_output_for_mask to their return_sequences.
  r.layer<Bidirectional>("Bidirectional")
      .keras3_form(Keras3Form()
                       .keys({"name", "trainable", "dtype", "merge_mode", "layer", "backward_layer"})
                       .wrapped_rnn_keys({"layer", "backward_layer"})
                       .wrapped_build("layer", Keras3Form::WrappedBuild::SameShape)
                       .wrapped_build("backward_layer", Keras3Form::WrappedBuild::SameShape));
}

}  // namespace
}  // namespace ksave::plugins

KSAVE_PLUGIN("bidirectional", "0.1.0", ksave::plugins::register_objects)

// What the conformance kit (ksave conform) builds these classes from where {} builds nothing or
// the inputs are not one float tensor.
namespace {

ksave::Json conformance_samples() {
  return ksave::ConformanceSamples()
      .layer("Bidirectional", {{"layer", {{"class_name", "SimpleRNN"}, {"config", {{"units", 2}}}}}}, {{.shape = {3, 4}}})
      .json();
}

}  // namespace

KSAVE_CONFORMANCE_SAMPLES(conformance_samples)
