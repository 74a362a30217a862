// ConvLSTM1D, ConvLSTM2D and ConvLSTM3D: an LSTM whose input and recurrent transformations are
// convolutions, over inputs (batch, time, spatial..., channels). The time loop, initial states,
// return_sequences / return_state, go_backwards, stateful and masks are rnn_common's
// RecurrentLayer; the cell convolves the whole input sequence at once (the steps folded into the
// batch), then per step adds the recurrent convolution of h (padding same, stride 1) and applies
// the LSTM update (gates i, f, c, o in the last axis of kernel, recurrent_kernel and bias).
//
// Weights as tf-keras names them: "conv_lstm2d/kernel:0" (k..., channels, 4 * filters),
// "conv_lstm2d/recurrent_kernel:0" (k..., filters, 4 * filters), "conv_lstm2d/bias:0"
// (4 * filters), held by the cell (tracked as "cell": Keras 3's layers/conv_lstm2d/cell/vars/N).
// tf-keras builds the cell without a name scope of its own, so the cell here carries the layer's
// name: its variables are named in the layer's scope.
//
// channels_last only (channels_first is refused: TensorFlow's CPU convolutions refuse it too).
// dropout / recurrent_dropout are read and written but, as in the other recurrent plugins, not
// drawn in training.
#include "../common/conv_nd.hpp"
#include "../rnn_common/keras3_recurrent_form.hpp"
#include "../rnn_common/lstm_update.hpp"
#include "../rnn_common/recurrent.hpp"
#include "../rnn_common/unit_forget_bias.hpp"
#include "ksave/conformance.hpp"
#include "ksave/plugin.hpp"

namespace ksave::plugins {
namespace {

using rnn::CellConfig;

// The convolution keys of a ConvLSTM config.
struct ConvOptions {
  std::vector<std::int64_t> kernel_size, strides, dilation_rate;
  std::string padding, data_format;

  static ConvOptions read(const ConfigReader& r, std::size_t rank) {
    ConvOptions o;
    o.kernel_size = r.int_tuple("kernel_size", rank, {});
    o.strides = r.int_tuple("strides", rank, std::vector<std::int64_t>(rank, 1));
    o.padding = spatial::padding(r, {"valid", "same"});
    o.data_format = spatial::data_format(r);
    o.dilation_rate = r.int_tuple("dilation_rate", rank, std::vector<std::int64_t>(rank, 1));
    spatial::require_positive(o.kernel_size, r, "kernel_size");
    spatial::require_positive(o.strides, r, "strides");
    spatial::require_positive(o.dilation_rate, r, "dilation_rate");
    if (o.data_format != "channels_last")
      throw Error(r.object() + ": data_format channels_first is not supported (only channels_last)");
    const auto above_one = [](const std::vector<std::int64_t>& v) {
      return std::any_of(v.begin(), v.end(), [](std::int64_t x) { return x > 1; });
    };
    if (above_one(o.strides) && above_one(o.dilation_rate))
      throw Error(r.object() + ": strides " + spatial::ints_json(o.strides).dump() + " and dilation_rate " +
                  spatial::ints_json(o.dilation_rate).dump() + " cannot both exceed 1 (Keras refuses it too)");
    return o;
  }

  // The config as tf-keras writes it: `filters`, the convolution keys, then the cell's other
  // keys (written by CellConfig into `cell_keys`).
  void write(Json& c, const Json& cell_keys) const {
    c["filters"] = cell_keys.at("filters");
    c["kernel_size"] = spatial::ints_json(kernel_size);
    c["strides"] = spatial::ints_json(strides);
    c["padding"] = padding;
    c["data_format"] = data_format;
    c["dilation_rate"] = spatial::ints_json(dilation_rate);
    for (auto it = cell_keys.begin(); it != cell_keys.end(); ++it)
      if (it.key() != "filters") c[it.key()] = it.value();
  }
};

template <int Rank>
class ConvLSTMCell : public rnn::Cell {
 public:
  static constexpr const char* kLayerClass = by_rank<Rank>("ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D");

