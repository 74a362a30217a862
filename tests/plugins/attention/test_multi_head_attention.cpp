// MultiHeadAttention: values against the formula written out with loops (projections, scaled
// scores per head, masks combined as Keras's _compute_attention_mask, softmax, output
// projection), Keras's weight names and shapes, both config dialects, gradients, and weights
// through every format in a model called as tf-keras records the call. The interop suite
// (tests/interop/test_attention_layers.py) compares with real tf-keras 2.21 and Keras 3.15.
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "layer_zoo_support/layer_checks.hpp"
#include "self_attention.hpp"

using namespace ksave;
using namespace ksave::test::zoo;

namespace {

constexpr Dim kHeads = 2, kKeyDim = 3, kValueDim = 4;

// x (steps, in) · kernel (in, heads, size) + bias (heads, size) → (steps, heads, size), flat.
std::vector<double> project(const float* x, Dim steps, Dim in, const Tensor& kernel, const Tensor& bias, Dim size) {
  std::vector<double> out(static_cast<std::size_t>(steps * kHeads * size));
  for (Dim t = 0; t < steps; ++t)
    for (Dim h = 0; h < kHeads; ++h)
      for (Dim s = 0; s < size; ++s) {
        double sum = bias.data<float>()[h * size + s];
        for (Dim c = 0; c < in; ++c) sum += x[t * in + c] * kernel.data<float>()[(c * kHeads + h) * size + s];
        out[(t * kHeads + h) * size + s] = sum;
      }
  return out;
}

struct Expected {
  std::vector<double> output, scores;  // (Tq, units) and (heads, Tq, Tk) of one sample
};

// One sample; keep(i, j) says whether query step i may attend to key step j.
template <typename Keep>
Expected reference(const std::vector<Tensor>& w, const float* q, const float* v, const float* k, Dim tq, Dim tk,
                   Dim dq, Dim dv, Dim dk, Keep keep) {
  const auto pq = project(q, tq, dq, w[0], w[1], kKeyDim), pk = project(k, tk, dk, w[2], w[3], kKeyDim),
             pv = project(v, tk, dv, w[4], w[5], kValueDim);
  const Dim units = w[7].dim(0);
  Expected e{std::vector<double>(static_cast<std::size_t>(tq * units)), {}};
  for (Dim i = 0; i < tq; ++i) {
    for (Dim c = 0; c < units; ++c) e.output[i * units + c] = w[7].data<float>()[c];
    for (Dim h = 0; h < kHeads; ++h) {
      std::vector<double> s(tk);
      double mx = -1e300, total = 0;
      for (Dim j = 0; j < tk; ++j) {
        double dot = 0;
        for (Dim d = 0; d < kKeyDim; ++d) dot += pq[(i * kHeads + h) * kKeyDim + d] * pk[(j * kHeads + h) * kKeyDim + d];
        // As Keras 3 (where) and, in float32, tf-keras (adding -1e9): a hidden score is -1e9, so
        // a query step that sees no key attends to all alike.
        s[j] = keep(i, j) ? dot / std::sqrt(double(kKeyDim)) : -1e9;
        mx = std::max(mx, s[j]);
      }
      for (auto& x : s) total += (x = std::exp(x - mx));
      for (Dim j = 0; j < tk; ++j) {
        s[j] /= total;
        e.scores.push_back(s[j]);
      }
      for (Dim d = 0; d < kValueDim; ++d) {
        double attended = 0;
        for (Dim j = 0; j < tk; ++j) attended += s[j] * pv[(j * kHeads + h) * kValueDim + d];
        for (Dim c = 0; c < units; ++c) e.output[i * units + c] += attended * w[6].data<float>()[(h * kValueDim + d) * units + c];
      }
    }
  }
  // scores were pushed per (query step, head): reorder to (head, Tq, Tk).
  std::vector<double> by_head(e.scores.size());
  for (Dim i = 0; i < tq; ++i)
    for (Dim h = 0; h < kHeads; ++h)
      for (Dim j = 0; j < tk; ++j) by_head[(h * tq + i) * tk + j] = e.scores[(i * kHeads + h) * tk + j];
  e.scores = by_head;
  return e;
}

LayerPtr attention_layer(const Json& extra = Json::object()) {
  Json config = {{"name", "multi_head_attention"}, {"num_heads", kHeads}, {"key_dim", kKeyDim}, {"value_dim", kValueDim}};
  config.update(extra);
  return layer_from("MultiHeadAttention", config);
}

// Weights no initializer gives, set after a first call built the layer.
std::vector<Tensor> distinct_weights(Layer& layer) {
  std::vector<Tensor> values;
  unsigned seed = 40;
  for (const auto& w : layer.weights()) values.push_back(random_tensor(w->shape(), seed++, -0.8f, 0.8f));
  layer.set_weights(values);
  return values;
}

void check_close(const Tensor& got, const std::vector<double>& expected, std::size_t offset, const std::string& what) {
  for (std::size_t i = 0; i < expected.size(); ++i)
    BOOST_TEST(std::abs(got.data<float>()[offset + i] - expected[i]) < 2e-5, what << " [" << i << "]");
}

}  // namespace

