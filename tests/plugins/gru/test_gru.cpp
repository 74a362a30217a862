// GRU plugin: both reset_after forms against a plain loop written here, the tfjs oracle
// (reset_after=False), the fdeep fixture from TF 2.1 (reset_after=True, no bias, initial state as
// an input, stateful second call), configs, gradients, weights through every format.
#define BOOST_TEST_MODULE gru
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "ksave/npy.hpp"
#include "layer_zoo_support/layer_checks.hpp"

using namespace ksave;
using namespace ksave::test::zoo;

namespace {

float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

// Plain-loop GRU (gates z, r, h), final state only.
std::vector<float> reference_gru(const Tensor& x, const Tensor& k, const Tensor& r, const Tensor& bias, bool reset_after) {
  const auto B = x.dim(0), T = x.dim(1), F = x.dim(2), U = r.dim(0);
  std::vector<float> h(static_cast<std::size_t>(B * U), 0.0f);
  const float* bin = bias.data<float>();
  const float* brec = reset_after ? bin + 3 * U : nullptr;
  const float* R = r.data<float>();
  for (Dim t = 0; t < T; ++t)
    for (Dim n = 0; n < B; ++n) {
      std::vector<float> xp(3 * U), hp(3 * U, 0.0f);
      for (Dim g = 0; g < 3 * U; ++g) {
        float v = bin[g];
        for (Dim f = 0; f < F; ++f) v += x.data<float>()[(n * T + t) * F + f] * k.data<float>()[f * 3 * U + g];
        xp[g] = v;
        float w = brec ? brec[g] : 0.0f;
        for (Dim u = 0; u < U; ++u) w += h[n * U + u] * R[u * 3 * U + g];
        hp[g] = w;
      }
      std::vector<float> z(U), rr(U), next(U);
      for (Dim u = 0; u < U; ++u) {
        z[u] = sigmoid(xp[u] + hp[u]);
        rr[u] = sigmoid(xp[U + u] + hp[U + u]);
      }
      for (Dim u = 0; u < U; ++u) {
        float v = xp[2 * U + u];
        if (reset_after) {
          v += rr[u] * hp[2 * U + u];
        } else {
          for (Dim j = 0; j < U; ++j) v += rr[j] * h[n * U + j] * R[j * 3 * U + 2 * U + u];
        }
        next[u] = z[u] * h[n * U + u] + (1 - z[u]) * std::tanh(v);
      }
      for (Dim u = 0; u < U; ++u) h[n * U + u] = next[u];
    }
  return h;
}

LayerPtr built_gru(bool reset_after, Tensor& k, Tensor& r, Tensor& b) {
  LayerPtr gru = layer_from("GRU", {{"name", "gru"}, {"units", 3}, {"reset_after", reset_after}});
  gru->build(Shape{kUnknown, 4, 2});
  k = random_tensor({2, 9}, 1, -0.7f, 0.7f);
  r = random_tensor({3, 9}, 2, -0.7f, 0.7f);
  b = random_tensor(reset_after ? Shape{2, 9} : Shape{9}, 3, -0.3f, 0.3f);
  gru->set_weights({k, r, b});
  return gru;
}

}  // namespace

BOOST_AUTO_TEST_CASE(both_reset_forms_match_a_plain_loop) {
  for (bool reset_after : {true, false}) {
    Tensor k, r, b;
    LayerPtr gru = built_gru(reset_after, k, r, b);
    BOOST_TEST(gru->weights()[2]->value().shape() == (reset_after ? Shape{2, 9} : Shape{9}));
    BOOST_TEST(gru->weights()[0]->name() == "gru/gru_cell/kernel:0");
    const Tensor x = random_tensor({2, 4, 2}, 4);
    const Tensor y = (*gru)(x);
    const auto expected = reference_gru(x, k, r, b, reset_after);
    for (std::size_t i = 0; i < expected.size(); ++i)
      BOOST_TEST(std::abs(y.data<float>()[i] - expected[i]) < 1e-5f, "reset_after " << reset_after << " at " << i);
  }
}

BOOST_AUTO_TEST_CASE(config_round_trip) {
  const Json config = Json::parse(R"({"name": "gru", "trainable": true, "dtype": "float32",
    "return_sequences": false, "return_state": false, "go_backwards": false, "stateful": false,
    "unroll": false, "time_major": false, "units": 4, "activation": "tanh",
    "recurrent_activation": "sigmoid", "use_bias": true,
    "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": null}},
    "recurrent_initializer": {"class_name": "Orthogonal", "config": {"gain": 1.0, "seed": null}},
    "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": null,
    "recurrent_regularizer": null, "bias_regularizer": null, "activity_regularizer": null,
    "kernel_constraint": null, "recurrent_constraint": null, "bias_constraint": null, "dropout": 0.0,
    "recurrent_dropout": 0.0, "implementation": 2, "reset_after": true})");
  check_config_round_trip("GRU", config);
}

BOOST_AUTO_TEST_CASE(oracle_reset_after_false) {
  check_oracle_predict_case("gru_reset_after_false");
}

BOOST_AUTO_TEST_CASE(fdeep_fixture_stateless_and_stateful_second_call) {
  const auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "the real fixtures");
  const auto dir = *real / "fdeep_gru_toy_weights";
  const Tensors inputs{read_npy(dir / "expected/input_0.npy"), read_npy(dir / "expected/input_1.npy")};
  const Tensor first = read_npy(dir / "expected/output_0.npy");
  const Tensor second = read_npy(dir / "expected/output_0_stateful_second_call_tf2.1.npy");
  LoadOptions options;
  options.compile = false;
  ModelPtr stateless = load_model(dir / "temp_stateless.h5", options);
  const Tensor y = stateless->predict(inputs).at(0);
  BOOST_TEST(allclose(y, first, 1e-4, 1e-5), "stateless differs by " << max_abs_difference(y, first));
  ModelPtr stateful = load_model(dir / "temp_stateful.h5", options);
  const Tensor y1 = stateful->predict(inputs).at(0);
  const Tensor y2 = stateful->predict(inputs).at(0);
  BOOST_TEST(allclose(y1, first, 1e-4, 1e-5), "stateful first call differs by " << max_abs_difference(y1, first));
  BOOST_TEST(allclose(y2, second, 1e-4, 1e-5), "stateful second call differs by " << max_abs_difference(y2, second));
}

BOOST_AUTO_TEST_CASE(gradients_match_finite_differences) {
  for (bool reset_after : {true, false}) {
    Tensor k, r, b;
    LayerPtr gru = built_gru(reset_after, k, r, b);
    check_layer_gradients(reset_after ? "GRU reset_after" : "GRU reset_before", gru, random_tensor({1, 4, 2}, 5));
  }
}

BOOST_AUTO_TEST_CASE(weights_round_trip_through_every_format) {
  for (bool reset_after : {true, false}) {
    Tensor k, r, b;
    LayerPtr gru = built_gru(reset_after, k, r, b);
    KerasTensor in = Input(Shape{4, 2}, "x");
    const auto model = std::make_shared<Functional>(KerasTensors{in}, KerasTensors{(*gru)(in)});
    check_weight_round_trips(model, {random_tensor({2, 4, 2}, 11)}, reset_after ? "gru_reset_after" : "gru_reset_before");
  }
}
