// SpatialDropout1D/2D/3D, GaussianNoise, GaussianDropout, AlphaDropout, ActivityRegularization and
// Identity: tf-keras's config keys, the identity at inference (masks passed on), training noise
// with Keras's statistics (seeded draws: the mean and spread of many values), whole feature maps
// dropped together, ActivityRegularization's loss, gradients, and every format.
#define BOOST_TEST_MODULE regularization_layers plugin
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "../layer_checks/layer_checks.hpp"

using ksave::Json;
using ksave::Tensor;
using ksave::Tensors;
using ksave::test::layer_from;
using ksave::test::ramp;

namespace {

ksave::CallContext training_call() {
  ksave::CallContext context;
  context.training = true;
  return context;
}
const ksave::CallContext kTraining = training_call();

double mean_of(const std::vector<float>& v) {
  double s = 0;
  for (float x : v) s += x;
  return s / static_cast<double>(v.size());
}
double variance_of(const std::vector<float>& v) {
  const double m = mean_of(v);
  double s = 0;
  for (float x : v) s += (x - m) * (x - m);
  return s / static_cast<double>(v.size());
}
Tensor filled(const ksave::Shape& shape, float value) {
  return Tensor::from_vector<float>(std::vector<float>(static_cast<std::size_t>(ksave::num_elements(shape)), value), shape);
}

}  // namespace

BOOST_AUTO_TEST_CASE(configs_in_tf_keras_form_round_trip) {
  const std::vector<std::pair<const char*, Json>> cases = {
      {"Identity", Json::object()}, {"ActivityRegularization", {{"l1", 0.01}, {"l2", 0.02}}},
      {"GaussianNoise", {{"stddev", 0.1}, {"seed", 3}}}, {"GaussianDropout", {{"rate", 0.2}}},
      {"AlphaDropout", {{"rate", 0.1}}}, {"SpatialDropout1D", {{"rate", 0.2}}},
      {"SpatialDropout2D", {{"rate", 0.2}, {"data_format", "channels_first"}}}, {"SpatialDropout3D", {{"rate", 0.3}}}};
  for (const auto& [cls, config] : cases) ksave::test::config_round_trips(layer_from(cls, config));
  BOOST_TEST(layer_from("SpatialDropout2D", {{"rate", 0.2}})->get_config().dump().find("data_format") == std::string::npos);
  BOOST_TEST(layer_from("SpatialDropout1D", {{"rate", 0.2}})->get_config()["noise_shape"].is_null());
  BOOST_TEST(!layer_from("AlphaDropout", {{"rate", 0.1}})->get_config().contains("noise_shape"));
  BOOST_TEST(layer_from("ActivityRegularization", Json::object())->get_config()["l1"] == 0.0);
  BOOST_CHECK_THROW(layer_from("GaussianDropout", {{"rate", 1.0}}), ksave::Error);
  BOOST_CHECK_THROW(layer_from("GaussianNoise", {{"stddev", -1.0}}), ksave::Error);
  BOOST_CHECK_THROW(layer_from("AlphaDropout", Json::object()), ksave::Error);
}

BOOST_AUTO_TEST_CASE(identity_at_inference_and_masks_pass) {
  const Tensor x = ramp({3, 4, 5});
  for (const auto& [cls, config] : std::vector<std::pair<const char*, Json>>{
           {"Identity", Json::object()}, {"ActivityRegularization", {{"l1", 0.5}}}, {"GaussianNoise", {{"stddev", 1.0}}},
           {"GaussianDropout", {{"rate", 0.5}}}, {"AlphaDropout", {{"rate", 0.5}}}, {"SpatialDropout1D", {{"rate", 0.5}}}}) {
    const auto layer = layer_from(cls, config);
    BOOST_TEST(ksave::allclose((*layer)(x), x, 0, 0), cls);
    BOOST_TEST(layer->supports_masking(), cls);
    BOOST_TEST(layer->output_shapes({{ksave::kUnknown, 4, 5}}).at(0) == (ksave::Shape{ksave::kUnknown, 4, 5}));
  }
}

