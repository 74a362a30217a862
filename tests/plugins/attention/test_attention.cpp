// Attention plugin: dot / scaled / concat scores against the formula on rank-3 inputs, rank-2
// inputs whose keys are the other samples of the batch, the value mask, the Keras 2.11 config of
// the dl4j fixture, gradients, weights through every format.
#define BOOST_TEST_MODULE attention
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "layer_zoo_support/layer_checks.hpp"
#include "self_attention.hpp"

using namespace ksave;
using namespace ksave::test::zoo;

namespace {

// softmax(q kᵀ * scale) v for one sample; q (Tq, d), k and v (Tv, d), row-major; keep masks keys.
std::vector<float> reference(const float* q, const float* k, const float* v, Dim tq, Dim tv, Dim d, float scale,
                             const std::vector<bool>& keep = {}) {
  std::vector<float> out(static_cast<std::size_t>(tq * d), 0.0f);
  for (Dim i = 0; i < tq; ++i) {
    std::vector<double> s(tv);
    double mx = -1e30;
    for (Dim j = 0; j < tv; ++j) {
      double dot = 0;
      for (Dim c = 0; c < d; ++c) dot += q[i * d + c] * k[j * d + c];
      s[j] = dot * scale - (keep.empty() || keep[j] ? 0.0 : 1e9);
      mx = std::max(mx, s[j]);
    }
    double total = 0;
    for (auto& e : s) total += (e = std::exp(e - mx));
    for (Dim j = 0; j < tv; ++j)
      for (Dim c = 0; c < d; ++c) out[i * d + c] += static_cast<float>(s[j] / total) * v[j * d + c];
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(dot_scores_on_sequences) {
  LayerPtr att = layer_from("Attention", {{"name", "attention"}, {"use_scale", true}});
  const Tensor q = random_tensor({2, 3, 4}, 1), v = random_tensor({2, 5, 4}, 2), k = random_tensor({2, 5, 4}, 3);
  att->build(std::vector<Shape>{q.shape(), v.shape(), k.shape()});
  att->set_weights({Tensor::scalar<float>(0.7f)});
  BOOST_TEST(att->weights()[0]->name() == "attention/scale:0");
  const Tensor y = (*att)(Tensors{q, v, k}).at(0);
  BOOST_TEST(y.shape() == (Shape{2, 3, 4}));
  for (Dim n = 0; n < 2; ++n) {
    const auto e = reference(q.data<float>() + n * 12, k.data<float>() + n * 20, v.data<float>() + n * 20, 3, 5, 4, 0.7f);
    for (std::size_t i = 0; i < e.size(); ++i) BOOST_TEST(std::abs(y.data<float>()[n * 12 + i] - e[i]) < 1e-5f);
  }
}

BOOST_AUTO_TEST_CASE(rank_2_inputs_attend_across_the_batch) {
  // As in dl4j_keras2110_attention_concat_newadam: Attention([dense, dense]) on (batch, dim).
  LayerPtr att = layer_from("Attention", Json::parse(R"({"name": "attention", "trainable": true, "dtype": "float32",
    "dropout": 0.2, "use_scale": false, "score_mode": "dot"})"));
  const Tensor x = random_tensor({4, 3}, 4);
  const Tensor y = (*att)(Tensors{x, x}).at(0);
  const auto e = reference(x.data<float>(), x.data<float>(), x.data<float>(), 4, 4, 3, 1.0f);
  for (std::size_t i = 0; i < e.size(); ++i) BOOST_TEST(std::abs(y.data<float>()[i] - e[i]) < 1e-5f);
  // Another batch gives other outputs for the same first sample.
  const Tensor y2 = (*att)(Tensors{x.slice_rows(0, 2), x.slice_rows(0, 2)}).at(0);
  BOOST_TEST(std::abs(y2.data<float>()[0] - y.data<float>()[0]) > 1e-6f);
}

BOOST_AUTO_TEST_CASE(value_mask_hides_keys) {
  LayerPtr att = layer_from("Attention", {{"name", "attention"}});
  const Tensor q = random_tensor({1, 2, 3}, 5), v = random_tensor({1, 4, 3}, 6);
  CallContext ctx;
  ctx.masks = {Tensor(), Tensor::from_vector<bool>({true, false, true, false}, {1, 4})};
  const Tensor y = (*att)(Tensors{q, v}, ctx).at(0);
  const auto e = reference(q.data<float>(), v.data<float>(), v.data<float>(), 2, 4, 3, 1.0f, {true, false, true, false});
  for (std::size_t i = 0; i < e.size(); ++i) BOOST_TEST(std::abs(y.data<float>()[i] - e[i]) < 1e-5f);
}

// With a concat score weight other than its initial 1 (real Keras's numbers for such weights:
// tests/interop/test_attention_scores.py).
BOOST_AUTO_TEST_CASE(concat_scores) {
  LayerPtr att = layer_from("Attention", {{"name", "attention"}, {"score_mode", "concat"}});
  const Tensor q = random_tensor({1, 2, 3}, 7), v = random_tensor({1, 3, 3}, 8);
  att->build(std::vector<Shape>{q.shape(), v.shape()});
  BOOST_TEST_REQUIRE(att->weights().size() == 1u);
  BOOST_TEST(att->weights()[0]->name() == "attention/concat_score_weight:0");
  constexpr float kWeight = -1.7f;
  att->set_weights({Tensor::scalar<float>(kWeight)});
  const Tensor y = (*att)(Tensors{q, v}).at(0);
  // scores[i][j] = concat_score_weight * Σ_c tanh(q_ic + v_jc)
  for (Dim i = 0; i < 2; ++i) {
    std::vector<double> s(3);
    double total = 0;
    for (Dim j = 0; j < 3; ++j) {
      for (Dim c = 0; c < 3; ++c) s[j] += std::tanh(q.data<float>()[i * 3 + c] + v.data<float>()[j * 3 + c]);
      total += (s[j] = std::exp(kWeight * s[j]));
    }
    for (Dim c = 0; c < 3; ++c) {
      double e = 0;
      for (Dim j = 0; j < 3; ++j) e += s[j] / total * v.data<float>()[j * 3 + c];
      BOOST_TEST(std::abs(y.data<float>()[i * 3 + c] - e) < 1e-5);
    }
  }
}

BOOST_AUTO_TEST_CASE(config_round_trip_and_gradients) {
  const Json config = Json::parse(R"({"name": "attention", "trainable": true, "dtype": "float32",
    "dropout": 0.2, "use_scale": false, "score_mode": "dot"})");
  check_config_round_trip("Attention", config);
  check_config_round_trip("Attention", Json::parse(R"({"name": "attention_old", "trainable": true,
    "dtype": "float32", "causal": false, "dropout": 0.0, "use_scale": true})"));
  // Gradient through query = value = key.
  LayerPtr att = layer_from("Attention", {{"name", "attention"}, {"use_scale", true}});
  check_layer_gradients("Attention", std::make_shared<SelfAttention>(att), random_tensor({2, 3, 2}, 9));
}

// Both of Attention's weights (the concat score weight and the scale) with values no initializer
// gives, in a model of two inputs.
BOOST_AUTO_TEST_CASE(weights_round_trip_through_every_format) {
  LayerPtr att = layer_from("Attention", {{"name", "attention"}, {"use_scale", true}, {"score_mode", "concat"}});
  KerasTensor q = Input(Shape{2, 3}, "query"), v = Input(Shape{3, 3}, "value");
  const auto model = std::make_shared<Functional>(KerasTensors{q, v}, (*att)(KerasTensors{q, v}));
  std::vector<Tensor> values;
  unsigned seed = 20;
  for (const auto& w : att->weights()) values.push_back(random_tensor(w->shape(), seed++, 0.5f, 1.5f));
  att->set_weights(values);
  check_weight_round_trips(model, {random_tensor({2, 2, 3}, 7), random_tensor({2, 3, 3}, 8)}, "attention");
}
