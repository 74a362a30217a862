// Mixed precision: the float16 / bfloat16 rounding (round to nearest even, at the edges of each
// format) and the emulation of a mixed policy in a layer call: a Dense layer under
// "mixed_float16" / "mixed_bfloat16" computes what float32 computes on its rounded input, kernel
// and bias, rounded at the end; its variables stay float32 and its config carries the policy.
#define BOOST_TEST_MODULE mixed_precision
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "ksave/autodiff.hpp"
#include "ksave/ksave.hpp"
#include "ksave/ops.hpp"

using ksave::DType;
using ksave::Tensor;

namespace {

// Each value through `type` and back to float32.
std::vector<float> through(DType type, const std::vector<float>& values) {
  const auto n = static_cast<std::int64_t>(values.size());
  return Tensor::from_vector<float>(values, {n}).cast(type).cast(DType::Float32).to_vector<float>();
}

float pow2(int e) { return std::ldexp(1.0f, e); }

}  // namespace

BOOST_AUTO_TEST_CASE(float16_rounds_to_nearest_even) {
  const float inf = std::numeric_limits<float>::infinity();
  // Ties go to the even neighbour: 1 + 2^-11 lies between 1 (even) and 1 + 2^-10 (odd).
  const std::vector<float> in{1.0f + pow2(-11), 1.0f + 3 * pow2(-11), 1.0f + pow2(-11) + pow2(-20), 65519.0f,
                              65520.0f, pow2(-24), pow2(-25), 1.5f * pow2(-25), -2.5f, inf};
  const std::vector<float> expected{1.0f, 1.0f + pow2(-9), 1.0f + pow2(-10), 65504.0f,
                                    inf,  pow2(-24), 0.0f, pow2(-24), -2.5f, inf};
  BOOST_TEST(through(DType::Float16, in) == expected, boost::test_tools::per_element());
  BOOST_TEST(std::isnan(through(DType::Float16, {std::nanf("")})[0]));
}

BOOST_AUTO_TEST_CASE(bfloat16_rounds_to_nearest_even) {
  const float inf = std::numeric_limits<float>::infinity();
  const float max = std::numeric_limits<float>::max();
  // bfloat16 keeps 8 significant bits: 1 + 2^-8 is the tie between 1 and 1 + 2^-7.
  const std::vector<float> in{1.0f + pow2(-8), 1.0f + 3 * pow2(-8), 1.0f + pow2(-8) + pow2(-20), 3.0e38f, max, -0.1f};
  const std::vector<float> expected{1.0f, 1.0f + pow2(-6), 1.0f + pow2(-7), 3.0040553e38f, inf, -0.10009765625f};
  const std::vector<float> got = through(DType::BFloat16, in);
  for (std::size_t i = 0; i < in.size(); ++i) BOOST_TEST(got[i] == expected[i], boost::test_tools::tolerance(1e-4f));
  BOOST_TEST(std::isnan(through(DType::BFloat16, {std::nanf("")})[0]));
  BOOST_TEST((ksave::parse_dtype("bfloat16") == DType::BFloat16));
  BOOST_TEST(ksave::dtype_size(DType::BFloat16) == 2u);
  BOOST_TEST(ksave::is_floating(DType::BFloat16));
}

namespace {

ksave::LayerPtr dense_under(const std::string& policy) {
  return ksave::make_layer("Dense", ksave::Json{{"units", 3}, {"dtype", policy}, {"kernel_initializer", "random_normal"},
                                                {"bias_initializer", "random_normal"}});
}

Tensor rounded(const Tensor& x, DType type) { return x.cast(type).cast(DType::Float32); }

}  // namespace

