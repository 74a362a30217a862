// Conv2DTranspose, DepthwiseConv2D and SeparableConv2D: configs, weight names and shapes, output
// shapes (Keras's deconv_output_length), values against TensorFlow.js (oracle_cases.mjs, an
// independent implementation; the interop suite's conv_variants case compares with real tf-keras
// and Keras 3), against equivalent Conv2D computations and a hand case, gradients and round trips
// through every format.
#define BOOST_TEST_MODULE conv_variants plugin
#include <boost/test/unit_test.hpp>

#include "../layer_checks/layer_checks.hpp"
#include "support/compare.hpp"
#include "support/oracle_node.hpp"

using ksave::Json;
using ksave::Tensor;
using ksave::test::layer_from;
using ksave::test::ramp;
namespace tt = boost::test_tools;

BOOST_AUTO_TEST_CASE(configs_round_trip) {
  const auto t = layer_from("Conv2DTranspose", {{"filters", 2}, {"kernel_size", 3}});
  BOOST_TEST(t->get_config()["output_padding"].is_null());
  BOOST_TEST(t->get_config().back().dump() == "null");  // output_padding last, as tf.keras
  ksave::test::config_round_trips(t);
  ksave::test::config_round_trips(layer_from("Conv2DTranspose", {{"filters", 2}, {"kernel_size", {3, 2}}, {"strides", 2}, {"padding", "same"}, {"output_padding", 1}}));
  const auto d = layer_from("DepthwiseConv2D", {{"kernel_size", 3}, {"depth_multiplier", 2}});
  BOOST_TEST(!d->get_config().contains("filters"));
  BOOST_TEST(d->get_config()["depthwise_initializer"]["class_name"] == "GlorotUniform");
  ksave::test::config_round_trips(d);
  const auto s = layer_from("SeparableConv2D", {{"filters", 4}, {"kernel_size", 3}, {"padding", "same"}});
  BOOST_TEST(s->get_config()["depth_multiplier"] == 1);
  ksave::test::config_round_trips(s);
  BOOST_CHECK_THROW(layer_from("Conv2DTranspose", {{"filters", 2}, {"kernel_size", 3}, {"strides", 2}, {"output_padding", 2}}), ksave::Error);
  BOOST_CHECK_THROW(layer_from("DepthwiseConv2D", {{"kernel_size", 3}, {"depth_multiplier", 0}}), ksave::Error);
}

BOOST_AUTO_TEST_CASE(weights_and_output_shapes) {
  const auto t = layer_from("Conv2DTranspose", {{"filters", 5}, {"kernel_size", 3}, {"strides", 2}});
  t->build(ksave::Shape{ksave::kUnknown, 4, 3, 2});
  BOOST_TEST(t->weights()[0]->value().shape() == (ksave::Shape{3, 3, 5, 2}));
  // valid: in * s + max(k - s, 0)
  BOOST_TEST(t->output_shapes({{ksave::kUnknown, 4, 3, 2}}).at(0) == (ksave::Shape{ksave::kUnknown, 9, 7, 5}));
  BOOST_TEST((*t)(ramp({1, 4, 3, 2})).shape() == (ksave::Shape{1, 9, 7, 5}));
  const auto same = layer_from("Conv2DTranspose", {{"filters", 1}, {"kernel_size", 3}, {"strides", 2}, {"padding", "same"}, {"output_padding", {1, 0}}});
  BOOST_TEST((*same)(ramp({1, 4, 3, 2})).shape() == (ksave::Shape{1, 8, 5, 1}));
  const auto s = layer_from("SeparableConv2D", {{"filters", 4}, {"kernel_size", 3}, {"depth_multiplier", 2}});
  s->build(ksave::Shape{ksave::kUnknown, 6, 6, 3});
  const auto w = s->weights();
  BOOST_TEST_REQUIRE(w.size() == 3u);
  BOOST_TEST(w[0]->name().find("depthwise_kernel") != std::string::npos);
  BOOST_TEST(w[0]->value().shape() == (ksave::Shape{3, 3, 3, 2}));
  BOOST_TEST(w[1]->name().find("pointwise_kernel") != std::string::npos);
  BOOST_TEST(w[1]->value().shape() == (ksave::Shape{1, 1, 6, 4}));
  BOOST_TEST(s->output_shapes({{ksave::kUnknown, 6, 6, 3}}).at(0) == (ksave::Shape{ksave::kUnknown, 4, 4, 4}));
  const auto d = layer_from("DepthwiseConv2D", {{"kernel_size", 2}, {"depth_multiplier", 3}});
  BOOST_TEST(d->output_shapes({{ksave::kUnknown, 5, 5, 2}}).at(0) == (ksave::Shape{ksave::kUnknown, 4, 4, 6}));
}

BOOST_AUTO_TEST_CASE(tfjs_computes_the_same_outputs) {
  const auto oracle = ksave::test::oracle_dir();
  KSAVE_REQUIRE_DATA(oracle, "the tfjs oracle");
  const auto cases = ksave::test::generate_oracle_cases(KSAVE_CONV_VARIANTS_ORACLE_CASES, "conv_variants_oracle");
  BOOST_TEST(cases.size() == 8u);  // every case of oracle_cases.mjs
  for (const auto& dir : cases) ksave::test::check_oracle_predict_case_at(dir);
}

