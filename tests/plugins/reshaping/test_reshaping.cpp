// Flatten, Reshape, Permute, RepeatVector, ZeroPadding1D/2D, Cropping1D/2D, UpSampling1D/2D:
// configs, values, shapes, gradients, the tfjs oracle's reshape_activation_layers, every format.
#define BOOST_TEST_MODULE reshaping plugin
#include <boost/test/unit_test.hpp>

#include "../layer_checks/layer_checks.hpp"

using ksave::Json;
using ksave::Tensor;
using ksave::test::layer_from;
using ksave::test::ramp;
namespace tt = boost::test_tools;

namespace {
Tensor iota(const ksave::Shape& s) {
  std::vector<float> v(static_cast<std::size_t>(ksave::num_elements(s)));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i + 1);
  return Tensor::from_vector<float>(v, s);
}
}  // namespace

BOOST_AUTO_TEST_CASE(configs_round_trip) {
  const std::vector<std::pair<const char*, Json>> cases = {
      {"Flatten", Json::object()}, {"Flatten", {{"data_format", "channels_first"}}},
      {"Reshape", {{"target_shape", {3, -1}}}}, {"Permute", {{"dims", {2, 1}}}}, {"RepeatVector", {{"n", 3}}},
      {"ZeroPadding1D", {{"padding", 2}}}, {"ZeroPadding2D", {{"padding", {{1, 2}, {0, 3}}}}},
      {"Cropping1D", {{"cropping", {1, 0}}}}, {"Cropping2D", {{"cropping", {1, 2}}, {"data_format", "channels_first"}}},
      {"UpSampling1D", {{"size", 3}}}, {"UpSampling2D", {{"size", {2, 1}}}}};
  for (const auto& [cls, config] : cases) ksave::test::config_round_trips(layer_from(cls, config));
  BOOST_TEST(layer_from("ZeroPadding2D", {{"padding", {1, 2}}})->get_config()["padding"].dump() == "[[1,1],[2,2]]");
  BOOST_TEST(layer_from("ZeroPadding1D", Json::object())->get_config()["padding"].dump() == "[1,1]");
  BOOST_TEST(layer_from("Cropping2D", Json::object())->get_config()["cropping"].dump() == "[[0,0],[0,0]]");
  BOOST_TEST(layer_from("UpSampling2D", Json::object())->get_config()["interpolation"] == "nearest");
  BOOST_TEST(layer_from("UpSampling1D", {{"length", 4}})->get_config()["size"] == 4);  // Keras 1
  BOOST_CHECK_THROW(layer_from("Permute", {{"dims", {1, 1}}}), ksave::Error);
  BOOST_CHECK_THROW(layer_from("Reshape", {{"target_shape", {-1, -1}}}), ksave::Error);
  BOOST_CHECK_THROW(layer_from("ZeroPadding2D", {{"padding", {1, 2, 3}}}), ksave::Error);
  BOOST_CHECK_THROW(layer_from("UpSampling2D", {{"interpolation", "area"}}), ksave::Error);
}

// TensorFlow 2.21's numbers: tf.image.resize of [[0, 1, 2], [3, 4, 5]] to 2x6, which tf-keras's
// UpSampling2D((1, 2)) computes (measured, channels_first too); Keras 3's is the same op.
BOOST_AUTO_TEST_CASE(upsampling2d_bilinear_and_bicubic_are_tensorflows_resize) {
  const std::vector<float> values = {0, 1, 2, 3, 4, 5};
  const std::vector<float> bilinear = {0, 0.25f, 0.75f, 1.25f, 1.75f, 2, 3, 3.25f, 3.75f, 4.25f, 4.75f, 5};
  const std::vector<float> bicubic = {-0.0882352963089943f, 0.16788321733474731f, 0.7099236845970154f, 1.2900763750076294f,
                                      1.8321168422698975f,  2.088235378265381f,   2.9117648601531982f, 3.1678833961486816f,
                                      3.7099239826202393f,  4.29007625579834f,    4.832117080688477f,  5.088235855102539f};
  const auto up = [&](const char* interpolation, const char* format, const ksave::Shape& shape) {
    const auto layer = layer_from("UpSampling2D", {{"size", {1, 2}}, {"interpolation", interpolation}, {"data_format", format}});
    return (*layer)(Tensor::from_vector<float>(values, shape)).to_vector<float>();
  };
  BOOST_TEST(up("bilinear", "channels_last", {1, 2, 3, 1}) == bilinear, tt::per_element());
  BOOST_TEST(up("bilinear", "channels_first", {1, 1, 2, 3}) == bilinear, tt::per_element());
  BOOST_TEST(up("bicubic", "channels_last", {1, 2, 3, 1}) == bicubic, tt::per_element());
}