BOOST_AUTO_TEST_CASE(mha_weights_have_keras_names_and_shapes) {
  LayerPtr mha = attention_layer();
  (*mha)(Tensors{random_tensor({1, 2, 5}, 1), random_tensor({1, 3, 6}, 2), random_tensor({1, 3, 7}, 3)});
  const std::vector<std::pair<std::string, Shape>> expected = {
      {"multi_head_attention/query/kernel:0", {5, kHeads, kKeyDim}},
      {"multi_head_attention/query/bias:0", {kHeads, kKeyDim}},
      {"multi_head_attention/key/kernel:0", {7, kHeads, kKeyDim}},
      {"multi_head_attention/key/bias:0", {kHeads, kKeyDim}},
      {"multi_head_attention/value/kernel:0", {6, kHeads, kValueDim}},
      {"multi_head_attention/value/bias:0", {kHeads, kValueDim}},
      {"multi_head_attention/attention_output/kernel:0", {kHeads, kValueDim, 5}},
      {"multi_head_attention/attention_output/bias:0", {5}}};
  BOOST_TEST_REQUIRE(mha->weights().size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    BOOST_TEST(mha->weights()[i]->name() == expected[i].first);
    BOOST_TEST(mha->weights()[i]->shape() == expected[i].second);
  }
  std::vector<std::string> attributes;
  for (const auto& [attribute, layer] : mha->tracked_layers()) attributes.push_back(attribute);
  BOOST_TEST(attributes == (std::vector<std::string>{"_query_dense", "_key_dense", "_value_dense", "_output_dense"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(mha_matches_the_formula_with_an_attention_mask_and_scores) {
  LayerPtr mha = attention_layer({{"output_shape", 2}});
  const Tensor q = random_tensor({2, 3, 5}, 4), v = random_tensor({2, 4, 6}, 5), k = random_tensor({2, 4, 7}, 6);
  (*mha)(Tensors{q, v, k});
  const std::vector<Tensor> w = distinct_weights(*mha);
  std::vector<bool> keep(2 * 3 * 4);
  for (std::size_t i = 0; i < keep.size(); ++i) keep[i] = (i * 7) % 5 != 0;
  const Tensor mask = Tensor::from_vector<bool>(keep, {2, 3, 4});
  const Json kwargs = {{"return_attention_scores", true}};
  CallContext ctx;
  ctx.kwargs = &kwargs;
  const Tensors out = (*mha)(Tensors{q, v, k, mask}, ctx);
  BOOST_TEST_REQUIRE(out.size() == 2u);
  BOOST_TEST(out[0].shape() == (Shape{2, 3, 2}));
  BOOST_TEST(out[1].shape() == (Shape{2, kHeads, 3, 4}));
  for (Dim n = 0; n < 2; ++n) {
    const Expected e = reference(w, q.data<float>() + n * 15, v.data<float>() + n * 24, k.data<float>() + n * 28, 3, 4,
                                 5, 6, 7, [&](Dim i, Dim j) { return keep[static_cast<std::size_t>(n * 12 + i * 4 + j)]; });
    check_close(out[0], e.output, static_cast<std::size_t>(n * 6), "output");
    check_close(out[1], e.scores, static_cast<std::size_t>(n * 24), "scores");
  }
}

BOOST_AUTO_TEST_CASE(mha_combines_causal_and_keras_masks) {
  LayerPtr mha = attention_layer();
  const Tensor x = random_tensor({1, 4, 5}, 7);
  (*mha)(Tensors{x, x});
  const std::vector<Tensor> w = distinct_weights(*mha);
  const std::vector<bool> steps = {true, true, false, true};
  const Json kwargs = {{"use_causal_mask", true}, {"return_attention_scores", true}};
  CallContext ctx;
  ctx.kwargs = &kwargs;
  ctx.masks = {Tensor::from_vector<bool>(steps, {1, 4}), Tensor::from_vector<bool>(steps, {1, 4})};
  const Tensors out = (*mha)(Tensors{x, x}, ctx);
  const Expected e = reference(w, x.data<float>(), x.data<float>(), x.data<float>(), 4, 4, 5, 5, 5,
                               [&](Dim i, Dim j) { return steps[i] && steps[j] && j <= i; });
  check_close(out[0], e.output, 0, "output");
  check_close(out[1], e.scores, 0, "scores");
}

BOOST_AUTO_TEST_CASE(mha_reads_tf_keras_calls_with_keyword_tensors) {
  // tf-keras records mha(query, value=v, key=k, attention_mask=m) with the query first and the
  // rest as keywords; the loader flattens them in key order: attention_mask, key, value.
  LayerPtr mha = attention_layer();
  const Tensor q = random_tensor({1, 2, 5}, 8), v = random_tensor({1, 3, 6}, 9), k = random_tensor({1, 3, 7}, 10);
  const Tensor mask = Tensor::from_vector<bool>({true, false, true, true, true, false}, {1, 2, 3});
  const Tensor direct = (*mha)(Tensors{q, v, k, mask}).at(0);
  const Json kwargs = Json::parse(R"({"_ksave_args": {"_ksave_input": 0}, "attention_mask": {"_ksave_input": 1},
                                      "key": {"_ksave_input": 2}, "value": {"_ksave_input": 3}})");
  CallContext ctx;
  ctx.kwargs = &kwargs;
  const Tensor keyword = (*mha)(Tensors{q, mask, k, v}, ctx).at(0);
  BOOST_TEST(keyword.shape() == direct.shape());
  for (std::int64_t i = 0; i < direct.size(); ++i) BOOST_TEST(keyword.data<float>()[i] == direct.data<float>()[i]);
  BOOST_CHECK_THROW((*mha)(Tensors{q}), Error);
}

BOOST_AUTO_TEST_CASE(mha_configs_of_both_generations_round_trip) {
  // As tf-keras 2.21 writes it (get_config of a built layer).
  check_config_round_trip("MultiHeadAttention", Json::parse(R"({"name": "mha", "trainable": true, "dtype": "float32",
    "num_heads": 2, "key_dim": 4, "value_dim": 4, "dropout": 0.1, "use_bias": true, "output_shape": null,
    "attention_axes": [1], "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": null}},
    "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": null, "bias_regularizer": null,
    "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null,
    "query_shape": [null, 5, 8], "key_shape": [null, 5, 8], "value_shape": [null, 5, 8],
    "softmax_robust_masking": false})"));
  // As Keras 3.15 writes it.
  check_config_round_trip("MultiHeadAttention", Json::parse(R"({"name": "mha", "trainable": true, "dtype": "float32",
    "num_heads": 2, "key_dim": 4, "value_dim": 4, "dropout": 0.0, "use_bias": false, "use_gate": false,
    "output_shape": [6], "attention_axes": null, "sliding_window": null,
    "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": null}},
    "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": null, "bias_regularizer": null,
    "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null, "seed": 3})"));
  BOOST_CHECK_THROW(attention_layer({{"attention_axes", Json::array({2})}}), Error);
  BOOST_CHECK_THROW(attention_layer({{"use_gate", true}}), Error);
  BOOST_CHECK_THROW(layer_from("MultiHeadAttention", {{"key_dim", 2}}), Error);
}

BOOST_AUTO_TEST_CASE(mha_gradients_match_finite_differences) {
  LayerPtr mha = attention_layer();
  const Tensor x = random_tensor({2, 3, 4}, 11);
  auto wrapper = std::make_shared<SelfAttention>(mha);
  (*wrapper)(x);
  check_layer_gradients("MultiHeadAttention", wrapper, x);
}

BOOST_AUTO_TEST_CASE(mha_weights_round_trip_through_every_format) {
  LayerPtr mha = attention_layer();
  KerasTensor q = Input(Shape{3, 5}, "query"), v = Input(Shape{4, 6}, "value");
  const auto model = std::make_shared<Functional>(KerasTensors{q, v}, (*mha)(KerasTensors{q, v}));
  check_weight_round_trips(model, {random_tensor({2, 3, 5}, 12), random_tensor({2, 4, 6}, 13)}, "multi_head_attention");
}
