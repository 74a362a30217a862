// ConvLSTM1D/2D/3D plugin: configs in tf-keras's form, weight names and shapes, numerics against
// a plain loop written here (ConvLSTM1D, same and valid padding, strides, dilation, initial
// states, go_backwards, return_state) and against the LSTM plugin (a 1×1 ConvLSTM2D is an LSTM
// at every pixel), masks, stateful, gradients, weights through every format, clear errors, and
// the ONNX export's refusal of unknown sizes. Real Keras's numbers are the interop suite's
// (tests/interop/models.py, conv_lstm*), ONNX Runtime's tests/onnx's.
#define BOOST_TEST_MODULE conv_lstm
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <initializer_list>
#include <string>

#include "layer_zoo_support/layer_checks.hpp"

using namespace ksave;
using namespace ksave::test::zoo;

namespace {

// `action` must throw a ksave::Error whose message holds every one of `parts`.
template <typename Action>
void expect_error_naming(Action&& action, const char* accepted, std::initializer_list<std::string> parts) {
  try {
    action();
    BOOST_FAIL(std::string(accepted) + " was accepted");
  } catch (const Error& e) {
    const std::string what = e.what();
    for (const std::string& part : parts) BOOST_TEST(what.find(part) != std::string::npos, what);
  }
}

Json config_with(const std::string& name, const Json& extra) {
  Json c = {{"name", name}, {"filters", 3}, {"kernel_size", 3}, {"recurrent_activation", "sigmoid"}};
  for (auto it = extra.begin(); it != extra.end(); ++it) c[it.key()] = it.value();
  return c;
}

float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

// ConvLSTM1D by loops: x (B, T, L, C), kernel (k, C, 4F), recurrent (k, F, 4F), bias (4F).
// Returns every processed step's h (B, L', F) and the final h and c.
struct Reference {
  std::vector<std::vector<float>> outputs;  // [step] flattened (B, L', F)
  std::vector<float> h, c;
};

struct Geometry {
  std::int64_t k, stride = 1, dilation = 1;
  bool same = false;
};

// out[o] = sum over taps of in[o * stride + tap * dilation - pad_before], TensorFlow's SAME rule.
std::vector<float> conv1d(const std::vector<float>& in, Dim batch, Dim length, Dim channels, const float* w, Dim width,
                          const Geometry& g, Dim out_length) {
  std::int64_t before = 0;
  if (g.same) before = std::max<std::int64_t>((out_length - 1) * g.stride + (g.k - 1) * g.dilation + 1 - length, 0) / 2;
  std::vector<float> out(static_cast<std::size_t>(batch * out_length * width), 0.0f);
  for (Dim b = 0; b < batch; ++b)
    for (Dim o = 0; o < out_length; ++o)
      for (std::int64_t tap = 0; tap < g.k; ++tap) {
        const Dim p = o * g.stride + tap * g.dilation - before;
        if (p < 0 || p >= length) continue;
        for (Dim ch = 0; ch < channels; ++ch)
          for (Dim j = 0; j < width; ++j)
            out[(b * out_length + o) * width + j] += in[(b * length + p) * channels + ch] * w[(tap * channels + ch) * width + j];
      }
  return out;
}

Reference reference_conv_lstm1d(const Tensor& x, const Tensor& kernel, const Tensor& recurrent, const Tensor& bias,
                                const Geometry& g, std::vector<float> h, std::vector<float> c, bool backwards) {
  const Dim B = x.dim(0), T = x.dim(1), L = x.dim(2), C = x.dim(3), F = recurrent.dim(1);
  const Dim out_length = g.same ? (L + g.stride - 1) / g.stride : (L - (g.k - 1) * g.dilation - 1) / g.stride + 1;
  if (h.empty()) h.assign(static_cast<std::size_t>(B * out_length * F), 0.0f);
  if (c.empty()) c.assign(h.size(), 0.0f);
  Reference ref;
  for (Dim s = 0; s < T; ++s) {
    const Dim t = backwards ? T - 1 - s : s;
    std::vector<float> xt(static_cast<std::size_t>(B * L * C));
    for (Dim b = 0; b < B; ++b)
      for (Dim i = 0; i < L * C; ++i) xt[b * L * C + i] = x.data<float>()[(b * T + t) * L * C + i];
    const std::vector<float> zx = conv1d(xt, B, L, C, kernel.data<float>(), 4 * F, g, out_length);
    const std::vector<float> zh =
        conv1d(h, B, out_length, F, recurrent.data<float>(), 4 * F, {.k = g.k, .same = true}, out_length);
    for (Dim cell = 0; cell < B * out_length; ++cell)
      for (Dim u = 0; u < F; ++u) {
        const auto z = [&](Dim gate) {
          const Dim j = cell * 4 * F + gate * F + u;
          return zx[j] + zh[j] + bias.data<float>()[gate * F + u];
        };
        const float i = sigmoid(z(0)), f = sigmoid(z(1)), cc = std::tanh(z(2)), o = sigmoid(z(3));
        float& carry = c[cell * F + u];
        carry = f * carry + i * cc;
        h[cell * F + u] = o * std::tanh(carry);
      }
    ref.outputs.push_back(h);
  }
  ref.h = h;
  ref.c = c;
  return ref;
}

void expect_values(const Tensor& actual, const std::vector<float>& expected, const std::string& what) {
  BOOST_TEST_REQUIRE(static_cast<std::size_t>(actual.size()) == expected.size(), what);
  const Tensor a = actual.as_float();
  for (std::size_t i = 0; i < expected.size(); ++i)
    BOOST_TEST(std::abs(a.data<float>()[i] - expected[i]) < 1e-5f, what << " [" << i << "]");
}

std::vector<float> values(const Tensor& t) {
  const Tensor f = t.as_float();
  return std::vector<float>(f.data<float>(), f.data<float>() + f.size());
}

// A built ConvLSTM1D with random weights (filters 3) over x (2, 4, 7, 2).
struct Fixture1D {
  LayerPtr layer;
  Tensor x, kernel, recurrent, bias;
  explicit Fixture1D(const Json& extra = Json::object(), std::int64_t k = 3) {
    layer = layer_from("ConvLSTM1D", config_with("conv_lstm1d", extra));
    x = random_tensor({2, 4, 7, 2}, 1);
    layer->build(Shape{kUnknown, 4, 7, 2});
    kernel = random_tensor({k, 2, 12}, 2, -0.5f, 0.5f);
    recurrent = random_tensor({k, 3, 12}, 3, -0.5f, 0.5f);
    bias = random_tensor({12}, 4, -0.3f, 0.3f);
    layer->set_weights({kernel, recurrent, bias});
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(config_round_trips_in_tf_keras_order) {
  const Json config = Json::parse(R"({"name": "conv_lstm2d", "trainable": true, "dtype": "float32",
    "return_sequences": true, "return_state": false, "go_backwards": true, "stateful": false, "unroll": false,
    "time_major": false, "filters": 4, "kernel_size": [3, 2], "strides": [2, 1], "padding": "same",
    "data_format": "channels_last", "dilation_rate": [1, 1], "activation": "relu", "recurrent_activation": "hard_sigmoid",
    "use_bias": true, "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": null}},
    "recurrent_initializer": {"class_name": "Orthogonal", "config": {"gain": 1.0, "seed": null}},
    "bias_initializer": {"class_name": "Zeros", "config": {}}, "unit_forget_bias": false,
    "kernel_regularizer": null, "recurrent_regularizer": null, "bias_regularizer": null, "activity_regularizer": null,
    "kernel_constraint": null, "recurrent_constraint": null, "bias_constraint": null, "dropout": 0.25,
    "recurrent_dropout": 0.0})");
  check_config_round_trip("ConvLSTM2D", config);
  // Keys in tf-keras's order (its RNN base's, then filters and the convolution's, then the cell's).
  std::vector<std::string> keys;
  const Json written = layer_from("ConvLSTM2D", config)->get_config();
  for (auto it = written.begin(); it != written.end(); ++it) keys.push_back(it.key());
  std::vector<std::string> expected;
  for (auto it = config.begin(); it != config.end(); ++it) expected.push_back(it.key());
  BOOST_TEST(keys == expected, boost::test_tools::per_element());
  // tf-keras's default recurrent_activation for ConvLSTM is hard_sigmoid (LSTM's is sigmoid).
  const Json defaults = layer_from("ConvLSTM1D", {{"filters", 2}, {"kernel_size", 3}})->get_config();
  BOOST_TEST(without_module_keys(defaults["recurrent_activation"]) == Json("hard_sigmoid"));
  BOOST_TEST(defaults["name"].get<std::string>().rfind("conv_lstm1d", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(weights_have_tf_keras_names_and_shapes) {
  LayerPtr layer = layer_from("ConvLSTM3D", config_with("clstm", {{"kernel_size", Json::array({2, 3, 1})}}));
  layer->build(Shape{kUnknown, 2, 4, 5, 3, 2});
  const auto w = layer->weights();
  BOOST_TEST_REQUIRE(w.size() == 3u);
  // tf-keras builds the cell in the layer's own scope: no "conv_lstm_cell/" in the names.
  BOOST_TEST(w[0]->name() == "clstm/kernel:0");
  BOOST_TEST(w[1]->name() == "clstm/recurrent_kernel:0");
  BOOST_TEST(w[2]->name() == "clstm/bias:0");
  BOOST_TEST(w[0]->value().shape() == (Shape{2, 3, 1, 2, 12}));
  BOOST_TEST(w[1]->value().shape() == (Shape{2, 3, 1, 3, 12}));
  BOOST_TEST(w[2]->value().shape() == (Shape{12}));
  BOOST_TEST(layer->tracked_layers().at(0).first == "cell");
  // unit_forget_bias: ones in the forget gate's channels [filters, 2 * filters).
  const Tensor b = w[2]->value();
  for (Dim i = 0; i < 12; ++i) BOOST_TEST(b.data<float>()[i] == (i >= 3 && i < 6 ? 1.0f : 0.0f), "bias " << i);
}

BOOST_AUTO_TEST_CASE(conv_lstm1d_matches_a_plain_loop) {
  struct Variant {
    Json extra;
    Geometry geometry;
  };
  const std::vector<Variant> variants = {
      {{{"padding", "same"}}, {.k = 3, .same = true}},
      {{{"padding", "valid"}}, {.k = 3}},
      {{{"padding", "same"}, {"strides", 2}}, {.k = 3, .stride = 2, .same = true}},
      {{{"padding", "valid"}, {"dilation_rate", 2}}, {.k = 3, .dilation = 2}},
  };
  for (const Variant& v : variants) {
    Json extra = v.extra;
    extra["return_sequences"] = true;
    Fixture1D f(extra);
    const Tensor y = (*f.layer)(f.x);
    const Reference ref = reference_conv_lstm1d(f.x, f.kernel, f.recurrent, f.bias, v.geometry, {}, {}, false);
    const Dim out_length = static_cast<Dim>(ref.h.size()) / (2 * 3);
    BOOST_TEST(y.shape() == (Shape{2, 4, out_length, 3}), v.extra.dump());
    BOOST_TEST(f.layer->output_shapes({Shape{kUnknown, 4, 7, 2}}).at(0) == (Shape{kUnknown, 4, out_length, 3}));
    for (Dim t = 0; t < 4; ++t)
      expect_values(ops::slice(y, {0, t, 0, 0}, {-1, 1, -1, -1}), ref.outputs[t], v.extra.dump() + " step " + std::to_string(t));
  }
}

BOOST_AUTO_TEST_CASE(initial_states_return_state_and_go_backwards) {
  Fixture1D f(Json{{"padding", "same"}, {"return_state", true}, {"go_backwards", true}});
  const Tensor h0 = random_tensor({2, 7, 3}, 7), c0 = random_tensor({2, 7, 3}, 8);
  const Tensors out = (*f.layer)(Tensors{f.x, h0, c0});
  BOOST_TEST_REQUIRE(out.size() == 3u);
  const Reference ref = reference_conv_lstm1d(f.x, f.kernel, f.recurrent, f.bias, {.k = 3, .same = true}, values(h0),
                                              values(c0), true);
  expect_values(out[0], ref.h, "output");
  expect_values(out[1], ref.h, "h");
  expect_values(out[2], ref.c, "c");
  // A state of the wrong shape names the layer and both shapes.
  expect_error_naming([&] { (*f.layer)(Tensors{f.x, random_tensor({2, 5, 3}, 9), c0}); }, "a wrong initial state",
                      {"conv_lstm1d", "(2, 7, 3)"});
}

// Independent of the loop above: with a 1×1 kernel every pixel is an LSTM over time.
BOOST_AUTO_TEST_CASE(one_by_one_conv_lstm2d_is_an_lstm_at_every_pixel) {
  LayerPtr conv = layer_from("ConvLSTM2D", config_with("c", {{"kernel_size", 1}, {"return_sequences", true}}));
  conv->build(Shape{kUnknown, 3, 2, 2, 4});
  const Tensor kernel = random_tensor({1, 1, 4, 12}, 2, -0.5f, 0.5f), recurrent = random_tensor({1, 1, 3, 12}, 3, -0.5f, 0.5f);
  const Tensor bias = random_tensor({12}, 4, -0.3f, 0.3f);
  conv->set_weights({kernel, recurrent, bias});
  LayerPtr lstm = layer_from("LSTM", {{"name", "l"}, {"units", 3}, {"return_sequences", true}});
  lstm->build(Shape{kUnknown, 3, 4});
  lstm->set_weights({ops::reshape(kernel, {4, 12}), ops::reshape(recurrent, {3, 12}), bias});
  const Tensor x = random_tensor({2, 3, 2, 2, 4}, 5);
  const Tensor y = (*conv)(x);  // (2, 3, 2, 2, 3)
  // Pixels as the batch: (2, 3, 2, 2, 4) → (2, 2, 2, 3, 4) → (8, 3, 4).
  const Tensor per_pixel = ops::reshape(ops::transpose(x, {0, 2, 3, 1, 4}), {8, 3, 4});
  const Tensor expected = ops::transpose(ops::reshape((*lstm)(per_pixel), {2, 2, 2, 3, 3}), {0, 3, 1, 2, 4});
  expect_values(y, values(expected), "ConvLSTM2D 1x1");
}

BOOST_AUTO_TEST_CASE(masked_steps_keep_output_and_states) {
  Fixture1D f(Json{{"padding", "same"}});
  const Tensor mask = Tensor::from_vector<std::uint8_t>({1, 0, 1, 1, 1, 1, 0, 0}, {2, 4}).cast(DType::Bool);
  CallContext ctx;
  ctx.masks = {mask};
  const Tensor y = (*f.layer)(Tensors{f.x}, ctx).at(0);
  // Each sample alone over its kept steps.
  for (Dim b = 0; b < 2; ++b) {
    std::vector<Tensor> kept;
    for (Dim t = 0; t < 4; ++t)
      if (mask.cast(DType::Float32).data<float>()[b * 4 + t] != 0.0f) kept.push_back(ops::slice(f.x, {b, t, 0, 0}, {1, 1, -1, -1}));
    const Reference ref = reference_conv_lstm1d(ops::concat(kept, 1), f.kernel, f.recurrent, f.bias,
                                                {.k = 3, .same = true}, {}, {}, false);
    expect_values(ops::slice(y, {b, 0, 0}, {1, -1, -1}), ref.h, "sample " + std::to_string(b));
  }
}

BOOST_AUTO_TEST_CASE(gradients_match_finite_differences) {
  Fixture1D f(Json{{"padding", "same"}, {"return_sequences", true}});
  check_layer_gradients("ConvLSTM1D", f.layer, random_tensor({2, 4, 7, 2}, 9));
  LayerPtr two = layer_from("ConvLSTM2D", config_with("c2", {{"kernel_size", 2}, {"strides", 2}}));
  two->build(Shape{kUnknown, 2, 4, 4, 2});
  check_layer_gradients("ConvLSTM2D strides", two, random_tensor({1, 2, 4, 4, 2}, 10));
  LayerPtr three = layer_from("ConvLSTM3D", config_with("c3", {{"kernel_size", 2}, {"padding", "same"}}));
  three->build(Shape{kUnknown, 2, 3, 2, 2, 1});
  check_layer_gradients("ConvLSTM3D", three, random_tensor({1, 2, 3, 2, 2, 1}, 11));
}

BOOST_AUTO_TEST_CASE(weights_round_trip_through_every_format) {
  Fixture1D f(Json{{"padding", "same"}, {"return_sequences", true}});
  KerasTensor in = Input(Shape{4, 7, 2}, "x");
  const auto model = std::make_shared<Functional>(KerasTensors{in}, KerasTensors{(*f.layer)(in)});
  check_weight_round_trips(model, {f.x}, "conv_lstm1d");
}

BOOST_AUTO_TEST_CASE(bad_configs_and_inputs_name_the_layer) {
  const auto message = [](const Json& config) {
    try {
      layer_from("ConvLSTM2D", config);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("<no error>");
  };
  const std::string first = message(config_with("bad", {{"data_format", "channels_first"}}));
  BOOST_TEST(first.find("'bad' (ConvLSTM2D)") != std::string::npos, first);
  BOOST_TEST(first.find("channels_first") != std::string::npos, first);
  const std::string both = message(config_with("bad", {{"strides", 2}, {"dilation_rate", 2}}));
  BOOST_TEST(both.find("dilation_rate") != std::string::npos, both);
  const std::string causal = message(config_with("bad", {{"padding", "causal"}}));
  BOOST_TEST(causal.find("padding") != std::string::npos, causal);
  const std::string no_filters = message({{"name", "bad"}, {"kernel_size", 3}});
  BOOST_TEST(no_filters.find("filters") != std::string::npos, no_filters);
  // A sequence of the wrong rank.
  LayerPtr layer = layer_from("ConvLSTM2D", config_with("rank", Json::object()));
  expect_error_naming([&] { layer->build(Shape{kUnknown, 3, 4}); }, "a rank-3 input", {"'rank' (ConvLSTM2D)", "rank 5"});
}

// ONNX export (a Scan over time; ONNX Runtime runs it in tests/onnx) needs known steps and
// spatial sizes: without them the export is refused, naming the layer and the input.
BOOST_AUTO_TEST_CASE(onnx_export_of_unknown_steps_is_refused_naming_the_layer) {
  LayerPtr layer = layer_from("ConvLSTM1D", config_with("free_steps", Json{{"padding", "same"}}));
  KerasTensor in = Input(Shape{kUnknown, 7, 2}, "x");
  const auto model = std::make_shared<Functional>(KerasTensors{in}, KerasTensors{(*layer)(in)});
  const std::filesystem::path path = ksave::test::scratch_dir("conv_lstm_onnx") / "m.onnx";
  expect_error_naming([&] { save_model(*model, path); }, "an ONNX export of unknown steps",
                      {"'free_steps' (ConvLSTM1D): exported for known steps and spatial sizes only"});
  BOOST_TEST(!std::filesystem::exists(path));
}

// The kept states have the cell's spatial shape; the second call starts from the first's.
BOOST_AUTO_TEST_CASE(stateful_layer_keeps_its_spatial_states_between_calls) {
  Fixture1D f(Json{{"padding", "same"}, {"stateful", true}, {"batch_input_shape", Json::array({2, 4, 7, 2})}});
  const Tensor y1 = (*f.layer)(f.x);
  const Tensor y2 = (*f.layer)(f.x);
  const Reference first = reference_conv_lstm1d(f.x, f.kernel, f.recurrent, f.bias, {.k = 3, .same = true}, {}, {}, false);
  const Reference second =
      reference_conv_lstm1d(f.x, f.kernel, f.recurrent, f.bias, {.k = 3, .same = true}, first.h, first.c, false);
  expect_values(y1, first.h, "first call");
  expect_values(y2, second.h, "second call");
  BOOST_CHECK_THROW((*f.layer)(random_tensor({3, 4, 7, 2}, 5)), Error);  // another batch size
}
