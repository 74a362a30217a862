// preprocessing_numeric plugin: Rescaling and Normalization against their formulas, configs as
// tf-keras and Keras 3 write them, adapted statistics as weights through every format, gradients
// through to the input, and the errors of bad configs. (Real files of both Keras versions: the
// interop suite's keras.applications module.)
#define BOOST_TEST_MODULE preprocessing_numeric
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "layer_zoo_support/layer_checks.hpp"

using namespace ksave;
using namespace ksave::test::zoo;

namespace {

float at(const Tensor& t, std::int64_t i) { return t.data<float>()[i]; }

// The error message of `fn`, or "" when it does not throw.
template <typename F>
std::string error_of(F&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

BOOST_AUTO_TEST_CASE(rescaling_scales_and_offsets_per_channel) {
  const Json config = Json::parse(R"({"name": "rescaling", "trainable": true, "dtype": "float32",
    "scale": [0.5, 2.0, -1.0], "offset": 1.0})");
  check_config_round_trip("Rescaling", config);
  LayerPtr rescaling = layer_from("Rescaling", config);
  const Tensor x = random_tensor({2, 2, 3}, 4, -3.0f, 3.0f);
  const Tensor y = (*rescaling)(x);
  const float scale[] = {0.5f, 2.0f, -1.0f};
  for (std::int64_t i = 0; i < 12; ++i) BOOST_TEST(at(y, i) == at(x, i) * scale[i % 3] + 1.0f, boost::test_tools::tolerance(1e-6f));
  rescaling->build(Shape{kUnknown, 2, 3});
  check_layer_gradients("Rescaling", rescaling, x);
}

BOOST_AUTO_TEST_CASE(rescaling_casts_integer_images) {
  LayerPtr rescaling = layer_from("Rescaling", {{"name", "r"}, {"scale", 1.0 / 255.0}});
  const Tensor y = (*rescaling)(Tensor::from_vector<std::uint8_t>({0, 51, 255}, {1, 3}));
  BOOST_TEST((y.dtype() == DType::Float32));
  BOOST_TEST(at(y, 1) == 0.2f, boost::test_tools::tolerance(1e-6f));
  BOOST_TEST(at(y, 2) == 1.0f, boost::test_tools::tolerance(1e-6f));
  BOOST_TEST(rescaling->get_config()["offset"] == 0.0);
}

BOOST_AUTO_TEST_CASE(normalization_with_adapted_weights) {
  // tf-keras 2.21 and Keras 3 both write axis as a list and the weights mean, variance, count.
  const Json config = Json::parse(R"({"name": "normalization", "trainable": true, "dtype": "float32",
    "axis": [-1], "invert": false, "mean": null, "variance": null})");
  check_config_round_trip("Normalization", config);
  LayerPtr norm = layer_from("Normalization", config);
  norm->build(Shape{kUnknown, 2, 3});
  BOOST_TEST_REQUIRE(norm->weights().size() == 3u);
  BOOST_TEST(norm->weights()[0]->name() == "normalization/mean:0");
  BOOST_TEST((norm->weights()[2]->dtype() == DType::Int64));
  BOOST_TEST(norm->trainable_weights().empty());
  const Tensor mean = Tensor::from_vector<float>({1.0f, -2.0f, 0.5f}, {3});
  const Tensor variance = Tensor::from_vector<float>({4.0f, 0.25f, 0.0f}, {3});
  norm->set_weights({mean, variance, Tensor::scalar<std::int64_t>(10)});
  const Tensor x = random_tensor({2, 2, 3}, 5, -3.0f, 3.0f);
  const Tensor y = (*norm)(x);
  // Keras divides by max(sqrt(variance), 1e-7): a zero variance gives a large value, not NaN.
  for (std::int64_t i = 0; i < 12; ++i) {
    const auto c = static_cast<std::size_t>(i % 3);
    const double expected = (at(x, i) - at(mean, c)) / std::max(std::sqrt(at(variance, c)), 1e-7f);
    BOOST_TEST(at(y, i) == expected, boost::test_tools::tolerance(1e-5));
  }
  check_layer_gradients("Normalization", norm, random_tensor({2, 2, 3}, 6), {}, true);
  KerasTensor in = Input(Shape{2, 3}, "x");
  LayerPtr fresh = layer_from("Normalization", config);
  const auto model = std::make_shared<Functional>(KerasTensors{in}, KerasTensors{(*fresh)(in)});
  fresh->set_weights({mean, Tensor::from_vector<float>({4.0f, 0.25f, 9.0f}, {3}), Tensor::scalar<std::int64_t>(10)});
  check_weight_round_trips(model, {x}, "normalization");
}

