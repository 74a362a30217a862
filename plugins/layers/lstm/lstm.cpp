// LSTM (and LSTMCell): gates i, f, c, o in the columns of kernel, recurrent_kernel and bias, as
// tf.keras orders them; the update is rnn_common/lstm_update.hpp's. Keras 1 files store 12
// arrays per layer; the HDF5 format converts them.
#include <array>

#include "../rnn_common/legacy_rnn_weights.hpp"
#include "../rnn_common/lstm_update.hpp"
#include "../rnn_common/keras3_recurrent_form.hpp"
#include "../rnn_common/recurrent.hpp"
#include "../rnn_common/unit_forget_bias.hpp"
#include "ksave/conformance.hpp"
#include "ksave/plugin.hpp"

namespace ksave::plugins {
namespace {

using rnn::CellConfig;

class LSTMCell : public rnn::Cell {
 public:
  LSTMCell(const std::string& name, const Json& config)
      : Cell(name, config,
             CellConfig::read(ConfigReader(config, "layer '" + name + "' (LSTM)"),
                              {.recurrent_activation = true, .unit_forget_bias = true, .implementation = true})) {}
  std::string class_name() const override { return "LSTMCell"; }
  std::size_t state_count() const override { return 2; }

  Tensor begin_sequence(const Tensor& x) override {
    Tensor z = ops::matmul(x, kernel_->value());
    return bias_ ? ops::bias_add(z, bias_->value()) : z;
  }

  // oneDNN's LSTM computes Keras's default activations only.
  std::optional<Tensors> run_fused(const Tensor& x, const Tensors& states, bool return_sequences) override {
    if (options_.activation.name != "tanh" || !options_.recurrent_activation ||
        options_.recurrent_activation->name != "sigmoid")
      return std::nullopt;
    const Tensor bias = bias_ ? bias_->value() : Tensor::zeros(DType::Float32, {4 * units()});
    // Looked up and built once: a name lookup and an attribute list per call would allocate.
    static const OpDef& op = find_op("FusedLSTM");
    static const Attrs sequences{{"return_sequences", true}}, last_step{{"return_sequences", false}};
    const std::array<Tensor, 6> inputs{x, states.at(0), states.at(1), kernel_->value(), recurrent_kernel_->value(), bias};
    Tensors out = run_op(op, inputs, return_sequences ? sequences : last_step);
    out.resize(3);  // y, h_T, c_T (the rest is for the gradient)
    return out;
  }

  Tensors step(const Tensor& projected, const Tensors& states) const override {
    const Tensor& h = states.at(0);
    const Tensor& c = states.at(1);
    const Tensor z = ops::add(projected, ops::matmul(h, recurrent_kernel_->value()));
    return rnn::lstm_update({gate(z, 0), gate(z, 1), gate(z, 2), gate(z, 3)}, c, options_);
  }

 protected:
  void build_impl(const std::vector<Shape>& shapes) override {
    const Shape& in = shapes.at(0);
    if (in.size() != 2 || in[1] < 0)
      throw Error("cell '" + name() + "' (LSTMCell) needs inputs (batch, features), found " + shape_to_string(in));
    InitializerPtr bias_init;
    if (options_.unit_forget_bias.value_or(true))
      bias_init = std::make_shared<rnn::UnitForgetBias>(options_.bias_initializer, units());
    add_standard_weights(in[1], 4, {4 * units()}, bias_init);
  }
};

class LSTM : public rnn::RecurrentLayer {
 public:
  explicit LSTM(const Json& config)
      : RecurrentLayer(config, "LSTM", std::make_shared<LSTMCell>("lstm_cell", config)) {}

  // Keras 1 stored gates i, c, f, o; today's order is i, f, c, o.
  bool stored_weights_need_conversion(const std::vector<Shape>& stored, const std::string& keras_version) const override {
    return rnn::legacy_rnn_weights(kLegacyGates, stored, keras_version);
  }
  std::vector<Tensor> convert_stored_weights(std::vector<Tensor> stored, const std::string& keras_version) const override {
    return rnn::convert_legacy_rnn_weights(*this, kLegacyGates, std::move(stored), keras_version, false);
  }

 private:
  inline static const rnn::LegacyGates kLegacyGates{4, {0, 2, 1, 3}};
};

// Loaded as an LSTM: class_name() stays "LSTM", so saving writes what tf-keras loads on any device.
class CuDNNLSTM : public LSTM {
 public:
  explicit CuDNNLSTM(const Json& config) : LSTM(rnn::cudnn_layer_config(config, false)) {}
};

class StandaloneLSTMCell : public LSTMCell {
 public:
  explicit StandaloneLSTMCell(const Json& config)
      : LSTMCell(config.contains("name") && config["name"].is_string() ? config["name"].get<std::string>()
                                                                         : unique_layer_name("lstm_cell"),
                 config) {}
};

void register_objects(PluginRegistrar& r) {
  r.layer<LSTM>("LSTM").keras3_form(
      rnn::keras3_recurrent_layer_form(
          {"units", "activation", "recurrent_activation", "use_bias", "kernel_initializer", "recurrent_initializer",
           "bias_initializer", "unit_forget_bias", "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
           "activity_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout",
           "recurrent_dropout", "seed"})
          .default_value("seed", nullptr)
          .dropped({"implementation"})
          .call_kwarg("training", false));
  r.layer<CuDNNLSTM>("CuDNNLSTM");
  r.layer<StandaloneLSTMCell>("LSTMCell")
      .keras3_form(Keras3Form()
                       .keys({"name", "trainable", "dtype", "units", "activation", "recurrent_activation", "use_bias",
                              "unit_forget_bias", "kernel_initializer", "recurrent_initializer", "bias_initializer",
                              "kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "kernel_constraint",
                              "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout", "seed"})
                       .default_value("seed", nullptr)
                       .dropped({"implementation"}));
}

}  // namespace
}  // namespace ksave::plugins

KSAVE_PLUGIN("lstm", "0.1.0", ksave::plugins::register_objects)

// What the conformance kit (ksave conform) builds these classes from where {} builds nothing or
// the inputs are not one float tensor.
namespace {

ksave::Json conformance_samples() {
  return ksave::ConformanceSamples()
      .layer("LSTM", {{"units", 3}})
      .layer("CuDNNLSTM", {{"units", 3}})
      .layer("LSTMCell", {{"units", 3}}, {{.shape = {4}}, {.shape = {3}}, {.shape = {3}}})
      .json();
}

}  // namespace

KSAVE_CONFORMANCE_SAMPLES(conformance_samples)