  ConvLSTMCell(const std::string& name, const Json& config)
      : Cell(name, config,
             CellConfig::read(reader(name, config), {.recurrent_activation = true,
                                                     .recurrent_activation_default = "hard_sigmoid",
                                                     .unit_forget_bias = true,
                                                     .filters = true})),
        conv_(ConvOptions::read(reader(name, config), Rank)) {}

  std::string class_name() const override { return "ConvLSTMCell"; }
  std::size_t state_count() const override { return 2; }
  const ConvOptions& conv() const { return conv_; }

  Json get_config() const override {
    Json cell_keys = Json::object();
    options_.write(cell_keys, nullptr);
    Json c = Layer::get_config();
    conv_.write(c, cell_keys);
    return c;
  }

  std::size_t input_rank() const override { return Rank + 3; }

  // (batch, spatial..., size) with the spatial axes as the input convolution leaves them.
  Shape step_shape(const Shape& input_shape, Dim size) const override {
    Shape out{input_shape.at(0)};
    for (std::size_t i = 0; i < Rank; ++i)
      out.push_back(spatial::output_length(input_shape.at(2 + i), conv_.kernel_size[i], conv_.padding, conv_.strides[i],
                                           conv_.dilation_rate[i]));
    out.push_back(size);
    return out;
  }

  // Every step's input convolution in one: (batch, time, ...) → (batch × time, ...) and back.
  Tensor begin_sequence(const Tensor& x) override {
    const Dim batch = x.dim(0), steps = x.dim(1);
    Shape folded{batch * steps};
    folded.insert(folded.end(), x.shape().begin() + 2, x.shape().end());
    Tensor z = spatial::conv_nd(ops::reshape(x, folded), kernel_->value(),
                                {conv_.padding, conv_.strides, conv_.dilation_rate});
    if (bias_) z = ops::bias_add(z, bias_->value());
    Shape unfolded{batch, steps};
    unfolded.insert(unfolded.end(), z.shape().begin() + 1, z.shape().end());
    return ops::reshape(z, unfolded);
  }

  Tensors step(const Tensor& projected, const Tensors& states) const override {
    const Tensor& h = states.at(0);
    const std::vector<std::int64_t> ones(Rank, 1);
    const Tensor z = ops::add(projected, spatial::conv_nd(h, recurrent_kernel_->value(), {"same", ones, ones}));
    return rnn::lstm_update({channel_gate(z, 0), channel_gate(z, 1), channel_gate(z, 2), channel_gate(z, 3)},
                            states.at(1), options_);
  }

 protected:
  void build_impl(const std::vector<Shape>& shapes) override {
    const Shape& in = shapes.at(0);
    if (in.size() != Rank + 2 || in.back() < 0)
      throw Error("cell '" + name() + "' (ConvLSTMCell of " + kLayerClass + ") needs steps of rank " +
                  std::to_string(Rank + 2) + " (batch, spatial..., channels) with known channels, found " +
                  shape_to_string(in));
    const std::int64_t width = 4 * units();
    Shape kernel_shape(conv_.kernel_size.begin(), conv_.kernel_size.end());
    Shape recurrent_shape = kernel_shape;
    kernel_shape.insert(kernel_shape.end(), {in.back(), width});
    recurrent_shape.insert(recurrent_shape.end(), {units(), width});
    kernel_ = add_weight({"kernel", kernel_shape, DType::Float32, options_.kernel_initializer,
                          options_.kernel_regularizer, options_.kernel_constraint, true});
    recurrent_kernel_ = add_weight({"recurrent_kernel", recurrent_shape, DType::Float32, options_.recurrent_initializer,
                                    options_.recurrent_regularizer, options_.recurrent_constraint, true});
    if (options_.use_bias) {
      InitializerPtr bias_init = options_.bias_initializer;
      if (options_.unit_forget_bias.value_or(true))
        bias_init = std::make_shared<rnn::UnitForgetBias>(options_.bias_initializer, units());
      bias_ = add_weight({"bias", {width}, DType::Float32, bias_init, options_.bias_regularizer,
                          options_.bias_constraint, true});
    }
  }