BOOST_AUTO_TEST_CASE(normalization_from_config_statistics_and_invert) {
  // EfficientNetV2's preprocessing: mean and variance in the config, no weights.
  const Json config = Json::parse(R"({"name": "normalization_1", "trainable": true, "dtype": "float32",
    "axis": [-1], "invert": true, "mean": [0.485, 0.456, 0.406], "variance": [0.052441, 0.050176, 0.050625]})");
  check_config_round_trip("Normalization", config);
  LayerPtr norm = layer_from("Normalization", config);
  const Tensor x = random_tensor({4, 3}, 7);
  const Tensor y = (*norm)(x);
  BOOST_TEST(norm->weights().empty());
  const double mean[] = {0.485, 0.456, 0.406}, variance[] = {0.052441, 0.050176, 0.050625};
  for (std::int64_t i = 0; i < 12; ++i)
    BOOST_TEST(at(y, i) == mean[i % 3] + at(x, i) * std::sqrt(variance[i % 3]), boost::test_tools::tolerance(1e-5));
}

BOOST_AUTO_TEST_CASE(normalization_axes) {
  // A scalar mean broadcast over two kept axes; axis null keeps none (one mean for everything).
  LayerPtr two = layer_from("Normalization", Json::parse(R"({"name": "n", "axis": [1, 2], "mean": 1.0, "variance": 4.0})"));
  const Tensor y = (*two)(Tensor::filled(DType::Float32, {1, 2, 3}, 3.0));
  BOOST_TEST(at(y, 5) == 1.0f);
  LayerPtr all = layer_from("Normalization", Json::parse(R"({"name": "n", "axis": null})"));
  all->build(Shape{kUnknown, 2, 3});
  BOOST_TEST(all->weights()[0]->shape().empty());
  BOOST_TEST(all->get_config()["axis"] == Json::array());
}

BOOST_AUTO_TEST_CASE(bad_configs_name_the_layer_and_the_key) {
  const std::string one_sided = error_of([] { layer_from("Normalization", {{"name", "n"}, {"mean", 1.0}}); });
  BOOST_TEST(one_sided.find("layer 'n' (Normalization)") != std::string::npos, one_sided);
  BOOST_TEST(one_sided.find("'mean' without 'variance'") != std::string::npos, one_sided);
  const std::string counts = error_of([] {
    LayerPtr n = layer_from("Normalization", Json::parse(R"({"name": "n", "mean": [1, 2], "variance": [1, 2]})"));
    (*n)(Tensor::filled(DType::Float32, {1, 3}, 0.0));
  });
  BOOST_TEST(counts.find("config key 'mean': expected 1 or 3 values (shape (3,)), found 2") != std::string::npos, counts);
  const std::string axis = error_of([] {
    LayerPtr n = layer_from("Normalization", {{"name", "n"}, {"axis", 3}});
    n->build(Shape{kUnknown, 3});
  });
  BOOST_TEST(axis.find("axis 3 is not a known non-batch axis of input") != std::string::npos, axis);
  const std::string scale = error_of([] { layer_from("Rescaling", {{"name", "r"}, {"scale", "big"}}); });
  BOOST_TEST(scale.find("layer 'r' (Rescaling): config key 'scale': expected a number or a list of numbers, found \"big\"") !=
                 std::string::npos, scale);
}
