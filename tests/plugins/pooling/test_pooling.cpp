// MaxPooling1D/2D and AveragePooling1D/2D: configs (key order, Keras 1 spellings), hand cases
// (SAME averages count only the in-bounds cells, as TensorFlow), the tfjs oracle's
// avgpool_valid_and_same, op and layer gradients, and round trips through every format.
#define BOOST_TEST_MODULE pooling plugin
#include <boost/test/unit_test.hpp>

#include "../layer_checks/layer_checks.hpp"

using ksave::Json;
using ksave::Tensor;
using ksave::test::layer_from;
using ksave::test::ramp;

namespace {
std::vector<std::string> keys_of(const Json& c) {
  std::vector<std::string> keys;
  for (auto it = c.begin(); it != c.end(); ++it) keys.push_back(it.key());
  return keys;
}
Tensor grid(int h, int w) {
  std::vector<float> v;
  for (int i = 0; i < h * w; ++i) v.push_back(static_cast<float>(i + 1));
  return Tensor::from_vector<float>(v, {1, h, w, 1});
}
}  // namespace

BOOST_AUTO_TEST_CASE(configs_keys_defaults_and_round_trip) {
  const auto p2 = layer_from("MaxPooling2D", Json::object());
  BOOST_TEST(keys_of(p2->get_config()) == (std::vector<std::string>{"name", "trainable", "dtype", "pool_size", "padding", "strides", "data_format"}),
             boost::test_tools::per_element());
  BOOST_TEST(p2->get_config()["strides"].dump() == "[2,2]");  // defaults to pool_size
  const auto p1 = layer_from("AveragePooling1D", {{"pool_size", 3}});
  BOOST_TEST(keys_of(p1->get_config()) == (std::vector<std::string>{"name", "trainable", "dtype", "strides", "pool_size", "padding", "data_format"}),
             boost::test_tools::per_element());
  BOOST_TEST(p1->get_config()["strides"].dump() == "[3]");
  for (const auto& l : {p2, p1, layer_from("MaxPooling1D", {{"pool_size", 2}, {"strides", 1}, {"padding", "same"}}),
                        layer_from("AveragePooling2D", {{"pool_size", {3, 2}}, {"strides", {1, 2}}, {"data_format", "channels_first"}})})
    ksave::test::config_round_trips(l);
  // Keras 1.
  const auto old1 = layer_from("MaxPooling1D", {{"pool_length", 4}, {"stride", 2}, {"border_mode", "same"}});
  BOOST_TEST(old1->get_config()["pool_size"].dump() == "[4]");
  BOOST_TEST(old1->get_config()["strides"].dump() == "[2]");
  BOOST_TEST(old1->get_config()["padding"] == "same");
  const auto old2 = layer_from("MaxPooling2D", {{"pool_size", {2, 2}}, {"strides", nullptr}, {"border_mode", "valid"}, {"dim_ordering", "th"}});
  BOOST_TEST(old2->get_config()["data_format"] == "channels_first");
  BOOST_TEST(old2->get_config()["strides"].dump() == "[2,2]");
  BOOST_CHECK_THROW(layer_from("MaxPooling2D", {{"padding", "causal"}}), ksave::Error);
  BOOST_CHECK_THROW(layer_from("MaxPooling2D", {{"pool_size", 0}}), ksave::Error);
}