BOOST_AUTO_TEST_CASE(transpose_hand_case_scatters_each_input) {
  // 2x2 input, 2x2 kernel of ones, stride 2, valid: every input value is copied to its own 2x2
  // block of the 4x4 output.
  const auto t = layer_from("Conv2DTranspose", {{"filters", 1}, {"kernel_size", 2}, {"strides", 2}, {"use_bias", false}});
  const Tensor x = Tensor::from_vector<float>({1, 2, 3, 4}, {1, 2, 2, 1});
  t->build(x.shape());
  t->set_weights({Tensor::from_vector<float>({1, 1, 1, 1}, {2, 2, 1, 1})});
  BOOST_TEST((*t)(x).to_vector<float>() == (std::vector<float>{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}), tt::per_element());
}

BOOST_AUTO_TEST_CASE(separable_equals_depthwise_then_pointwise) {
  const auto s = layer_from("SeparableConv2D", {{"filters", 3}, {"kernel_size", 3}, {"strides", 2}, {"padding", "same"}, {"depth_multiplier", 2}, {"bias_initializer", "ones"}});
  const auto d = layer_from("DepthwiseConv2D", {{"kernel_size", 3}, {"strides", 2}, {"padding", "same"}, {"depth_multiplier", 2}, {"use_bias", false}});
  const auto p = layer_from("Conv2D", {{"filters", 3}, {"kernel_size", 1}, {"bias_initializer", "ones"}});
  const Tensor x = ramp({2, 7, 6, 2});
  s->build(x.shape());
  d->build(x.shape());
  p->build(ksave::Shape{2, 4, 3, 4});
  const auto sw = s->get_weights();
  d->set_weights({sw[0]});
  p->set_weights({sw[1], sw[2]});
  BOOST_TEST(ksave::allclose((*s)(x), (*p)((*d)(x)), 1e-5, 1e-6));
}

// A dilated DepthwiseConv2D (which tfjs cannot check: it ignores the dilation) is, channel by
// channel, a dilated Conv2D of one filter, and Conv2D's dilation is checked against tfjs
// (conv2d_dilated_no_bias in the conv suite).
BOOST_AUTO_TEST_CASE(dilated_depthwise_equals_a_dilated_conv2d_per_channel) {
  const auto d = layer_from("DepthwiseConv2D", {{"kernel_size", 3}, {"dilation_rate", 2}, {"use_bias", false}});
  const Tensor x = ramp({2, 9, 9, 2});
  const Tensor y = (*d)(x);
  BOOST_TEST(y.shape() == (ksave::Shape{2, 5, 5, 2}));
  const Tensor kernel = d->get_weights().at(0);  // (3, 3, channels, 1)
  for (ksave::Dim c = 0; c < 2; ++c) {
    const auto conv = layer_from("Conv2D", {{"filters", 1}, {"kernel_size", 3}, {"dilation_rate", 2}, {"use_bias", false}});
    const Tensor channel = ksave::ops::slice(x, {0, 0, 0, c}, {-1, -1, -1, 1});
    conv->build(channel.shape());
    conv->set_weights({ksave::ops::slice(kernel, {0, 0, c, 0}, {-1, -1, 1, -1})});
    BOOST_TEST(ksave::test::close((*conv)(channel), ksave::ops::slice(y, {0, 0, 0, c}, {-1, -1, -1, 1}), {.rtol = 1e-5, .atol = 1e-6}),
               "channel " << c);
  }
}

BOOST_AUTO_TEST_CASE(channels_first_equals_transposed_channels_last) {
  for (const char* cls : {"Conv2DTranspose", "DepthwiseConv2D"}) {
    Json config{{"kernel_size", 3}, {"strides", 2}, {"padding", "same"}, {"bias_initializer", "ones"}};
    if (std::string(cls) == "Conv2DTranspose") config["filters"] = 2;
    const auto last = layer_from(cls, config);
    config["data_format"] = "channels_first";
    const auto first = layer_from(cls, config);
    const Tensor x = ramp({1, 4, 5, 3});
    last->build(x.shape());
    first->build(ksave::Shape{1, 3, 4, 5});
    first->set_weights(last->get_weights());
    const Tensor expected = ksave::ops::transpose((*last)(x), {0, 3, 1, 2});
    BOOST_TEST(ksave::allclose((*first)(ksave::ops::transpose(x, {0, 3, 1, 2})), expected, 1e-6, 1e-6), cls);
  }
}

BOOST_AUTO_TEST_CASE(gradients_match_finite_differences) {
  ksave::test::layer_gradients_match(layer_from("Conv2DTranspose", {{"filters", 2}, {"kernel_size", 3}, {"strides", 2}, {"padding", "same"}, {"bias_initializer", "ones"}}), {ramp({1, 3, 3, 2})});
  ksave::test::layer_gradients_match(layer_from("DepthwiseConv2D", {{"kernel_size", 2}, {"depth_multiplier", 2}}), {ramp({2, 4, 4, 2})});
  ksave::test::layer_gradients_match(layer_from("SeparableConv2D", {{"filters", 2}, {"kernel_size", 2}, {"padding", "same"}}), {ramp({1, 4, 3, 2})});
}

BOOST_AUTO_TEST_CASE(weights_round_trip_through_every_format) {
  for (const auto& [cls, config] : std::vector<std::pair<const char*, Json>>{
           {"Conv2DTranspose", {{"filters", 2}, {"kernel_size", 3}, {"strides", 2}, {"bias_initializer", "ones"}}},
           {"DepthwiseConv2D", {{"kernel_size", 3}, {"depth_multiplier", 2}, {"padding", "same"}}},
           {"SeparableConv2D", {{"filters", 3}, {"kernel_size", 3}}}})
    ksave::test::check_weight_round_trips(ksave::test::sequential_of(cls, config, {ksave::kUnknown, 5, 5, 2}), {ramp({2, 5, 5, 2})},
                                          cls);
}
