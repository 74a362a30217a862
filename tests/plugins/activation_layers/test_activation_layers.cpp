// ReLU, LeakyReLU, PReLU, ELU, Softmax and ThresholdedReLU layers: configs (tf.keras 2.x keys and
// defaults), values against the Keras formulas, gradients, PReLU's weight through every format.
#define BOOST_TEST_MODULE activation_layers plugin
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "../layer_checks/layer_checks.hpp"

using ksave::Json;
using ksave::Tensor;
using ksave::test::layer_from;
using ksave::test::ramp;
namespace tt = boost::test_tools;

namespace {
const Tensor kX = Tensor::from_vector<float>({-3, -1, 0.5f, 2, 7}, {1, 5});
std::vector<float> run(const char* cls, const Json& config, const Tensor& x = kX) {
  return (*layer_from(cls, config))(x).to_vector<float>();
}
bool near(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::fabs(a[i] - b[i]) > 1e-6f * (1 + std::fabs(b[i]))) return false;
  return true;
}
}  // namespace

BOOST_AUTO_TEST_CASE(configs_defaults_and_round_trip) {
  const Json relu = layer_from("ReLU", Json::object())->get_config();
  BOOST_TEST(relu["max_value"].is_null());
  BOOST_TEST(relu["negative_slope"] == 0.0);
  BOOST_TEST(relu["threshold"] == 0.0);
  BOOST_TEST(layer_from("LeakyReLU", Json::object())->get_config()["alpha"] == 0.3);
  BOOST_TEST(layer_from("LeakyReLU", {{"negative_slope", 0.2}})->get_config()["alpha"] == 0.2);  // Keras 3
  BOOST_TEST(layer_from("ELU", Json::object())->get_config()["alpha"] == 1.0);
  BOOST_TEST(layer_from("ThresholdedReLU", Json::object())->get_config()["theta"] == 1.0);
  BOOST_TEST(layer_from("Softmax", Json::object())->get_config()["axis"] == -1);
  const Json prelu = layer_from("PReLU", Json::object())->get_config();
  BOOST_TEST(prelu["alpha_initializer"]["class_name"] == "Zeros");
  BOOST_TEST(prelu["shared_axes"].is_null());
  for (const auto& [cls, config] : std::vector<std::pair<const char*, Json>>{
           {"ReLU", {{"max_value", 6.0}, {"negative_slope", 0.1}, {"threshold", 0.5}}}, {"LeakyReLU", {{"alpha", 0.1}}},
           {"ELU", {{"alpha", 0.5}}}, {"ThresholdedReLU", {{"theta", 2.0}}}, {"Softmax", {{"axis", 1}}},
           {"PReLU", {{"shared_axes", {1, 2}}, {"alpha_initializer", "ones"}}}})
    ksave::test::config_round_trips(layer_from(cls, config));
  BOOST_CHECK_THROW(layer_from("ReLU", {{"max_value", -1.0}}), ksave::Error);
}

BOOST_AUTO_TEST_CASE(values_follow_the_keras_formulas) {
  BOOST_TEST(run("ReLU", Json::object()) == (std::vector<float>{0, 0, 0.5f, 2, 7}), tt::per_element());
  BOOST_TEST(run("ReLU", {{"max_value", 6.0}}) == (std::vector<float>{0, 0, 0.5f, 2, 6}), tt::per_element());
  // threshold 1, slope 0.5: x >= thr keeps x, below gives slope * (x - thr).
  BOOST_TEST(run("ReLU", {{"threshold", 1.0}, {"negative_slope", 0.5}}) == (std::vector<float>{-2, -1, -0.25f, 2, 7}), tt::per_element());
  BOOST_TEST(near(run("LeakyReLU", Json::object()), (std::vector<float>{-0.9f, -0.3f, 0.5f, 2, 7})));
  BOOST_TEST(near(run("ELU", {{"alpha", 2.0}}), (std::vector<float>{2 * std::expm1(-3.0f), 2 * std::expm1(-1.0f), 0.5f, 2, 7})));
  BOOST_TEST(run("ThresholdedReLU", {{"theta", 1.0}}) == (std::vector<float>{0, 0, 0, 2, 7}), tt::per_element());
  const auto s = run("Softmax", {{"axis", 0}}, Tensor::from_vector<float>({0, 0}, {2, 1}));
  BOOST_TEST(s == (std::vector<float>{0.5f, 0.5f}), tt::per_element());
}

BOOST_AUTO_TEST_CASE(prelu_weight_shape_and_values) {
  const auto prelu = layer_from("PReLU", {{"shared_axes", {1, 2}}});
  prelu->build(ksave::Shape{ksave::kUnknown, 4, 5, 3});
  BOOST_TEST_REQUIRE(prelu->weights().size() == 1u);
  BOOST_TEST(prelu->weights()[0]->value().shape() == (ksave::Shape{1, 1, 3}));
  BOOST_TEST(prelu->weights()[0]->name().find("alpha") != std::string::npos);
  const auto flat = layer_from("PReLU", Json::object());
  flat->build(kX.shape());
  flat->set_weights({Tensor::from_vector<float>({0.1f, 0.2f, 0.3f, 0.4f, 0.5f}, {5})});
  BOOST_TEST(near((*flat)(kX).to_vector<float>(), (std::vector<float>{-0.3f, -0.2f, 0.5f, 2, 7})));
}

BOOST_AUTO_TEST_CASE(gradients_match_finite_differences) {
  const Tensor x = ramp({2, 4, 3}, 3.0f);
  ksave::test::layer_gradients_match(layer_from("ReLU", {{"max_value", 1.5}, {"negative_slope", 0.2}, {"threshold", 0.3}}), {x});
  ksave::test::layer_gradients_match(layer_from("LeakyReLU", Json::object()), {x});
  ksave::test::layer_gradients_match(layer_from("ELU", {{"alpha", 0.7}}), {x});
  ksave::test::layer_gradients_match(layer_from("Softmax", {{"axis", 1}}), {x});
  ksave::test::layer_gradients_match(layer_from("PReLU", {{"shared_axes", 1}, {"alpha_initializer", {{"class_name", "Constant"}, {"config", {{"value", 0.25}}}}}}), {x});
}

BOOST_AUTO_TEST_CASE(prelu_weights_round_trip_through_every_format) {
  const auto model = ksave::test::sequential_of("PReLU", {{"shared_axes", {1}}, {"alpha_initializer", "ones"}}, {ksave::kUnknown, 4, 3});
  model->layers().back()->set_weights({Tensor::from_vector<float>({0.1f, 0.2f, 0.3f}, {1, 3})});
  ksave::test::check_weight_round_trips(model, {ramp({2, 4, 3}, 3.0f)}, "prelu");
  ksave::test::check_weight_round_trips(ksave::test::sequential_of("ReLU", {{"max_value", 6.0}}, {ksave::kUnknown, 3}), {ramp({2, 3}, 9.0f)}, "relu");
  const auto rest = ksave::test::sequential_of_layers(Json::parse(R"([
    {"class_name": "LeakyReLU", "config": {"alpha": 0.2}}, {"class_name": "ELU", "config": {"alpha": 0.7}},
    {"class_name": "ThresholdedReLU", "config": {"theta": 0.1}}, {"class_name": "Softmax", "config": {"axis": -1}}])"),
                                                      {ksave::kUnknown, 4});
  ksave::test::check_weight_round_trips(rest, {ramp({2, 4}, 3.0f)}, "leaky_elu_thresholded_softmax");
}
