// RMSNormalization (Keras 3.15): values against x · rsqrt(mean(x²) + epsilon) · scale written out,
// the axis list, Keras 3's config (the axis a list once built), gradients, weights through every
// format, and the refusal of axes whose scale Keras could not broadcast. The interop suite
// compares with real Keras 3 (models.py, "rms_normalization").
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "layer_zoo_support/layer_checks.hpp"

using namespace ksave;
using namespace ksave::test::zoo;

BOOST_AUTO_TEST_CASE(rms_normalizes_each_sample) {
  LayerPtr rms = layer_from("RMSNormalization", {{"name", "rms_normalization"}, {"epsilon", 1e-3}});
  const Tensor x = random_tensor({2, 3, 4}, 1, -2.0f, 3.0f);
  rms->build(Shape{kUnknown, 3, 4});
  BOOST_REQUIRE(rms->weights().size() == 1u);
  BOOST_TEST(rms->weights()[0]->name() == "rms_normalization/scale:0");
  BOOST_TEST(rms->weights()[0]->value().shape() == (Shape{4}));
  const Tensor scale = random_tensor({4}, 2);
  rms->set_weights({scale});
  const Tensor y = (*rms)(x);
  for (int row = 0; row < 6; ++row) {
    const float* v = x.data<float>() + row * 4;
    double mean_square = 0;
    for (int j = 0; j < 4; ++j) mean_square += double(v[j]) * v[j] / 4;
    for (int j = 0; j < 4; ++j) {
      const double e = v[j] / std::sqrt(mean_square + 1e-3) * scale.data<float>()[j];
      BOOST_TEST(std::abs(y.data<float>()[row * 4 + j] - e) < 1e-5);
    }
  }
  check_layer_gradients("RMSNormalization", rms, x);
  KerasTensor in = Input(Shape{3, 4}, "x");
  const auto model = std::make_shared<Functional>(KerasTensors{in}, KerasTensors{(*rms)(in)});
  check_weight_round_trips(model, {x}, "rms_normalization");
}

BOOST_AUTO_TEST_CASE(axis_list_over_the_trailing_axes) {
  LayerPtr rms = layer_from("RMSNormalization", {{"name", "rms"}, {"axis", {2, 1}}});
  rms->build(Shape{kUnknown, 2, 3});
  BOOST_TEST(rms->weights()[0]->value().shape() == (Shape{2, 3}));
  const Tensor x = random_tensor({2, 2, 3}, 4);
  rms->set_weights({random_tensor({2, 3}, 5)});
  const Tensor y = (*rms)(x);
  for (int n = 0; n < 2; ++n) {
    double mean_square = 0;
    for (int j = 0; j < 6; ++j) mean_square += std::pow(x.data<float>()[n * 6 + j], 2) / 6;
    for (int j = 0; j < 6; ++j) {
      const double e = x.data<float>()[n * 6 + j] / std::sqrt(mean_square + 1e-6) * rms->get_weights()[0].data<float>()[j];
      BOOST_TEST(std::abs(y.data<float>()[n * 6 + j] - e) < 1e-5);
    }
  }
  check_layer_gradients("RMSNormalization axis [1, 2]", rms, x);
  BOOST_TEST(rms->get_config()["axis"] == Json::array({1, 2}));  // sorted, as Keras 3
}

BOOST_AUTO_TEST_CASE(keras3_config) {
  const Json config = Json::parse(R"({"name": "rms_normalization", "trainable": true, "dtype": "float32",
    "axis": [-1], "epsilon": 1e-06})");
  check_config_round_trip("RMSNormalization", config);
  // An int axis comes back as Keras 3 writes it: unchanged before build, a list after.
  LayerPtr rms = layer_from("RMSNormalization", {{"axis", -1}});
  BOOST_TEST(rms->get_config()["axis"] == Json(-1));
  rms->build(Shape{kUnknown, 4});
  BOOST_TEST(rms->get_config()["axis"] == Json::array({-1}));
}

BOOST_AUTO_TEST_CASE(refuses_a_scale_keras_cannot_broadcast) {
  try {
    layer_from("RMSNormalization", {{"name", "rms"}, {"axis", 1}})->build(Shape{kUnknown, 3, 4});
    BOOST_ERROR("axis 1 of (None, 3, 4) was taken");
  } catch (const Error& e) {
    BOOST_TEST(std::string(e.what()).find("layer 'rms' (RMSNormalization): axis [1] gives a scale of shape") !=
               std::string::npos, e.what());
  }
  BOOST_CHECK_THROW(layer_from("RMSNormalization", {{"axis", 3}})->build(Shape{kUnknown, 4}), Error);
}