BOOST_AUTO_TEST_CASE(hand_computed_values) {
  const auto maxp = layer_from("MaxPooling2D", Json::object());
  BOOST_TEST((*maxp)(grid(4, 4)).to_vector<float>() == (std::vector<float>{6, 8, 14, 16}), boost::test_tools::per_element());
  // 3x3, pool 2, stride 2, SAME: one padded row/column at the bottom/right, not counted.
  const auto avg = layer_from("AveragePooling2D", {{"padding", "same"}});
  BOOST_TEST((*avg)(grid(3, 3)).to_vector<float>() == (std::vector<float>{3, 4.5f, 7.5f, 9}), boost::test_tools::per_element());
  const auto max_same = layer_from("MaxPooling2D", {{"padding", "same"}});
  BOOST_TEST((*max_same)(grid(3, 3)).to_vector<float>() == (std::vector<float>{5, 6, 8, 9}), boost::test_tools::per_element());
  // Negative values: SAME padding never wins a max.
  const Tensor neg = ksave::ops::neg(grid(3, 3));
  BOOST_TEST((*max_same)(neg).to_vector<float>() == (std::vector<float>{-1, -3, -7, -9}), boost::test_tools::per_element());
  // 1-D: (1, 5, 1), pool 2 stride 2 valid -> 2 outputs.
  const auto p1 = layer_from("MaxPooling1D", Json::object());
  const Tensor seq = Tensor::from_vector<float>({1, 5, 2, 4, 3}, {1, 5, 1});
  BOOST_TEST((*p1)(seq).to_vector<float>() == (std::vector<float>{5, 4}), boost::test_tools::per_element());
  BOOST_TEST(p1->output_shapes({{ksave::kUnknown, 5, 1}}).at(0) == (ksave::Shape{ksave::kUnknown, 2, 1}));
  const auto a1 = layer_from("AveragePooling1D", {{"pool_size", 2}, {"strides", 2}, {"padding", "same"}});
  BOOST_TEST((*a1)(seq).to_vector<float>() == (std::vector<float>{3, 3, 3}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(channels_first_equals_transposed_channels_last) {
  const auto last = layer_from("MaxPooling2D", {{"pool_size", 3}, {"strides", 2}, {"padding", "same"}});
  const auto first = layer_from("MaxPooling2D", {{"pool_size", 3}, {"strides", 2}, {"padding", "same"}, {"data_format", "channels_first"}});
  const Tensor x = ramp({2, 5, 6, 3});
  const Tensor expected = ksave::ops::transpose((*last)(x), {0, 3, 1, 2});
  BOOST_TEST(ksave::allclose((*first)(ksave::ops::transpose(x, {0, 3, 1, 2})), expected, 0.0, 0.0));
}

BOOST_AUTO_TEST_CASE(tfjs_oracle_avgpool_case) { ksave::test::check_oracle_predict_case("avgpool_valid_and_same"); }

BOOST_AUTO_TEST_CASE(op_and_layer_gradients_match_finite_differences) {
  const ksave::Attrs same{{"ksize", std::vector<std::int64_t>{1, 3, 2, 1}}, {"strides", std::vector<std::int64_t>{1, 2, 2, 1}}, {"padding", std::string("SAME")}};
  ksave::test::check_op_gradient("MaxPool", {ramp({2, 5, 5, 2}, 10.0f)}, same);
  ksave::test::check_op_gradient("AvgPool", {ramp({2, 5, 5, 2})}, same);
  ksave::Attrs grad_attrs = same;
  grad_attrs.set("orig_input_shape", std::vector<std::int64_t>{2, 5, 5, 2});
  ksave::test::check_op_gradient("AvgPoolGrad", {ramp({2, 3, 3, 2})}, grad_attrs);
  ksave::test::layer_gradients_match(layer_from("MaxPooling2D", {{"pool_size", 2}, {"strides", 1}}), {ramp({1, 4, 5, 2}, 10.0f)});
  ksave::test::layer_gradients_match(layer_from("AveragePooling1D", {{"pool_size", 3}, {"strides", 2}, {"padding", "same"}}), {ramp({2, 7, 2})});
  ksave::test::layer_gradients_match(layer_from("MaxPooling1D", {{"pool_size", 2}, {"data_format", "channels_first"}}), {ramp({2, 3, 6}, 10.0f)});
}

BOOST_AUTO_TEST_CASE(pooling_models_round_trip_through_every_format) {
  ksave::test::check_weight_round_trips(ksave::test::sequential_of_layers(Json::parse(R"([
    {"class_name": "MaxPooling2D", "config": {"pool_size": 3, "strides": 2, "padding": "same"}},
    {"class_name": "AveragePooling2D", "config": {"pool_size": 2, "strides": 1}}])"), {ksave::kUnknown, 7, 7, 2}),
                                        {ramp({2, 7, 7, 2})}, "pooling2d");
  ksave::test::check_weight_round_trips(ksave::test::sequential_of_layers(Json::parse(R"([
    {"class_name": "AveragePooling1D", "config": {"pool_size": 2}},
    {"class_name": "MaxPooling1D", "config": {"pool_size": 2, "padding": "same"}}])"), {ksave::kUnknown, 6, 3}),
                                        {ramp({2, 6, 3})}, "pooling1d");
}