  // Called on its own: [x_t (batch, spatial..., channels), h, c].
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override {
    Shape step = shapes.at(0);
    step.insert(step.begin() + 1, 1);  // a sequence of one step
    return std::vector<Shape>(1 + state_count(), step_shape(step, units()));
  }

 private:
  static ConfigReader reader(const std::string& name, const Json& config) {
    return ConfigReader(config, "layer '" + name + "' (" + kLayerClass + ")");
  }

  // Channels [gate * filters, (gate + 1) * filters) of the last axis.
  Tensor channel_gate(const Tensor& z, std::int64_t gate) const {
    const auto rank = static_cast<std::size_t>(z.rank());
    std::vector<std::int64_t> begin(rank, 0), size(rank, -1);
    begin.back() = gate * units();
    size.back() = units();
    return ops::slice(z, begin, size);
  }

  ConvOptions conv_;
};

// The layer's config with its name: the cell needs it before the layer exists, so the default
// name (to_snake_case of the class, as tf-keras 2.21 and Keras 3 give it: "conv_lstm2d") is made
// here rather than by Layer.
Json with_name(const Json& config, const char* class_name) {
  if (config.is_object() && config.contains("name") && config["name"].is_string() &&
      !config["name"].get<std::string>().empty())
    return config;
  Json named = config.is_object() ? config : Json::object();
  named["name"] = unique_layer_name(to_snake_case(class_name));
  return named;
}

template <int Rank>
class ConvLSTM : public rnn::RecurrentLayer {
 public:
  using Cell = ConvLSTMCell<Rank>;

  explicit ConvLSTM(const Json& config)
      : ConvLSTM(with_name(config, by_rank<Rank>("ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D")), 0) {}

 protected:
  void write_cell_config(Json& c) const override {
    const auto& cell = static_cast<const Cell&>(*cell_layer());
    Json cell_keys = Json::object();
    cell.options().write(cell_keys, &activity_regularizer());
    cell.conv().write(c, cell_keys);
  }

 private:
  ConvLSTM(const Json& named, int)
      : RecurrentLayer(named, Cell::kLayerClass, std::make_shared<Cell>(named["name"].get<std::string>(), named)) {}
};

// Keras 3's key order: its RNN base's keys, then the layer's own (with seed).
Keras3Form keras3_form() {
  return rnn::keras3_recurrent_layer_form(
             {"filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "activation",
              "recurrent_activation", "use_bias", "kernel_initializer", "recurrent_initializer", "bias_initializer",
              "unit_forget_bias", "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
              "activity_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout",
              "recurrent_dropout", "seed"})
      .default_value("seed", nullptr)
      .call_kwarg("training", false);
}

void register_objects(PluginRegistrar& r) {
  r.layer<ConvLSTM<1>>("ConvLSTM1D").keras3_form(keras3_form());
  r.layer<ConvLSTM<2>>("ConvLSTM2D").keras3_form(keras3_form());
  r.layer<ConvLSTM<3>>("ConvLSTM3D").keras3_form(keras3_form());
}

}  // namespace
}  // namespace ksave::plugins

KSAVE_PLUGIN("conv_lstm", "0.1.0", ksave::plugins::register_objects)

// What the conformance kit (ksave conform) builds these classes from: {} has no filters, and the
// default rank-2 input is not a sequence of images. recurrent_activation sigmoid: the default,
// tf-keras's hard_sigmoid, has no Keras 3 form, so a .keras save refuses it (rightly).
namespace {

ksave::Json conformance_samples() {
  const auto config = [] {
    return ksave::Json{{"filters", 2}, {"kernel_size", 2}, {"recurrent_activation", "sigmoid"}};
  };
  return ksave::ConformanceSamples()
      .layer("ConvLSTM1D", config(), {{.shape = {3, 5, 2}}})
      .layer("ConvLSTM2D", config(), {{.shape = {3, 4, 4, 2}}})
      .layer("ConvLSTM3D", config(), {{.shape = {2, 3, 3, 3, 2}}})
      .json();
}

}  // namespace

KSAVE_CONFORMANCE_SAMPLES(conformance_samples)
