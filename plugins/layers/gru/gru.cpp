// GRU (and GRUCell): gates z, r, h in the columns, as tf.keras orders them.
//   reset_after=True (tf.keras 2 default): bias (2, 3u), input and recurrent biases apart;
//     hh = act(x·Wh + b_in_h + r * (h·Uh + b_rec_h)).
//   reset_after=False (Keras 1 / early Keras 2): bias (3u); hh = act(x·Wh + bh + (r*h)·Uh).
// Then h' = z*h + (1-z)*hh.
#include <array>

#include "../rnn_common/legacy_rnn_weights.hpp"
#include "../rnn_common/keras3_recurrent_form.hpp"
#include "../rnn_common/recurrent.hpp"
#include "ksave/conformance.hpp"
#include "ksave/plugin.hpp"

namespace ksave::plugins {
namespace {

using rnn::CellConfig;

class GRUCell : public rnn::Cell {
 public:
  GRUCell(const std::string& name, const Json& config)
      : Cell(name, config,
             CellConfig::read(ConfigReader(config, "layer '" + name + "' (GRU)"),
                              {.recurrent_activation = true, .implementation = true, .reset_after = true})) {}
  std::string class_name() const override { return "GRUCell"; }
  bool reset_after() const { return options_.reset_after.value_or(false); }

  Tensor begin_sequence(const Tensor& x) override {
    Tensor z = ops::matmul(x, kernel_->value());
    if (bias_) z = ops::bias_add(z, reset_after() ? input_bias() : bias_->value());
    const Tensor& u = recurrent_kernel_->value();
    if (reset_after()) {
      recurrent_bias_ = bias_ ? ops::reshape(ops::slice(bias_->value(), {1, 0}, {1, -1}), {3 * units()}) : Tensor();
    } else {
      // The candidate's recurrent product comes after the reset gate: keep its columns apart.
      recurrent_zr_ = ops::slice(u, {0, 0}, {-1, 2 * units()});
      recurrent_h_ = ops::slice(u, {0, 2 * units()}, {-1, units()});
    }
    return z;
  }

  // oneDNN's GRUs compute Keras's default activations only, and only forward (inference).
  std::optional<Tensors> run_fused(const Tensor& x, const Tensors& states, bool return_sequences) override {
    if (ops_observed() || options_.activation.name != "tanh" || !options_.recurrent_activation ||
        options_.recurrent_activation->name != "sigmoid")
      return std::nullopt;
    const Tensor bias = bias_ ? bias_->value()
                              : Tensor::zeros(DType::Float32, reset_after() ? Shape{2, 3 * units()} : Shape{3 * units()});
    // Looked up and built once (by return_sequences, reset_after): a name lookup and an attribute
    // list per call would allocate.
    static const OpDef& op = find_op("FusedGRU");
    static const std::array<Attrs, 4> attrs{Attrs{{"return_sequences", false}, {"reset_after", false}},
                                            Attrs{{"return_sequences", false}, {"reset_after", true}},
                                            Attrs{{"return_sequences", true}, {"reset_after", false}},
                                            Attrs{{"return_sequences", true}, {"reset_after", true}}};
    const Tensors inputs{x, states.at(0), kernel_->value(), recurrent_kernel_->value(), bias};
    return run_op(op, inputs, attrs[2 * std::size_t{return_sequences} + std::size_t{reset_after()}]);  // y, h_T
  }

  Tensors step(const Tensor& projected, const Tensors& states) const override {
    const Tensor& h = states.at(0);
    const Activation& gate_fn = *options_.recurrent_activation;
    Tensor candidate;
    Tensor z, r;
    if (reset_after()) {
      Tensor inner = ops::matmul(h, recurrent_kernel_->value());
      if (recurrent_bias_.defined()) inner = ops::bias_add(inner, recurrent_bias_);
      z = gate_fn(ops::add(gate(projected, 0), gate(inner, 0)));
      r = gate_fn(ops::add(gate(projected, 1), gate(inner, 1)));
      candidate = options_.activation(ops::add(gate(projected, 2), ops::mul(r, gate(inner, 2))));
    } else {
      const Tensor inner = ops::matmul(h, recurrent_zr_);
      z = gate_fn(ops::add(gate(projected, 0), gate(inner, 0)));
      r = gate_fn(ops::add(gate(projected, 1), gate(inner, 1)));
      candidate = options_.activation(ops::add(gate(projected, 2), ops::matmul(ops::mul(r, h), recurrent_h_)));
    }
    // z*h + (1-z)*hh, written as hh + z*(h - hh).
    const Tensor h_next = ops::add(candidate, ops::mul(z, ops::sub(h, candidate)));
    return {h_next, h_next};
  }

