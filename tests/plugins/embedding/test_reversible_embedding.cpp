// ReversibleEmbedding: forwards it is Embedding (mask_zero's mask included); a reverse=True call
// projects features with embeddingsᵀ (tied) or reverse_embeddings, soft-capped, and makes no
// mask; reverse_dtype rounds; the config in Keras 3.15's order; gradients; weights through every
// format, the reverse call recorded in the model. The interop suite (models.py's
// reversible_embedding) compares with real Keras 3.15.
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "layer_zoo_support/layer_checks.hpp"

using namespace ksave;
using namespace ksave::test::zoo;

namespace {

LayerPtr reversible(Json extra = Json::object()) {
  Json config = {{"name", "tok"}, {"input_dim", 5}, {"output_dim", 3}};
  config.update(extra);
  LayerPtr e = layer_from("ReversibleEmbedding", config);
  e->build(Shape{kUnknown, 4});
  std::vector<Tensor> w;
  for (std::size_t i = 0; i < e->weights().size(); ++i) w.push_back(random_tensor(e->weights()[i]->shape(), 1 + static_cast<unsigned>(i)));
  e->set_weights(w);
  return e;
}

Tensor reverse_call(const LayerPtr& e, const Tensor& x) {
  static const Json kwargs = {{"reverse", true}};
  CallContext ctx;
  ctx.kwargs = &kwargs;
  return (*e)(Tensors{x}, ctx).at(0);
}

// x (rows, output_dim) · kernel (output_dim, input_dim), written out.
std::vector<float> product(const Tensor& x, const Tensor& kernel) {
  const Dim rows = x.dim(0), inner = x.dim(1), cols = kernel.dim(1);
  std::vector<float> out(static_cast<std::size_t>(rows * cols));
  for (Dim r = 0; r < rows; ++r)
    for (Dim c = 0; c < cols; ++c) {
      double sum = 0;
      for (Dim i = 0; i < inner; ++i) sum += x.data<float>()[r * inner + i] * kernel.data<float>()[i * cols + c];
      out[static_cast<std::size_t>(r * cols + c)] = static_cast<float>(sum);
    }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(forwards_it_is_embedding_with_its_mask) {
  LayerPtr e = reversible({{"mask_zero", true}});
  const Tensor ids = Tensor::from_vector<std::int32_t>({3, 0, 1, 0}, {1, 4});
  BOOST_TEST(max_abs_difference((*e)(ids), ops::gather(e->get_weights()[0], ids, 0)) == 0.0);
  const auto masks = e->compute_mask({ids}, {}, 1);
  BOOST_TEST_REQUIRE(masks.at(0).defined());
  BOOST_TEST(masks[0].cast(DType::Float32).to_vector<float>() == (std::vector<float>{1, 0, 1, 0}),
             boost::test_tools::per_element());
  // The reverse call's input (features) gets no mask.
  BOOST_TEST(!e->compute_mask({random_tensor({1, 4, 3}, 9)}, {}, 1).at(0).defined());
}

BOOST_AUTO_TEST_CASE(reverse_projects_with_the_tied_or_own_kernel_and_caps) {
  const Tensor x = random_tensor({2, 3}, 7, -3.0f, 3.0f);
  LayerPtr tied = reversible();
  BOOST_TEST(tied->weights().size() == 1u);
  const Tensor embeddings_t = ops::transpose(tied->get_weights()[0], {1, 0});
  const std::vector<float> tied_logits = reverse_call(tied, x).to_vector<float>();
  const std::vector<float> expected_tied = product(x, embeddings_t);
  BOOST_TEST(tied_logits == expected_tied, boost::test_tools::tolerance(1e-5f) << boost::test_tools::per_element());

  LayerPtr own = reversible({{"tie_weights", false}, {"logit_soft_cap", 0.5}});
  BOOST_TEST_REQUIRE(own->weights().size() == 2u);
  BOOST_TEST(own->weights()[1]->name() == "tok/reverse_embeddings:0");
  BOOST_TEST(own->weights()[1]->shape() == (Shape{3, 5}));
  std::vector<float> expected = product(x, own->get_weights()[1]);
  for (float& v : expected) v = static_cast<float>(0.5 * std::tanh(v / 0.5));
  const Tensor logits = reverse_call(own, ops::reshape(x, {2, 1, 3}));
  BOOST_TEST(logits.shape() == (Shape{2, 1, 5}));
  BOOST_TEST(logits.to_vector<float>() == expected, boost::test_tools::tolerance(1e-5f) << boost::test_tools::per_element());

  // bfloat16 keeps 8 bits of mantissa: the logits move, by less than that rounding.
  const Tensor rounded = reverse_call(reversible({{"reverse_dtype", "bfloat16"}}), x);
  BOOST_TEST(max_abs_difference(rounded, Tensor::from_vector<float>(expected_tied, {2, 5})) < 0.05);
  BOOST_CHECK_THROW(reverse_call(tied, random_tensor({2, 4}, 3)), Error);
}

BOOST_AUTO_TEST_CASE(reversible_config_is_keras3s) {
  check_config_round_trip("ReversibleEmbedding", Json::parse(R"({"name": "tok", "trainable": true, "dtype": "float32",
    "input_dim": 11, "output_dim": 4,
    "embeddings_initializer": {"class_name": "RandomUniform", "config": {"minval": -0.05, "maxval": 0.05, "seed": null}},
    "embeddings_regularizer": null, "activity_regularizer": null, "embeddings_constraint": null, "mask_zero": true,
    "tie_weights": false, "reverse_dtype": null, "logit_soft_cap": 2.0})"));
  BOOST_CHECK_THROW(reversible({{"reverse_dtype", "int8"}}), Error);
  BOOST_CHECK_THROW(reversible({{"logit_soft_cap", -1.0}}), Error);
}

BOOST_AUTO_TEST_CASE(reverse_gradients_match_finite_differences) {
  LayerPtr own = reversible({{"tie_weights", false}, {"logit_soft_cap", 2.0}});
  const auto forward = [&](const std::vector<Tensor>& in) { return reverse_call(own, in[0]); };
  const auto analytic = [&](const std::vector<Tensor>& in, const Tensor&, const Tensor& dy) {
    GradientTape tape;
    const Tensor loss = ops::sum(ops::mul(reverse_call(own, in[0]), dy));
    return tape.gradient(loss, std::vector<Tensor>{in[0]});
  };
  ksave::test::check_gradients("ReversibleEmbedding (reverse, input)", forward, {random_tensor({2, 3}, 5)}, analytic, {});
  const auto analytic_w = [&](const std::vector<Tensor>&, const Tensor&, const Tensor& dy) {
    GradientTape tape;
    const Tensor loss = ops::sum(ops::mul(reverse_call(own, random_tensor({2, 3}, 5)), dy));
    return tape.gradient(loss, std::vector<VariablePtr>{own->weights()[1]});
  };
  const VariablePtr kernel = own->weights()[1];
  const Tensor saved = kernel->value().clone();
  const auto forward_w = [&](const std::vector<Tensor>& in) {
    kernel->assign(in[0]);
    const Tensor y = reverse_call(own, random_tensor({2, 3}, 5));
    kernel->assign(saved);
    return y;
  };
  ksave::test::check_gradients("ReversibleEmbedding (reverse_embeddings)", forward_w, {saved}, analytic_w, {});
}

BOOST_AUTO_TEST_CASE(reversible_weights_round_trip_through_every_format) {
  LayerPtr e = reversible({{"tie_weights", false}});
  KerasTensor in = Input(Shape{4}, "ids", DType::Int32);
  const KerasTensor logits = (*e)((*e)(in), Json{{"reverse", true}});
  const auto model = std::make_shared<Functional>(KerasTensors{in}, KerasTensors{logits});
  BOOST_TEST(logits.shape() == (Shape{kUnknown, 4, 5}));
  check_weight_round_trips(model, {Tensor::from_vector<std::int32_t>({4, 0, 2, 1, 3, 3, 1, 0}, {2, 4})}, "reversible_embedding");
}
