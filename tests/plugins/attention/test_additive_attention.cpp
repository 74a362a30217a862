// AdditiveAttention: scores Σ scale · tanh(query + key) against loops, with a value mask; the
// scale weight's name and shape; configs of both generations; gradients; every format.
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "layer_zoo_support/layer_checks.hpp"
#include "self_attention.hpp"

using namespace ksave;
using namespace ksave::test::zoo;

BOOST_AUTO_TEST_CASE(additive_scores_with_a_value_mask) {
  LayerPtr att = layer_from("AdditiveAttention", {{"name", "additive_attention"}});
  const Tensor q = random_tensor({1, 2, 3}, 21), v = random_tensor({1, 4, 3}, 22);
  att->build(std::vector<Shape>{q.shape(), v.shape()});
  BOOST_TEST_REQUIRE(att->weights().size() == 1u);
  BOOST_TEST(att->weights()[0]->name() == "additive_attention/scale:0");
  BOOST_TEST(att->weights()[0]->shape() == (Shape{3}));
  const Tensor scale = random_tensor({3}, 23, 0.5f, 1.5f);
  att->set_weights({scale});
  const std::vector<bool> keep = {true, false, true, true};
  CallContext ctx;
  ctx.masks = {Tensor(), Tensor::from_vector<bool>(keep, {1, 4})};
  const Tensor y = (*att)(Tensors{q, v}, ctx).at(0);
  for (Dim i = 0; i < 2; ++i) {
    std::vector<double> s(4);
    double total = 0;
    for (Dim j = 0; j < 4; ++j) {
      for (Dim c = 0; c < 3; ++c)
        s[j] += scale.data<float>()[c] * std::tanh(q.data<float>()[i * 3 + c] + v.data<float>()[j * 3 + c]);
      total += (s[j] = keep[j] ? std::exp(s[j]) : 0.0);
    }
    for (Dim c = 0; c < 3; ++c) {
      double e = 0;
      for (Dim j = 0; j < 4; ++j) e += s[j] / total * v.data<float>()[j * 3 + c];
      BOOST_TEST(std::abs(y.data<float>()[i * 3 + c] - e) < 1e-5);
    }
  }
}

BOOST_AUTO_TEST_CASE(additive_configs_gradients_and_formats) {
  // tf-keras 2.21 and Keras 3.15 both write these keys.
  check_config_round_trip("AdditiveAttention", Json::parse(R"({"name": "additive_attention", "trainable": true,
    "dtype": "float32", "use_scale": true, "dropout": 0.0})"));
  check_config_round_trip("AdditiveAttention", Json::parse(R"({"name": "additive_attention_1", "trainable": true,
    "dtype": "float32", "use_scale": false, "dropout": 0.25})"));
  LayerPtr att = layer_from("AdditiveAttention", {{"name", "additive_attention"}});
  KerasTensor q = Input(Shape{2, 3}, "query"), v = Input(Shape{4, 3}, "value");
  const auto model = std::make_shared<Functional>(KerasTensors{q, v}, (*att)(KerasTensors{q, v}));
  check_weight_round_trips(model, {random_tensor({2, 2, 3}, 24), random_tensor({2, 4, 3}, 25)}, "additive_attention");
  check_layer_gradients("AdditiveAttention", std::make_shared<SelfAttention>(att), random_tensor({2, 2, 3}, 26));
}