BOOST_AUTO_TEST_CASE(a_mixed_layer_rounds_inputs_variables_and_outputs) {
  const Tensor x = Tensor::from_vector<float>({0.1f, -1.7f, 2.3f, 0.33f, 1.0f / 3, -0.2f, 5.1f, 0.01f}, {2, 4});
  for (const auto& [policy, compute] : {std::pair{"mixed_float16", DType::Float16}, {"mixed_bfloat16", DType::BFloat16}}) {
    BOOST_TEST_CONTEXT(policy) {
      ksave::LayerPtr layer = dense_under(policy);
      const Tensor y = (*layer)(x);
      BOOST_TEST(layer->mixed_precision());
      BOOST_TEST(layer->dtype_policy() == policy);
      BOOST_TEST((layer->compute_dtype() == compute));
      const Tensor& kernel = layer->weights()[0]->value();
      const Tensor& bias = layer->weights()[1]->value();
      // The variables stay float32 and unrounded outside the call.
      BOOST_TEST((kernel.dtype() == DType::Float32));
      BOOST_TEST((rounded(kernel, compute).to_vector<float>() != kernel.to_vector<float>()));
      const Tensor expected = rounded(
          ksave::ops::bias_add(ksave::ops::matmul(rounded(x, compute), rounded(kernel, compute)), rounded(bias, compute)), compute);
      BOOST_TEST(y.to_vector<float>() == expected.to_vector<float>(), boost::test_tools::per_element());
      const Tensor plain = ksave::ops::bias_add(ksave::ops::matmul(x, kernel), bias);
      BOOST_TEST((plain.to_vector<float>() != y.to_vector<float>()));  // the rounding is there to see
      // tf-keras 2.21's serialized policy.
      const ksave::Json dtype = layer->get_config()["dtype"];
      BOOST_TEST(dtype["class_name"] == "Policy");
      BOOST_TEST(dtype["module"] == "keras.mixed_precision");
      BOOST_TEST(dtype["config"]["name"] == policy);
    }
  }
}

