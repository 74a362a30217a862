// SimpleRNN (and SimpleRNNCell): h' = act(x·kernel + bias + h·recurrent_kernel).
#include <array>

#include "../rnn_common/keras3_recurrent_form.hpp"
#include "../rnn_common/recurrent.hpp"
#include "ksave/conformance.hpp"
#include "ksave/plugin.hpp"

namespace ksave::plugins {
namespace {

using rnn::CellConfig;

class SimpleRNNCell : public rnn::Cell {
 public:
  SimpleRNNCell(const std::string& name, const Json& config)
      : Cell(name, config, CellConfig::read(ConfigReader(config, "layer '" + name + "' (SimpleRNN)"), {})) {}
  std::string class_name() const override { return "SimpleRNNCell"; }

  Tensor begin_sequence(const Tensor& x) override {
    Tensor z = ops::matmul(x, kernel_->value());
    return bias_ ? ops::bias_add(z, bias_->value()) : z;
  }

  // oneDNN's vanilla RNN computes tanh and relu cells, forward only (inference).
  std::optional<Tensors> run_fused(const Tensor& x, const Tensors& states, bool return_sequences) override {
    const std::string& activation = options_.activation.name;
    if (ops_observed() || (activation != "tanh" && activation != "relu")) return std::nullopt;
    const Tensor bias = bias_ ? bias_->value() : Tensor::zeros(DType::Float32, {units()});
    // Looked up and built once (by return_sequences, activation): a name lookup and an attribute
    // list per call would allocate.
    static const OpDef& op = find_op("FusedSimpleRNN");
    static const std::array<Attrs, 4> attrs{Attrs{{"return_sequences", false}, {"activation", std::string("tanh")}},
                                            Attrs{{"return_sequences", false}, {"activation", std::string("relu")}},
                                            Attrs{{"return_sequences", true}, {"activation", std::string("tanh")}},
                                            Attrs{{"return_sequences", true}, {"activation", std::string("relu")}}};
    const Tensors inputs{x, states.at(0), kernel_->value(), recurrent_kernel_->value(), bias};
    return run_op(op, inputs, attrs[2 * std::size_t{return_sequences} + std::size_t{activation == "relu"}]);  // y, h_T
  }

  Tensors step(const Tensor& projected, const Tensors& states) const override {
    const Tensor h = options_.activation(ops::add(projected, ops::matmul(states.at(0), recurrent_kernel_->value())));
    return {h, h};
  }

 protected:
  void build_impl(const std::vector<Shape>& shapes) override {
    const Shape& in = shapes.at(0);
    if (in.size() != 2 || in[1] < 0)
      throw Error("cell '" + name() + "' (SimpleRNNCell) needs inputs (batch, features), found " +
                  shape_to_string(in));
    add_standard_weights(in[1], 1, {units()});
  }
};

class SimpleRNN : public rnn::RecurrentLayer {
 public:
  explicit SimpleRNN(const Json& config)
      : RecurrentLayer(config, "SimpleRNN", std::make_shared<SimpleRNNCell>("simple_rnn_cell", config)) {}
};

class StandaloneSimpleRNNCell : public SimpleRNNCell {
 public:
  explicit StandaloneSimpleRNNCell(const Json& config)
      : SimpleRNNCell(config.contains("name") && config["name"].is_string() ? config["name"].get<std::string>()
                                                                              : unique_layer_name("simple_rnn_cell"),
                      config) {}
};

void register_objects(PluginRegistrar& r) {
  r.layer<SimpleRNN>("SimpleRNN")
      .keras3_form(rnn::keras3_recurrent_layer_form(
                       {"units", "activation", "use_bias", "kernel_initializer", "recurrent_initializer",
                        "bias_initializer", "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
                        "activity_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint",
                        "dropout", "recurrent_dropout"})
                       .call_kwarg("training", false));
  r.layer<StandaloneSimpleRNNCell>("SimpleRNNCell")
      .keras3_form(Keras3Form()
                       .keys({"name", "trainable", "dtype", "units", "activation", "use_bias", "kernel_initializer",
                              "recurrent_initializer", "bias_initializer", "kernel_regularizer",
                              "recurrent_regularizer", "bias_regularizer", "kernel_constraint",
                              "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout", "seed"})
                       .default_value("seed", nullptr));
}

}  // namespace
}  // namespace ksave::plugins

KSAVE_PLUGIN("simple_rnn", "0.1.0", ksave::plugins::register_objects)

// What the conformance kit (ksave conform) builds these classes from where {} builds nothing or
// the inputs are not one float tensor.
namespace {

ksave::Json conformance_samples() {
  return ksave::ConformanceSamples()
      .layer("SimpleRNN", {{"units", 3}})
      .layer("SimpleRNNCell", {{"units", 3}}, {{.shape = {4}}, {.shape = {3}}})
      .json();
}

}  // namespace

KSAVE_CONFORMANCE_SAMPLES(conformance_samples)
