// GlobalMax/GlobalAveragePooling1D/2D: configs, values (keepdims, channels_first), the tfjs
// oracle's global_pooling case, gradients and round trips through every format.
#define BOOST_TEST_MODULE global_pooling plugin
#include <boost/test/unit_test.hpp>

#include "../layer_checks/layer_checks.hpp"

using ksave::Json;
using ksave::Tensor;
using ksave::test::layer_from;
using ksave::test::ramp;

BOOST_AUTO_TEST_CASE(configs_round_trip) {
  for (const char* cls : {"GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalAveragePooling1D", "GlobalAveragePooling2D"}) {
    const auto l = layer_from(cls, Json::object());
    BOOST_TEST(l->get_config()["data_format"] == "channels_last");
    BOOST_TEST(l->get_config()["keepdims"] == false);
    ksave::test::config_round_trips(l);
    ksave::test::config_round_trips(layer_from(cls, {{"data_format", "channels_first"}, {"keepdims", true}}));
  }
  BOOST_TEST(layer_from("GlobalAvgPool2D", Json::object())->class_name() == "GlobalAveragePooling2D");
}

BOOST_AUTO_TEST_CASE(values_and_shapes) {
  const Tensor x = Tensor::from_vector<float>({1, 10, 2, 20, 3, 30, 6, 60}, {1, 2, 2, 2});
  BOOST_TEST((*layer_from("GlobalAveragePooling2D", Json::object()))(x).to_vector<float>() == (std::vector<float>{3, 30}), boost::test_tools::per_element());
  BOOST_TEST((*layer_from("GlobalMaxPooling2D", Json::object()))(x).to_vector<float>() == (std::vector<float>{6, 60}), boost::test_tools::per_element());
  const auto keep = layer_from("GlobalMaxPooling2D", {{"keepdims", true}});
  BOOST_TEST((*keep)(x).shape() == (ksave::Shape{1, 1, 1, 2}));
  BOOST_TEST(keep->output_shapes({{ksave::kUnknown, 4, 4, 2}}).at(0) == (ksave::Shape{ksave::kUnknown, 1, 1, 2}));
  const auto first = layer_from("GlobalAveragePooling1D", {{"data_format", "channels_first"}});
  const Tensor seq = Tensor::from_vector<float>({1, 2, 3, 10, 20, 30}, {1, 2, 3});
  BOOST_TEST((*first)(seq).to_vector<float>() == (std::vector<float>{2, 20}), boost::test_tools::per_element());
  BOOST_CHECK_THROW((*first)(ramp({2, 3})), ksave::Error);
}

BOOST_AUTO_TEST_CASE(tfjs_oracle_global_pooling_case) { ksave::test::check_oracle_predict_case("global_pooling"); }

BOOST_AUTO_TEST_CASE(gradients_match_finite_differences) {
  ksave::test::layer_gradients_match(layer_from("GlobalAveragePooling2D", Json::object()), {ramp({2, 3, 4, 2})});
  ksave::test::layer_gradients_match(layer_from("GlobalMaxPooling1D", Json::object()), {ramp({2, 5, 3}, 10.0f)});
}

BOOST_AUTO_TEST_CASE(round_trip_through_every_format) {
  for (const char* cls : {"GlobalAveragePooling2D", "GlobalMaxPooling2D"})
    ksave::test::check_weight_round_trips(ksave::test::sequential_of(cls, Json::object(), {ksave::kUnknown, 4, 4, 3}),
                                          {ramp({2, 4, 4, 3})}, cls);
  for (const char* cls : {"GlobalAveragePooling1D", "GlobalMaxPooling1D"})
    ksave::test::check_weight_round_trips(ksave::test::sequential_of(cls, {{"keepdims", true}}, {ksave::kUnknown, 5, 3}),
                                          {ramp({2, 5, 3})}, cls);
}
