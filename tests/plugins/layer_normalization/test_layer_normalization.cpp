// LayerNormalization plugin: per-sample normalization against the formula, the oracle case,
// axis lists, configs, gradients, weights through every format.
#define BOOST_TEST_MODULE layer_normalization
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "layer_zoo_support/layer_checks.hpp"

using namespace ksave;
using namespace ksave::test::zoo;

BOOST_AUTO_TEST_CASE(normalizes_each_sample) {
  LayerPtr ln = layer_from("LayerNormalization", {{"name", "layer_normalization"}});
  const Tensor x = random_tensor({2, 4}, 1, -2.0f, 3.0f);
  ln->build(Shape{kUnknown, 4});
  const Tensor gamma = random_tensor({4}, 2), beta = random_tensor({4}, 3);
  ln->set_weights({gamma, beta});
  BOOST_TEST(ln->weights()[0]->name() == "layer_normalization/gamma:0");
  const Tensor y = (*ln)(x);
  for (int n = 0; n < 2; ++n) {
    double m = 0, v = 0;
    for (int j = 0; j < 4; ++j) m += x.data<float>()[n * 4 + j];
    m /= 4;
    for (int j = 0; j < 4; ++j) v += std::pow(x.data<float>()[n * 4 + j] - m, 2);
    v /= 4;
    for (int j = 0; j < 4; ++j) {
      const double e = (x.data<float>()[n * 4 + j] - m) / std::sqrt(v + 1e-3) * gamma.data<float>()[j] + beta.data<float>()[j];
      BOOST_TEST(std::abs(y.data<float>()[n * 4 + j] - e) < 1e-5);
    }
  }
  check_layer_gradients("LayerNormalization", ln, x);
  KerasTensor in = Input(Shape{4}, "x");
  const auto model = std::make_shared<Functional>(KerasTensors{in}, KerasTensors{(*ln)(in)});
  check_weight_round_trips(model, {x}, "layer_normalization");
}

BOOST_AUTO_TEST_CASE(axis_list_and_config) {
  const Json config = Json::parse(R"({"name": "layer_normalization", "trainable": true, "dtype": "float32",
    "axis": [1, 2], "epsilon": 0.001, "center": true, "scale": true,
    "beta_initializer": {"class_name": "Zeros", "config": {}}, "gamma_initializer": {"class_name": "Ones", "config": {}},
    "beta_regularizer": null, "gamma_regularizer": null, "beta_constraint": null, "gamma_constraint": null})");
  check_config_round_trip("LayerNormalization", config);
  LayerPtr ln = layer_from("LayerNormalization", config);
  ln->build(Shape{kUnknown, 2, 3});
  BOOST_TEST(ln->weights()[0]->value().shape() == (Shape{2, 3}));
}

BOOST_AUTO_TEST_CASE(oracle_case) {
  check_oracle_predict_case("layer_normalization");
}