BOOST_AUTO_TEST_CASE(flatten_reshape_permute_repeat) {
  const auto flatten = layer_from("Flatten", Json::object());
  BOOST_TEST((*flatten)(iota({2, 3, 2})).shape() == (ksave::Shape{2, 6}));
  BOOST_TEST((*flatten)(iota({2, 5})).shape() == (ksave::Shape{2, 5}));  // rank 2 unchanged
  BOOST_TEST(flatten->output_shapes({{ksave::kUnknown, 4, 3}}).at(0) == (ksave::Shape{ksave::kUnknown, 12}));
  // channels_first flattens in channels_last order.
  const auto flatten_cf = layer_from("Flatten", {{"data_format", "channels_first"}});
  BOOST_TEST((*flatten_cf)(iota({1, 2, 3})).to_vector<float>() == (std::vector<float>{1, 4, 2, 5, 3, 6}), tt::per_element());
  const auto reshape = layer_from("Reshape", {{"target_shape", {-1, 2}}});
  BOOST_TEST((*reshape)(iota({3, 6})).shape() == (ksave::Shape{3, 3, 2}));
  BOOST_TEST(reshape->output_shapes({{ksave::kUnknown, 6}}).at(0) == (ksave::Shape{ksave::kUnknown, 3, 2}));
  const auto permute = layer_from("Permute", {{"dims", {2, 1}}});
  BOOST_TEST((*permute)(iota({1, 2, 3})).to_vector<float>() == (std::vector<float>{1, 4, 2, 5, 3, 6}), tt::per_element());
  BOOST_TEST(permute->output_shapes({{ksave::kUnknown, 2, 3}}).at(0) == (ksave::Shape{ksave::kUnknown, 3, 2}));
  const auto repeat = layer_from("RepeatVector", {{"n", 2}});
  BOOST_TEST((*repeat)(iota({1, 3})).to_vector<float>() == (std::vector<float>{1, 2, 3, 1, 2, 3}), tt::per_element());
}

BOOST_AUTO_TEST_CASE(padding_cropping_upsampling) {
  const auto pad1 = layer_from("ZeroPadding1D", {{"padding", {1, 2}}});
  BOOST_TEST((*pad1)(iota({1, 2, 1})).to_vector<float>() == (std::vector<float>{0, 1, 2, 0, 0}), tt::per_element());
  const auto pad2 = layer_from("ZeroPadding2D", {{"padding", {{1, 0}, {0, 1}}}});
  BOOST_TEST((*pad2)(iota({1, 2, 2, 1})).to_vector<float>() == (std::vector<float>{0, 0, 0, 1, 2, 0, 3, 4, 0}), tt::per_element());
  BOOST_TEST(pad2->output_shapes({{ksave::kUnknown, 2, 2, 1}}).at(0) == (ksave::Shape{ksave::kUnknown, 3, 3, 1}));
  const auto crop1 = layer_from("Cropping1D", {{"cropping", {1, 2}}});
  BOOST_TEST((*crop1)(iota({1, 5, 1})).to_vector<float>() == (std::vector<float>{2, 3}), tt::per_element());
  const auto crop2 = layer_from("Cropping2D", {{"cropping", {{1, 0}, {0, 1}}}});
  BOOST_TEST((*crop2)(iota({1, 3, 3, 1})).to_vector<float>() == (std::vector<float>{4, 5, 7, 8}), tt::per_element());
  BOOST_CHECK_THROW((*crop1)(iota({1, 2, 1})), ksave::Error);
  const auto up1 = layer_from("UpSampling1D", {{"size", 2}});
  BOOST_TEST((*up1)(iota({1, 2, 2})).to_vector<float>() == (std::vector<float>{1, 2, 1, 2, 3, 4, 3, 4}), tt::per_element());
  const auto up2 = layer_from("UpSampling2D", {{"size", {1, 2}}});
  BOOST_TEST((*up2)(iota({1, 2, 2, 1})).to_vector<float>() == (std::vector<float>{1, 1, 2, 2, 3, 3, 4, 4}), tt::per_element());
  const auto up2cf = layer_from("UpSampling2D", {{"size", 2}, {"data_format", "channels_first"}});
  BOOST_TEST((*up2cf)(iota({1, 1, 2, 2})).shape() == (ksave::Shape{1, 1, 4, 4}));
}

BOOST_AUTO_TEST_CASE(tfjs_oracle_reshape_case) { ksave::test::check_oracle_predict_case("reshape_activation_layers"); }

BOOST_AUTO_TEST_CASE(gradients_match_finite_differences) {
  ksave::test::layer_gradients_match(layer_from("Flatten", {{"data_format", "channels_first"}}), {ramp({2, 3, 2, 2})});
  ksave::test::layer_gradients_match(layer_from("Permute", {{"dims", {3, 1, 2}}}), {ramp({2, 3, 2, 2})});
  ksave::test::layer_gradients_match(layer_from("RepeatVector", {{"n", 3}}), {ramp({2, 3})});
  ksave::test::layer_gradients_match(layer_from("ZeroPadding2D", {{"padding", {1, 2}}}), {ramp({1, 2, 3, 2})});
  ksave::test::layer_gradients_match(layer_from("Cropping2D", {{"cropping", {{1, 0}, {0, 1}}}}), {ramp({1, 3, 3, 2})});
  ksave::test::layer_gradients_match(layer_from("UpSampling2D", {{"size", {2, 3}}}), {ramp({1, 2, 2, 2})});
}