 protected:
  void build_impl(const std::vector<Shape>& shapes) override {
    const Shape& in = shapes.at(0);
    if (in.size() != 2 || in[1] < 0)
      throw Error("cell '" + name() + "' (GRUCell) needs inputs (batch, features), found " + shape_to_string(in));
    add_standard_weights(in[1], 3, reset_after() ? Shape{2, 3 * units()} : Shape{3 * units()});
  }

 private:
  Tensor input_bias() const { return ops::reshape(ops::slice(bias_->value(), {0, 0}, {1, -1}), {3 * units()}); }
  // Per-sequence slices of the weights (taken with ops so gradients reach the variables).
  Tensor recurrent_bias_, recurrent_zr_, recurrent_h_;
};

class GRU : public rnn::RecurrentLayer {
 public:
  explicit GRU(const Json& config) : RecurrentLayer(config, "GRU", std::make_shared<GRUCell>("gru_cell", config)) {}

  // Gates z, r, h in Keras 1 and today.
  bool stored_weights_need_conversion(const std::vector<Shape>& stored, const std::string& keras_version) const override {
    return rnn::legacy_rnn_weights(kLegacyGates, stored, keras_version);
  }
  std::vector<Tensor> convert_stored_weights(std::vector<Tensor> stored, const std::string& keras_version) const override {
    return rnn::convert_legacy_rnn_weights(*this, kLegacyGates, std::move(stored), keras_version,
                                           get_config().value("reset_after", false));
  }

 private:
  inline static const rnn::LegacyGates kLegacyGates{3, {0, 1, 2}};
};

// Loaded as a GRU with reset_after (see rnn::cudnn_layer_config).
class CuDNNGRU : public GRU {
 public:
  explicit CuDNNGRU(const Json& config) : GRU(rnn::cudnn_layer_config(config, true)) {}
};

class StandaloneGRUCell : public GRUCell {
 public:
  explicit StandaloneGRUCell(const Json& config)
      : GRUCell(config.contains("name") && config["name"].is_string() ? config["name"].get<std::string>()
                                                                        : unique_layer_name("gru_cell"),
                config) {}
};

void register_objects(PluginRegistrar& r) {
  r.layer<GRU>("GRU").keras3_form(
      rnn::keras3_recurrent_layer_form(
          {"units", "activation", "recurrent_activation", "use_bias", "kernel_initializer", "recurrent_initializer",
           "bias_initializer", "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
           "activity_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout",
           "recurrent_dropout", "reset_after", "seed"})
          .default_value("seed", nullptr)
          .dropped({"implementation"})
          .call_kwarg("training", false));
  r.layer<CuDNNGRU>("CuDNNGRU");
  r.layer<StandaloneGRUCell>("GRUCell")
      .keras3_form(Keras3Form()
                       .keys({"name", "trainable", "dtype", "units", "activation", "recurrent_activation", "use_bias",
                              "kernel_initializer", "recurrent_initializer", "bias_initializer",
                              "kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "kernel_constraint",
                              "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout",
                              "reset_after", "seed"})
                       .default_value("seed", nullptr)
                       .dropped({"implementation"}));
}

}  // namespace
}  // namespace ksave::plugins

KSAVE_PLUGIN("gru", "0.1.0", ksave::plugins::register_objects)

// What the conformance kit (ksave conform) builds these classes from where {} builds nothing or
// the inputs are not one float tensor.
namespace {

ksave::Json conformance_samples() {
  return ksave::ConformanceSamples()
      .layer("GRU", {{"units", 3}})
      .layer("CuDNNGRU", {{"units", 3}})
      .layer("GRUCell", {{"units", 3}}, {{.shape = {4}}, {.shape = {3}}})
      .json();
}

}  // namespace

KSAVE_CONFORMANCE_SAMPLES(conformance_samples)