BOOST_AUTO_TEST_CASE(gradients_reach_the_float32_variables_through_the_rounding) {
  ksave::LayerPtr layer = dense_under("mixed_float16");
  const Tensor x = Tensor::from_vector<float>({0.5f, -1.25f, 2.0f, 0.75f}, {1, 4});
  (*layer)(x);  // builds
  ksave::GradientTape tape;
  const Tensor loss = ksave::ops::sum((*layer)(x));
  const std::vector<Tensor> grads = tape.gradient(loss, layer->trainable_weights());
  BOOST_TEST_REQUIRE(grads.size() == 2u);
  BOOST_TEST_REQUIRE(grads[0].defined());
  // d sum(x W + b) / dW[i][j] = x[i], in float16 (where these values are exact).
  const std::vector<float> dw = grads[0].to_vector<float>();
  for (std::size_t i = 0; i < 4; ++i)
    for (std::size_t j = 0; j < 3; ++j) BOOST_TEST(dw[i * 3 + j] == x.to_vector<float>()[i]);
  BOOST_TEST(grads[1].to_vector<float>() == std::vector<float>(3, 1.0f), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_float32_layer_keeps_float32_and_unknown_mixed_policies_fail) {
  ksave::LayerPtr layer = dense_under("float32");
  BOOST_TEST(!layer->mixed_precision());
  BOOST_TEST(layer->get_config()["dtype"] == "float32");
  BOOST_CHECK_THROW(dense_under("mixed_float8"), ksave::Error);
}

// ---- the LossScaleOptimizer's rules ----

namespace {

// One Dense(2) on 3 features, fixed weights, compiled with `optimizer` and mse.
std::shared_ptr<ksave::Sequential> compiled_with(const ksave::Json& optimizer, const std::string& policy = "float32") {
  auto model = std::make_shared<ksave::Sequential>(std::vector<ksave::LayerPtr>{
      ksave::make_layer("Dense", ksave::Json{{"units", 2}, {"dtype", policy}, {"batch_input_shape", {nullptr, 3}}})});
  std::vector<Tensor> weights{Tensor::from_vector<float>({0.5f, -0.25f, 0.125f, 1.0f, -0.75f, 0.375f}, {3, 2}),
                              Tensor::from_vector<float>({0.0625f, -0.5f}, {2})};
  model->set_weights(weights);
  model->compile(optimizer, "mse");
  return model;
}

ksave::Json loss_scale_optimizer(const std::string& class_name, double initial_scale, ksave::Json extra = ksave::Json::object()) {
  ksave::Json config{{"inner_optimizer", {{"class_name", "SGD"}, {"config", {{"learning_rate", 0.25}}}}},
                     {"initial_scale", initial_scale}, {"dynamic_growth_steps", 2}};
  for (const auto& [k, v] : extra.items()) config[k] = v;
  return ksave::Json{{"class_name", class_name}, {"config", config}};
}

struct ScaleState {
  double scale;
  std::int64_t counter, iterations;
};

ScaleState state_of(const ksave::Model& model) {
  const auto& optimizer = model.optimizer();
  ScaleState out{optimizer->loss_scale(), -1, static_cast<std::int64_t>(optimizer->iterations()->value().item())};
  for (const auto& child : optimizer->trackable_children())
    if (child.name == "loss_scale")
      for (const auto& var : child.object->trackable_children())
        if (var.name == "good_steps") out.counter = static_cast<std::int64_t>(std::dynamic_pointer_cast<ksave::Variable>(var.object)->value().item());
  return out;
}

const Tensor kX = Tensor::from_vector<float>({0.5f, -1.0f, 2.0f, 1.5f, 0.25f, -0.5f}, {2, 3});
const Tensor kY = Tensor::from_vector<float>({1.0f, 0.0f, -1.0f, 2.0f}, {2, 2});
const Tensor kBadX = Tensor::from_vector<float>({0.5f, std::numeric_limits<float>::infinity(), 2.0f, 1.5f, 0.25f, -0.5f}, {2, 3});

}  // namespace

BOOST_AUTO_TEST_CASE(loss_scaling_leaves_the_steps_of_the_inner_optimizer_unchanged) {
  auto scaled = compiled_with(loss_scale_optimizer("LossScaleOptimizerV3", 1024.0, {{"dynamic", true}}));
  auto plain = compiled_with(ksave::Json{{"class_name", "SGD"}, {"config", {{"learning_rate", 0.25}}}});
  for (int step = 0; step < 3; ++step) {
    const auto a = scaled->train_on_batch({kX}, {kY});
    const auto b = plain->train_on_batch({kX}, {kY});
    BOOST_TEST(a.at("loss") == b.at("loss"));  // the logs keep the unscaled loss
  }
  // Scaling by a power of two and unscaling is exact in float32.
  for (std::size_t i = 0; i < 2; ++i)
    BOOST_TEST(scaled->get_weights()[i].to_vector<float>() == plain->get_weights()[i].to_vector<float>(),
               boost::test_tools::per_element());
  BOOST_TEST(scaled->optimizer()->class_name() == "LossScaleOptimizerV3");
  BOOST_TEST(scaled->optimizer()->get_config()["inner_optimizer"]["class_name"] == "SGD");
}

BOOST_AUTO_TEST_CASE(tf_keras_dynamic_scale_grows_halves_and_skips) {
  auto model = compiled_with(loss_scale_optimizer("LossScaleOptimizerV3", 2.0, {{"dynamic", true}}));
  model->train_on_batch({kX}, {kY});
  ScaleState s = state_of(*model);
  BOOST_TEST(s.scale == 2.0);
  BOOST_TEST(s.counter == 1);
  model->train_on_batch({kX}, {kY});  // the second finite step in a row: the scale doubles
  s = state_of(*model);
  BOOST_TEST(s.scale == 4.0);
  BOOST_TEST(s.counter == 0);
  BOOST_TEST(s.iterations == 2);
  const std::vector<Tensor> before = model->get_weights();
  model->train_on_batch({kBadX}, {kY});  // non-finite gradients: skipped, the scale halves
  s = state_of(*model);
  BOOST_TEST(s.scale == 2.0);
  BOOST_TEST(s.counter == 0);
  BOOST_TEST(s.iterations == 3);  // tf-keras counts the skipped step
  for (std::size_t i = 0; i < before.size(); ++i)
    BOOST_TEST(model->get_weights()[i].to_vector<float>() == before[i].to_vector<float>(), boost::test_tools::per_element());
  model->train_on_batch({kBadX}, {kY});
  model->train_on_batch({kBadX}, {kY});  // never below 1 in tf-keras
  BOOST_TEST(state_of(*model).scale == 1.0);
}

BOOST_AUTO_TEST_CASE(keras3_scale_halves_below_one_and_does_not_count_skips) {
  auto model = compiled_with(loss_scale_optimizer("LossScaleOptimizer", 1.0, {{"name", "loss_scale_optimizer"}}));
  model->train_on_batch({kBadX}, {kY});
  const ScaleState s = state_of(*model);
  BOOST_TEST(s.scale == 0.5);
  BOOST_TEST(s.iterations == 0);
}

BOOST_AUTO_TEST_CASE(a_fixed_scale_never_changes_and_a_wrapper_needs_its_inner_optimizer) {
  auto fixed = compiled_with(loss_scale_optimizer("LossScaleOptimizerV3", 8.0, {{"dynamic", false}, {"dynamic_growth_steps", nullptr}}));
  fixed->train_on_batch({kX}, {kY});
  fixed->train_on_batch({kX}, {kY});
  BOOST_TEST(fixed->optimizer()->loss_scale() == 8.0);
  BOOST_TEST(fixed->optimizer()->get_config()["dynamic_growth_steps"].is_null());
  BOOST_CHECK_THROW(compiled_with(ksave::Json{{"class_name", "LossScaleOptimizerV3"}, {"config", {{"dynamic", true}}}}), ksave::Error);
}
