// GroupedQueryAttention (keras.layers.GroupQueryAttention): against MultiHeadAttention given the same weights with each key/value
// head repeated for its group of query heads (what grouped-query attention is), with the causal
// mask and the scores; Keras 3's weight names and shapes; the config in Keras 3.15's order and
// the refusals; gradients; weights through every format. The interop suite (models.py's
// group_query_attention) compares with real Keras 3.15, gate and sliding window included.
#include <boost/test/unit_test.hpp>

#include "layer_zoo_support/layer_checks.hpp"
#include "self_attention.hpp"

using namespace ksave;
using namespace ksave::test::zoo;

namespace {

constexpr Dim kHeadDim = 3, kQueryHeads = 4, kSharedHeads = 2;

LayerPtr grouped(Json extra = Json::object()) {
  Json config = {{"name", "gqa"}, {"head_dim", kHeadDim}, {"num_query_heads", kQueryHeads},
                 {"num_key_value_heads", kSharedHeads}};
  config.update(extra);
  return layer_from("GroupQueryAttention", config);
}

// (…, shared heads, size) → (…, query heads, size), each head repeated in place.
Tensor repeat_heads(const Tensor& t, Dim heads_axis) {
  const Dim repeats = kQueryHeads / kSharedHeads;
  std::vector<Tensor> parts;
  for (const Tensor& head : ops::unstack(t, heads_axis))
    for (Dim r = 0; r < repeats; ++r) parts.push_back(head);
  return ops::stack(parts, heads_axis);
}

}  // namespace

BOOST_AUTO_TEST_CASE(gqa_is_multi_head_attention_with_shared_key_value_heads) {
  const Tensor q = random_tensor({2, 4, 6}, 1), v = random_tensor({2, 5, 6}, 2), k = random_tensor({2, 5, 6}, 3);
  LayerPtr gqa = grouped();
  LayerPtr mha = layer_from("MultiHeadAttention", {{"name", "mha"}, {"num_heads", kQueryHeads}, {"key_dim", kHeadDim}});
  (*gqa)(Tensors{q, v, k});
  (*mha)(Tensors{q, v, k});
  std::vector<Tensor> w;
  for (std::size_t i = 0; i < gqa->weights().size(); ++i) w.push_back(random_tensor(gqa->weights()[i]->shape(), 10 + static_cast<unsigned>(i)));
  gqa->set_weights(w);
  std::vector<Tensor> as_mha = w;
  for (std::size_t i : {2u, 4u}) as_mha[i] = repeat_heads(w[i], 1);  // key and value kernels (dim, heads, size)
  for (std::size_t i : {3u, 5u}) as_mha[i] = repeat_heads(w[i], 0);  // their biases (heads, size)
  mha->set_weights(as_mha);
  const Json kwargs = {{"use_causal_mask", true}, {"return_attention_scores", true}};
  CallContext ctx;
  ctx.kwargs = &kwargs;
  const Tensors expected = (*mha)(Tensors{q, v, k}, ctx), got = (*gqa)(Tensors{q, v, k}, ctx);
  BOOST_TEST_REQUIRE(got.size() == 2u);
  BOOST_TEST(got[0].shape() == (Shape{2, 4, 6}));
  BOOST_TEST(got[1].shape() == (Shape{2, kQueryHeads, 4, 5}));
  BOOST_TEST(max_abs_difference(got[0], expected[0]) < 1e-5);
  BOOST_TEST(max_abs_difference(got[1], expected[1]) < 1e-6);
}

BOOST_AUTO_TEST_CASE(gqa_weights_have_keras3_names_and_shapes) {
  LayerPtr gqa = grouped({{"use_gate", true}});
  (*gqa)(Tensors{random_tensor({1, 2, 5}, 1), random_tensor({1, 3, 5}, 2)});
  std::vector<std::pair<std::string, Shape>> seen;
  for (const auto& w : gqa->weights()) seen.emplace_back(w->name(), w->shape());
  const std::vector<std::pair<std::string, Shape>> expected = {
      {"gqa/query/kernel:0", {5, 4, 3}}, {"gqa/query/bias:0", {4, 3}},
      {"gqa/key/kernel:0", {5, 2, 3}},   {"gqa/key/bias:0", {2, 3}},
      {"gqa/gate/kernel:0", {5, 4, 3}},  {"gqa/gate/bias:0", {4, 3}},
      {"gqa/value/kernel:0", {5, 2, 3}}, {"gqa/value/bias:0", {2, 3}},
      {"gqa/attention_output/kernel:0", {4, 3, 5}}, {"gqa/attention_output/bias:0", {5}}};
  BOOST_TEST_REQUIRE(seen.size() == expected.size());
  for (std::size_t i = 0; i < seen.size(); ++i) {
    BOOST_TEST(seen[i].first == expected[i].first);
    BOOST_TEST(seen[i].second == expected[i].second, seen[i].first);
  }
}

BOOST_AUTO_TEST_CASE(gqa_config_is_keras3s_and_bad_head_counts_are_refused) {
  check_config_round_trip("GroupQueryAttention", Json::parse(R"({"name": "grouped_query_attention", "trainable": true,
    "dtype": "float32", "head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2, "use_bias": true,
    "use_gate": false, "sliding_window": 3, "dropout": 0.1,
    "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": null}},
    "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": null, "bias_regularizer": null,
    "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null, "seed": 7})"));
  std::vector<std::string> keys;
  const Json config = grouped()->get_config();
  for (const auto& [key, _] : config.items()) keys.push_back(key);
  const std::vector<std::string> keras3 = {"name", "trainable", "dtype", "head_dim", "num_query_heads",
                                           "num_key_value_heads", "use_bias", "use_gate", "sliding_window", "dropout",
                                           "kernel_initializer", "bias_initializer", "kernel_regularizer",
                                           "bias_regularizer", "activity_regularizer", "kernel_constraint",
                                           "bias_constraint", "seed"};
  BOOST_TEST(keys == keras3, boost::test_tools::per_element());
  BOOST_CHECK_THROW(grouped({{"num_key_value_heads", 3}}), Error);  // 4 query heads do not split into 3 groups
  BOOST_CHECK_THROW(grouped({{"sliding_window", 0}}), Error);
  BOOST_CHECK_THROW(layer_from("GroupQueryAttention", {{"head_dim", 2}, {"num_query_heads", 2}}), Error);
  // Keras 3 writes the exported name into config.json, the class's into its legacy .h5.
  BOOST_TEST(make_layer("GroupQueryAttention", {{"head_dim", 2}, {"num_query_heads", 2}, {"num_key_value_heads", 1}})
                 ->class_name() == "GroupedQueryAttention");
}

BOOST_AUTO_TEST_CASE(gqa_gradients_match_finite_differences) {
  LayerPtr gqa = grouped({{"use_gate", true}, {"sliding_window", 2}});
  const Tensor x = random_tensor({2, 3, 4}, 11);
  auto wrapper = std::make_shared<SelfAttention>(gqa);
  (*wrapper)(x);
  check_layer_gradients("GroupQueryAttention", wrapper, x);
}

BOOST_AUTO_TEST_CASE(gqa_weights_round_trip_through_every_format) {
  LayerPtr gqa = grouped({{"use_gate", true}});
  KerasTensor q = Input(Shape{3, 5}, "query"), v = Input(Shape{4, 5}, "value");
  const auto model = std::make_shared<Functional>(KerasTensors{q, v}, (*gqa)(KerasTensors{q, v}));
  check_weight_round_trips(model, {random_tensor({2, 3, 5}, 12), random_tensor({2, 4, 5}, 13)}, "group_query_attention");
}