BOOST_AUTO_TEST_CASE(round_trip_through_every_format) {
  ksave::test::check_weight_round_trips(ksave::test::sequential_of_layers(Json::parse(R"([
    {"class_name": "ZeroPadding2D", "config": {"padding": [[1, 2], [0, 3]]}},
    {"class_name": "Cropping2D", "config": {"cropping": [[1, 0], [0, 1]]}},
    {"class_name": "UpSampling2D", "config": {"size": [2, 1]}},
    {"class_name": "Permute", "config": {"dims": [3, 1, 2]}},
    {"class_name": "Flatten", "config": {}},
    {"class_name": "RepeatVector", "config": {"n": 2}}])"), {ksave::kUnknown, 3, 3, 2}),
                                        {ramp({2, 3, 3, 2})}, "reshaping2d");
  ksave::test::check_weight_round_trips(ksave::test::sequential_of_layers(Json::parse(R"([
    {"class_name": "ZeroPadding1D", "config": {"padding": [1, 2]}},
    {"class_name": "Cropping1D", "config": {"cropping": [0, 1]}},
    {"class_name": "UpSampling1D", "config": {"size": 2}}])"), {ksave::kUnknown, 4, 3}),
                                        {ramp({2, 4, 3})}, "reshaping1d");
  ksave::test::check_weight_round_trips(ksave::test::sequential_of("Reshape", {{"target_shape", {2, -1}}}, {ksave::kUnknown, 6}),
                                        {ramp({2, 6})}, "reshape");
}

BOOST_AUTO_TEST_CASE(padding_cropping_upsampling_3d) {
  // Keras's defaults: one cell on every side for ZeroPadding3D and Cropping3D, 2 for UpSampling3D.
  BOOST_TEST(layer_from("ZeroPadding3D", Json::object())->get_config()["padding"].dump() == "[[1,1],[1,1],[1,1]]");
  BOOST_TEST(layer_from("Cropping3D", Json::object())->get_config()["cropping"].dump() == "[[1,1],[1,1],[1,1]]");
  const auto up = layer_from("UpSampling3D", Json::object());
  BOOST_TEST(up->get_config()["size"].dump() == "[2,2,2]");
  BOOST_TEST(!up->get_config().contains("interpolation"));
  for (const auto& [cls, config] : std::vector<std::pair<const char*, Json>>{
           {"ZeroPadding3D", {{"padding", {1, 2, 0}}}}, {"Cropping3D", {{"cropping", {{1, 0}, {0, 1}, {2, 0}}}, {"data_format", "channels_first"}}},
           {"UpSampling3D", {{"size", {1, 2, 3}}}}})
    ksave::test::config_round_trips(layer_from(cls, config));
  const Tensor x = iota({1, 2, 2, 2, 1});
  const auto pad = layer_from("ZeroPadding3D", {{"padding", {{1, 0}, {0, 0}, {0, 1}}}});
  const Tensor padded = (*pad)(x);
  BOOST_TEST(padded.shape() == (ksave::Shape{1, 3, 2, 3, 1}));
  BOOST_TEST(padded.to_vector<float>() == (std::vector<float>{0, 0, 0, 0, 0, 0, 1, 2, 0, 3, 4, 0, 5, 6, 0, 7, 8, 0}), tt::per_element());
  const auto crop = layer_from("Cropping3D", {{"cropping", {{1, 0}, {0, 1}, {0, 0}}}});
  BOOST_TEST((*crop)(x).to_vector<float>() == (std::vector<float>{5, 6}), tt::per_element());
  BOOST_TEST(crop->output_shapes({{ksave::kUnknown, 2, 2, 2, 1}}).at(0) == (ksave::Shape{ksave::kUnknown, 1, 1, 2, 1}));
  const auto up2 = layer_from("UpSampling3D", {{"size", {2, 1, 1}}});
  BOOST_TEST((*up2)(x).to_vector<float>() == (std::vector<float>{1, 2, 3, 4, 1, 2, 3, 4, 5, 6, 7, 8, 5, 6, 7, 8}), tt::per_element());
  ksave::test::layer_gradients_match(layer_from("ZeroPadding3D", {{"padding", 1}}), {ramp({1, 2, 2, 2, 2})});
  ksave::test::layer_gradients_match(layer_from("Cropping3D", Json::object()), {ramp({1, 3, 3, 4, 2})});
  ksave::test::layer_gradients_match(layer_from("UpSampling3D", {{"size", {2, 1, 2}}}), {ramp({1, 2, 2, 2, 2})});
  ksave::test::check_weight_round_trips(ksave::test::sequential_of_layers(Json::parse(R"([
    {"class_name": "ZeroPadding3D", "config": {"padding": [[1, 2], [0, 1], [1, 0]]}},
    {"class_name": "Cropping3D", "config": {"cropping": [[1, 0], [0, 1], [0, 0]]}},
    {"class_name": "UpSampling3D", "config": {"size": [2, 1, 2]}}])"), {ksave::kUnknown, 2, 3, 2, 2}),
                                        {ramp({2, 2, 3, 2, 2})}, "reshaping3d");
}