BOOST_AUTO_TEST_CASE(training_noise_has_keras_statistics) {
  const ksave::Shape shape{50, 40, 20};  // 40000 draws
  const Tensor ones = filled(shape, 1.0f);
  const auto noise = layer_from("GaussianNoise", {{"stddev", 0.5}, {"seed", 1}});
  const auto added = ksave::ops::sub((*noise)(Tensors{ones}, kTraining).at(0), ones).to_vector<float>();
  BOOST_TEST(std::abs(mean_of(added)) < 0.02);
  BOOST_TEST(std::abs(std::sqrt(variance_of(added)) - 0.5) < 0.02);
  const auto gd = layer_from("GaussianDropout", {{"rate", 0.2}, {"seed", 2}});
  const auto scaled = (*gd)(Tensors{ones}, kTraining).at(0).to_vector<float>();
  BOOST_TEST(std::abs(mean_of(scaled) - 1.0) < 0.02);
  BOOST_TEST(std::abs(variance_of(scaled) - 0.25) < 0.02);  // rate / (1 - rate)
  // AlphaDropout keeps a standard normal input's mean 0 and variance 1 (SELU's fixed point).
  std::vector<float> normal_values;
  std::mt19937 g(5);
  std::normal_distribution<float> n01(0.0f, 1.0f);
  for (std::int64_t i = 0; i < ksave::num_elements(shape); ++i) normal_values.push_back(n01(g));
  const auto alpha = layer_from("AlphaDropout", {{"rate", 0.3}, {"seed", 3}});
  const auto out = (*alpha)(Tensors{Tensor::from_vector<float>(normal_values, shape)}, kTraining).at(0).to_vector<float>();
  BOOST_TEST(std::abs(mean_of(out)) < 0.03);
  BOOST_TEST(std::abs(variance_of(out) - 1.0) < 0.05);
  // The same seed draws the same noise.
  const auto again = layer_from("GaussianNoise", {{"stddev", 0.5}, {"seed", 1}});
  BOOST_TEST(ksave::allclose((*again)(Tensors{ones}, kTraining).at(0), ksave::ops::add(ones, Tensor::from_vector<float>(added, shape)), 0, 1e-6));
}

BOOST_AUTO_TEST_CASE(spatial_dropout_drops_whole_feature_maps) {
  const ksave::Shape shape{8, 3, 4, 5, 6};
  const auto layer = layer_from("SpatialDropout3D", {{"rate", 0.5}, {"seed", 4}});
  const auto y = (*layer)(Tensors{filled(shape, 1.0f)}, kTraining).at(0).to_vector<float>();
  std::size_t dropped = 0;
  for (std::int64_t b = 0; b < 8; ++b)
    for (std::int64_t c = 0; c < 6; ++c) {
      const float first = y[static_cast<std::size_t>(b * 3 * 4 * 5 * 6 + c)];
      BOOST_TEST((first == 0.0f || first == 2.0f));
      dropped += first == 0.0f;
      for (std::int64_t s = 0; s < 3 * 4 * 5; ++s) BOOST_TEST(y[static_cast<std::size_t>((b * 60 + s) * 6 + c)] == first);
    }
  BOOST_TEST(dropped > 5u);
  BOOST_TEST(dropped < 43u);
  // channels_first: the channel is axis 1.
  const auto first = layer_from("SpatialDropout2D", {{"rate", 0.5}, {"seed", 5}, {"data_format", "channels_first"}});
  const auto z = (*first)(Tensors{filled({2, 4, 3, 3}, 1.0f)}, kTraining).at(0).to_vector<float>();
  for (std::size_t map = 0; map < 8; ++map)
    for (std::size_t i = 1; i < 9; ++i) BOOST_TEST(z[map * 9 + i] == z[map * 9]);
  BOOST_CHECK_THROW((*layer)(Tensors{filled({2, 3, 4}, 1.0f)}, kTraining), ksave::Error);
}

BOOST_AUTO_TEST_CASE(activity_regularization_adds_its_loss_per_sample) {
  const auto layer = layer_from("ActivityRegularization", {{"l1", 0.1}, {"l2", 0.5}});
  const Tensor x = Tensor::from_vector<float>({1, -2, 3, -4}, {2, 2});
  (*layer)(x);
  BOOST_TEST_REQUIRE(layer->call_losses().size() == 1u);
  // (0.1 · 10 + 0.5 · 30) / 2 samples
  BOOST_TEST(layer->call_losses()[0].to_vector<float>()[0] == 8.0f, boost::test_tools::tolerance(1e-6f));
  ksave::test::layer_gradients_match(layer_from("Identity", Json::object()), {ramp({2, 3})});
  ksave::test::layer_gradients_match(layer_from("ActivityRegularization", {{"l1", 0.1}}), {ramp({2, 3})});
}

BOOST_AUTO_TEST_CASE(round_trip_through_every_format) {
  ksave::test::check_weight_round_trips(ksave::test::sequential_of_layers(Json::parse(R"([
    {"class_name": "GaussianNoise", "config": {"stddev": 0.1}},
    {"class_name": "SpatialDropout1D", "config": {"rate": 0.2}},
    {"class_name": "Dense", "config": {"units": 3}},
    {"class_name": "GaussianDropout", "config": {"rate": 0.2}},
    {"class_name": "AlphaDropout", "config": {"rate": 0.1}},
    {"class_name": "ActivityRegularization", "config": {"l1": 0.01, "l2": 0.01}},
    {"class_name": "Identity", "config": {}}])"), {ksave::kUnknown, 4, 2}),
                                        {ramp({2, 4, 2})}, "regularization_layers");
}
