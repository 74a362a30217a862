// Conv1DTranspose, DepthwiseConv1D and SeparableConv1D: configs, weight shapes, each equal to its
// 2-D layer on a height-1 input (whose values tfjs checks above; the interop suite's
// conv_variants_1d case compares with real tf-keras and Keras 3), gradients and every format.
#include <boost/test/unit_test.hpp>

#include "../layer_checks/layer_checks.hpp"

using ksave::Json;
using ksave::Tensor;
using ksave::test::layer_from;
using ksave::test::ramp;

namespace {

struct Pair {
  const char* one_d;
  const char* two_d;
  Json config_1d, config_2d;
};

const std::vector<Pair>& pairs() {
  static const std::vector<Pair> table = {
      {"Conv1DTranspose", "Conv2DTranspose",
       {{"filters", 3}, {"kernel_size", 3}, {"strides", 2}, {"padding", "same"}, {"bias_initializer", "ones"}},
       {{"filters", 3}, {"kernel_size", {1, 3}}, {"strides", {1, 2}}, {"padding", "same"}, {"bias_initializer", "ones"}}},
      {"Conv1DTranspose", "Conv2DTranspose",
       {{"filters", 2}, {"kernel_size", 2}, {"strides", 3}, {"output_padding", 1}},
       {{"filters", 2}, {"kernel_size", {1, 2}}, {"strides", {1, 3}}, {"output_padding", {0, 1}}}},
      {"DepthwiseConv1D", "DepthwiseConv2D",
       {{"kernel_size", 3}, {"depth_multiplier", 2}, {"dilation_rate", 2}, {"padding", "same"}},
       {{"kernel_size", {1, 3}}, {"depth_multiplier", 2}, {"dilation_rate", {1, 2}}, {"padding", "same"}}},
      {"SeparableConv1D", "SeparableConv2D",
       {{"filters", 4}, {"kernel_size", 3}, {"strides", 2}, {"depth_multiplier", 2}},
       {{"filters", 4}, {"kernel_size", {1, 3}}, {"strides", {1, 2}}, {"depth_multiplier", 2}}},
  };
  return table;
}

}  // namespace

BOOST_AUTO_TEST_CASE(one_d_configs_round_trip) {
  for (const Pair& p : pairs()) ksave::test::config_round_trips(layer_from(p.one_d, p.config_1d));
  const auto t = layer_from("Conv1DTranspose", {{"filters", 2}, {"kernel_size", 3}});
  BOOST_TEST(t->get_config()["kernel_size"].dump() == "[3]");
  BOOST_TEST(t->get_config()["groups"] == 1);
  BOOST_TEST(layer_from("SeparableConv1D", {{"filters", 2}, {"kernel_size", 3}})->get_config().contains("pointwise_initializer"));
  BOOST_CHECK_THROW(layer_from("Conv1DTranspose", {{"filters", 2}, {"kernel_size", 3}, {"strides", 2}, {"output_padding", 2}}),
                    ksave::Error);
  BOOST_CHECK_THROW(layer_from("DepthwiseConv1D", {{"kernel_size", {3, 3}}}), ksave::Error);
}

BOOST_AUTO_TEST_CASE(one_d_weights_and_output_shapes) {
  const auto t = layer_from("Conv1DTranspose", {{"filters", 5}, {"kernel_size", 3}, {"strides", 2}});
  t->build(ksave::Shape{ksave::kUnknown, 4, 2});
  BOOST_TEST(t->weights()[0]->value().shape() == (ksave::Shape{3, 5, 2}));
  BOOST_TEST(t->output_shapes({{ksave::kUnknown, 4, 2}}).at(0) == (ksave::Shape{ksave::kUnknown, 9, 5}));
  const auto s = layer_from("SeparableConv1D", {{"filters", 4}, {"kernel_size", 3}, {"depth_multiplier", 2}});
  s->build(ksave::Shape{ksave::kUnknown, 6, 3});
  BOOST_TEST(s->weights()[0]->value().shape() == (ksave::Shape{3, 3, 2}));
  BOOST_TEST(s->weights()[1]->value().shape() == (ksave::Shape{1, 6, 4}));
  const auto d = layer_from("DepthwiseConv1D", {{"kernel_size", 2}, {"depth_multiplier", 3}});
  BOOST_TEST(d->output_shapes({{ksave::kUnknown, 5, 2}}).at(0) == (ksave::Shape{ksave::kUnknown, 4, 6}));
  BOOST_CHECK_THROW(layer_from("DepthwiseConv1D", {{"kernel_size", 2}})->build(ksave::Shape{ksave::kUnknown, 5, 5, 2}), ksave::Error);
}

BOOST_AUTO_TEST_CASE(one_d_layers_equal_their_2d_layer_on_a_height_of_one) {
  for (const Pair& p : pairs()) {
    const auto one = layer_from(p.one_d, p.config_1d);
    const auto two = layer_from(p.two_d, p.config_2d);
    const Tensor x = ramp({2, 7, 3});
    one->build(x.shape());
    two->build(ksave::Shape{2, 1, 7, 3});
    std::vector<Tensor> weights;
    for (const Tensor& w : one->get_weights()) weights.push_back(w.rank() == 1 ? w : ksave::ops::expand_dims(w, 0));
    two->set_weights(weights);
    const Tensor expected = ksave::ops::squeeze((*two)(ksave::ops::expand_dims(x, 1)), {1});
    BOOST_TEST(ksave::allclose((*one)(x), expected, 1e-6, 1e-6), p.one_d);
  }
}

BOOST_AUTO_TEST_CASE(one_d_channels_first_equals_transposed_channels_last) {
  for (const Pair& p : pairs()) {
    Json config = p.config_1d;
    const auto last = layer_from(p.one_d, config);
    config["data_format"] = "channels_first";
    const auto first = layer_from(p.one_d, config);
    const Tensor x = ramp({1, 6, 2});
    last->build(x.shape());
    first->build(ksave::Shape{1, 2, 6});
    first->set_weights(last->get_weights());
    const Tensor expected = ksave::ops::transpose((*last)(x), {0, 2, 1});
    BOOST_TEST(ksave::allclose((*first)(ksave::ops::transpose(x, {0, 2, 1})), expected, 1e-6, 1e-6), p.one_d);
  }
}

BOOST_AUTO_TEST_CASE(one_d_gradients_match_finite_differences) {
  for (const Pair& p : pairs()) ksave::test::layer_gradients_match(layer_from(p.one_d, p.config_1d), {ramp({2, 5, 2})});
}

BOOST_AUTO_TEST_CASE(one_d_weights_round_trip_through_every_format) {
  int n = 0;
  for (const Pair& p : pairs())
    ksave::test::check_weight_round_trips(ksave::test::sequential_of(p.one_d, p.config_1d, {ksave::kUnknown, 6, 2}),
                                          {ramp({2, 6, 2})}, std::string(p.one_d) + "_" + std::to_string(n++));
}
