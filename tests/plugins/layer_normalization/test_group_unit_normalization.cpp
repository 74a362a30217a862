// GroupNormalization and UnitNormalization: values against direct loops over each sample's group
// (mean, biased variance, per-channel gamma and beta) and each vector's L2 norm, configs in
// tf-keras's key order, gradients and every format. The interop suite's normalization_extra
// case compares both with real tf-keras and Keras 3.
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "../layer_checks/layer_checks.hpp"

using ksave::Json;
using ksave::Tensor;
using ksave::test::layer_from;
using ksave::test::ramp;

namespace {

// x: (N, L, C) with channels last, `groups` groups of C / groups channels.
std::vector<float> direct_group_norm(const Tensor& x, std::int64_t groups, const std::vector<float>& gamma,
                                     const std::vector<float>& beta, double epsilon) {
  const std::vector<float> v = x.to_vector<float>();
  const std::int64_t n = x.dim(0), len = x.dim(1), c = x.dim(2), per = c / groups;
  std::vector<float> y(v.size());
  for (std::int64_t b = 0; b < n; ++b)
    for (std::int64_t g = 0; g < groups; ++g) {
      double sum = 0, sq = 0;
      const auto at = [&](std::int64_t t, std::int64_t ch) { return static_cast<std::size_t>((b * len + t) * c + g * per + ch); };
      for (std::int64_t t = 0; t < len; ++t)
        for (std::int64_t ch = 0; ch < per; ++ch) sum += v[at(t, ch)];
      const double mean = sum / static_cast<double>(len * per);
      for (std::int64_t t = 0; t < len; ++t)
        for (std::int64_t ch = 0; ch < per; ++ch) sq += (v[at(t, ch)] - mean) * (v[at(t, ch)] - mean);
      const double inv = 1.0 / std::sqrt(sq / static_cast<double>(len * per) + epsilon);
      for (std::int64_t t = 0; t < len; ++t)
        for (std::int64_t ch = 0; ch < per; ++ch) {
          const auto channel = static_cast<std::size_t>(g * per + ch);
          y[at(t, ch)] = static_cast<float>((v[at(t, ch)] - mean) * inv * gamma[channel] + beta[channel]);
        }
    }
  return y;
}

}  // namespace

BOOST_AUTO_TEST_CASE(group_normalization_matches_the_direct_loop) {
  const auto layer = layer_from("GroupNormalization", {{"groups", 3}, {"epsilon", 0.01}});
  const Tensor x = ramp({2, 5, 6}, 3.0f);
  layer->build(x.shape());
  const Tensor gamma = ramp({6}, 2.0f, 3), beta = ramp({6}, 1.0f, 4);
  layer->set_weights({gamma, beta});
  const Tensor expected = Tensor::from_vector<float>(
      direct_group_norm(x, 3, gamma.to_vector<float>(), beta.to_vector<float>(), 0.01), x.shape());
  BOOST_TEST(ksave::allclose((*layer)(x), expected, 1e-5, 1e-6));
  // channels_first through axis 1: the same numbers transposed.
  const auto first = layer_from("GroupNormalization", {{"groups", 3}, {"epsilon", 0.01}, {"axis", 1}});
  first->build(ksave::Shape{2, 6, 5});
  first->set_weights({gamma, beta});
  BOOST_TEST(ksave::allclose((*first)(ksave::ops::transpose(x, {0, 2, 1})), ksave::ops::transpose(expected, {0, 2, 1}), 1e-5, 1e-6));
}

BOOST_AUTO_TEST_CASE(group_normalization_config_weights_and_errors) {
  const auto layer = layer_from("GroupNormalization", {{"groups", 2}, {"center", false}});
  std::vector<std::string> keys;
  const Json c = layer->get_config();
  for (auto it = c.begin(); it != c.end(); ++it) keys.push_back(it.key());
  BOOST_TEST(keys == (std::vector<std::string>{"name", "trainable", "dtype", "groups", "axis", "epsilon", "center", "scale",
                                               "beta_initializer", "gamma_initializer", "beta_regularizer", "gamma_regularizer",
                                               "beta_constraint", "gamma_constraint"}),
             boost::test_tools::per_element());
  ksave::test::config_round_trips(layer);
  layer->build(ksave::Shape{ksave::kUnknown, 3, 4, 4});
  BOOST_TEST_REQUIRE(layer->weights().size() == 1u);  // gamma only
  BOOST_TEST(layer->weights()[0]->value().shape() == (ksave::Shape{4}));
  BOOST_CHECK_THROW(layer_from("GroupNormalization", {{"groups", 3}})->build(ksave::Shape{ksave::kUnknown, 4}), ksave::Error);
  BOOST_CHECK_THROW(layer_from("GroupNormalization", {{"groups", 0}}), ksave::Error);
}

BOOST_AUTO_TEST_CASE(unit_normalization_divides_by_the_l2_norm) {
  const Tensor x = Tensor::from_vector<float>({3, 4, 0, 0, 1, 2, 2, 0}, {2, 4});
  const auto last = layer_from("UnitNormalization", Json::object());
  const Tensor y = (*last)(Tensor::from_vector<float>({3, 4, 0, 0}, {2, 2}));
  BOOST_TEST(ksave::allclose(y, Tensor::from_vector<float>({0.6f, 0.8f, 0, 0}, {2, 2}), 1e-6, 0));  // zero stays zero
  const auto both = layer_from("UnitNormalization", {{"axis", {1, 2}}});
  ksave::test::config_round_trips(both);
  const Tensor z = (*both)(x.reshape({1, 2, 4}));
  const float norm = std::sqrt(9.0f + 16 + 1 + 4 + 4);
  BOOST_TEST(ksave::allclose(z, ksave::ops::mul(x.reshape({1, 2, 4}), 1.0 / norm), 1e-6, 1e-7));
  BOOST_CHECK_THROW(layer_from("UnitNormalization", {{"axis", Json::array()}}), ksave::Error);
  BOOST_CHECK_THROW((*layer_from("UnitNormalization", {{"axis", 3}}))(x), ksave::Error);
}

BOOST_AUTO_TEST_CASE(group_and_unit_gradients_and_formats) {
  ksave::test::layer_gradients_match(layer_from("GroupNormalization", {{"groups", 2}, {"beta_initializer", "ones"}}), {ramp({2, 3, 4})});
  ksave::test::layer_gradients_match(layer_from("UnitNormalization", Json::object()), {ramp({2, 3, 4})});
  ksave::test::check_weight_round_trips(ksave::test::sequential_of_layers(Json::parse(R"([
    {"class_name": "GroupNormalization", "config": {"groups": 2, "epsilon": 0.01}},
    {"class_name": "UnitNormalization", "config": {"axis": [1, 2]}}])"), {ksave::kUnknown, 3, 4}),
                                        {ramp({2, 3, 4})}, "group_unit_normalization");
}
