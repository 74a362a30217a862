// SimpleRNN plugin: oracle sequences case, a plain loop, Keras 1 config, gradients, weights through every format.
#define BOOST_TEST_MODULE simple_rnn
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "layer_zoo_support/layer_checks.hpp"

using namespace ksave;
using namespace ksave::test::zoo;

namespace {

LayerPtr built_rnn(const Json& extra, Tensor& k, Tensor& r, Tensor& b) {
  Json c = {{"name", "simple_rnn"}, {"units", 3}};
  for (auto it = extra.begin(); it != extra.end(); ++it) c[it.key()] = it.value();
  LayerPtr rnn = layer_from("SimpleRNN", c);
  rnn->build(Shape{kUnknown, 4, 2});
  k = random_tensor({2, 3}, 1);
  r = random_tensor({3, 3}, 2);
  b = random_tensor({3}, 3);
  rnn->set_weights({k, r, b});
  return rnn;
}

}  // namespace

BOOST_AUTO_TEST_CASE(matches_a_plain_loop) {
  Tensor k, r, b;
  LayerPtr rnn = built_rnn({{"activation", "relu"}}, k, r, b);
  BOOST_TEST(rnn->weights()[1]->name() == "simple_rnn/simple_rnn_cell/recurrent_kernel:0");
  const Tensor x = random_tensor({2, 4, 2}, 4);
  const Tensor y = (*rnn)(x);
  for (Dim n = 0; n < 2; ++n) {
    std::vector<float> h(3, 0.0f);
    for (Dim t = 0; t < 4; ++t) {
      std::vector<float> next(3);
      for (int u = 0; u < 3; ++u) {
        float v = b.data<float>()[u];
        for (int f = 0; f < 2; ++f) v += x.data<float>()[(n * 4 + t) * 2 + f] * k.data<float>()[f * 3 + u];
        for (int j = 0; j < 3; ++j) v += h[j] * r.data<float>()[j * 3 + u];
        next[u] = std::max(v, 0.0f);
      }
      h = next;
    }
    for (int u = 0; u < 3; ++u) BOOST_TEST(std::abs(y.data<float>()[n * 3 + u] - h[u]) < 1e-5f);
  }
}

BOOST_AUTO_TEST_CASE(oracle_sequences_case) {
  check_oracle_predict_case("simple_rnn_sequences");
}

BOOST_AUTO_TEST_CASE(configs) {
  const Json config = Json::parse(R"({"name": "simple_rnn", "trainable": true, "dtype": "float32",
    "return_sequences": true, "return_state": false, "go_backwards": false, "stateful": false,
    "unroll": false, "time_major": false, "units": 4, "activation": "tanh", "use_bias": false,
    "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": null}},
    "recurrent_initializer": {"class_name": "Orthogonal", "config": {"gain": 1.0, "seed": null}},
    "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": null,
    "recurrent_regularizer": null, "bias_regularizer": null, "activity_regularizer": null,
    "kernel_constraint": null, "recurrent_constraint": null, "bias_constraint": null, "dropout": 0.0,
    "recurrent_dropout": 0.0})");
  check_config_round_trip("SimpleRNN", config);
  LayerPtr no_bias = layer_from("SimpleRNN", config);
  no_bias->build(Shape{kUnknown, 2, 3});
  BOOST_TEST(no_bias->weights().size() == 2u);
  const Json k1 = layer_from("SimpleRNN", Json::parse(R"({"name": "rnn1", "output_dim": 6, "init": "glorot_uniform",
    "inner_init": "orthogonal", "activation": "tanh", "dropout_W": 0.0, "dropout_U": 0.0})"))->get_config();
  BOOST_TEST(k1["units"] == 6);
}

BOOST_AUTO_TEST_CASE(gradients_match_finite_differences) {
  Tensor k, r, b;
  LayerPtr rnn = built_rnn({{"return_sequences", true}}, k, r, b);
  check_layer_gradients("SimpleRNN", rnn, random_tensor({2, 4, 2}, 6));
}

BOOST_AUTO_TEST_CASE(weights_round_trip_through_every_format) {
  Tensor k, r, b;
  LayerPtr rnn = built_rnn({}, k, r, b);
  KerasTensor in = Input(Shape{4, 2}, "x");
  const auto model = std::make_shared<Functional>(KerasTensors{in}, KerasTensors{(*rnn)(in)});
  check_weight_round_trips(model, {random_tensor({2, 4, 2}, 11)}, "simple_rnn");
}
