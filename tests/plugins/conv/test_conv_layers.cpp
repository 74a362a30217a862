// Conv1D and Conv2D layers: configs (tf.keras 2.x keys and order, Keras 1 spellings), forward
// values (hand cases, causal padding, channels_first, the tfjs oracle's conv cases), taped
// gradients against finite differences, and weights through every format.
#include <boost/test/unit_test.hpp>

#include "../layer_checks/layer_checks.hpp"

using ksave::Json;
using ksave::Tensor;
using ksave::test::layer_from;
using ksave::test::ramp;

BOOST_AUTO_TEST_CASE(conv2d_config_keys_defaults_and_round_trip) {
  const auto layer = layer_from("Conv2D", {{"filters", 4}, {"kernel_size", 3}});
  const Json c = layer->get_config();
  std::vector<std::string> keys;
  for (auto it = c.begin(); it != c.end(); ++it) keys.push_back(it.key());
  const std::vector<std::string> expected{"name", "trainable", "dtype", "filters", "kernel_size", "strides",
      "padding", "data_format", "dilation_rate", "groups", "activation", "use_bias", "kernel_initializer",
      "bias_initializer", "kernel_regularizer", "bias_regularizer", "activity_regularizer",
      "kernel_constraint", "bias_constraint"};
  BOOST_TEST(keys == expected, boost::test_tools::per_element());
  BOOST_TEST(c["kernel_size"].dump() == "[3,3]");
  BOOST_TEST(c["strides"].dump() == "[1,1]");
  BOOST_TEST(c["padding"] == "valid");
  BOOST_TEST(c["data_format"] == "channels_last");
  BOOST_TEST(c["activation"] == "linear");
  ksave::test::config_round_trips(layer);
  ksave::test::config_round_trips(layer_from("Conv2D", {{"filters", 6}, {"kernel_size", {2, 3}}, {"strides", {2, 1}},
      {"padding", "same"}, {"dilation_rate", 1}, {"groups", 2}, {"activation", "relu"}, {"use_bias", false},
      {"kernel_regularizer", {{"class_name", "L2"}, {"config", {{"l2", 0.01}}}}}}));
  ksave::test::config_round_trips(layer_from("Conv1D", {{"filters", 2}, {"kernel_size", 4}, {"padding", "causal"}, {"dilation_rate", 2}}));
}

BOOST_AUTO_TEST_CASE(keras1_convolution_configs_read_as_conv_layers) {
  const auto conv2 = layer_from("Convolution2D", {{"nb_filter", 8}, {"nb_row", 3}, {"nb_col", 2}, {"border_mode", "same"},
      {"subsample", {2, 2}}, {"dim_ordering", "th"}, {"init", "he_normal"}, {"bias", false}, {"activation", "relu"}});
  BOOST_TEST(conv2->class_name() == "Conv2D");
  const Json c = conv2->get_config();
  BOOST_TEST(c["filters"] == 8);
  BOOST_TEST(c["kernel_size"].dump() == "[3,2]");
  BOOST_TEST(c["padding"] == "same");
  BOOST_TEST(c["strides"].dump() == "[2,2]");
  BOOST_TEST(c["data_format"] == "channels_first");
  BOOST_TEST(c["use_bias"] == false);
  const auto conv1 = layer_from("Convolution1D", {{"nb_filter", 5}, {"filter_length", 3}, {"subsample_length", 2}, {"border_mode", "valid"}});
  BOOST_TEST(conv1->class_name() == "Conv1D");
  BOOST_TEST(conv1->get_config()["kernel_size"].dump() == "[3]");
  BOOST_TEST(conv1->get_config()["strides"].dump() == "[2]");
  // Keras 1 gives a first Convolution1D's input as input_dim + input_length.
  const auto first = layer_from("Convolution1D", {{"nb_filter", 2}, {"filter_length", 3}, {"input_dim", 4}, {"input_length", 10}});
  BOOST_TEST(first->get_config()["batch_input_shape"].dump() == "[null,10,4]");
  BOOST_CHECK_THROW(layer_from("Conv2D", {{"filters", 0}, {"kernel_size", 3}}), ksave::Error);
  BOOST_CHECK_THROW(layer_from("Conv2D", {{"filters", 4}, {"kernel_size", 3}, {"padding", "causal"}}), ksave::Error);
  BOOST_CHECK_THROW(layer_from("Conv2D", {{"filters", 3}, {"kernel_size", 3}, {"groups", 2}}), ksave::Error);
}

BOOST_AUTO_TEST_CASE(conv2d_weights_names_shapes_and_output_shape) {
  const auto layer = layer_from("Conv2D", {{"filters", 6}, {"kernel_size", {3, 2}}, {"strides", 2}, {"padding", "same"}, {"groups", 3}});
  const auto shapes = layer->output_shapes({{ksave::kUnknown, 9, 8, 6}});
  BOOST_TEST(shapes.at(0) == (ksave::Shape{ksave::kUnknown, 5, 4, 6}));
  layer->build(ksave::Shape{ksave::kUnknown, 9, 8, 6});
  const auto w = layer->weights();
  BOOST_TEST_REQUIRE(w.size() == 2u);
  BOOST_TEST(w[0]->name().find("kernel") != std::string::npos);
  BOOST_TEST(w[0]->value().shape() == (ksave::Shape{3, 2, 2, 6}));
  BOOST_TEST(w[1]->value().shape() == (ksave::Shape{6}));
  // The computed output agrees with compute_output_shape.
  BOOST_TEST((*layer)(ramp({2, 9, 8, 6})).shape() == (ksave::Shape{2, 5, 4, 6}));
}

BOOST_AUTO_TEST_CASE(conv1d_causal_and_same_even_kernel) {
  // Causal: y[t] = sum_k w[k] x[t - d*(K-1) + d*k], zeros before the start.
  const auto layer = layer_from("Conv1D", {{"filters", 1}, {"kernel_size", 2}, {"padding", "causal"}, {"dilation_rate", 2}, {"use_bias", false}});
  const Tensor x = Tensor::from_vector<float>({1, 2, 3, 4, 5}, {1, 5, 1});
  layer->build(x.shape());
  layer->set_weights({Tensor::from_vector<float>({10, 1}, {2, 1, 1})});
  BOOST_TEST((*layer)(x).to_vector<float>() == (std::vector<float>{1, 2, 13, 24, 35}), boost::test_tools::per_element());
  // Same with an even kernel: TF pads 1 before and 2 after for K = 4, stride 1.
  const auto same = layer_from("Conv1D", {{"filters", 1}, {"kernel_size", 4}, {"padding", "same"}, {"use_bias", false}});
  same->build(x.shape());
  same->set_weights({Tensor::from_vector<float>({1, 10, 100, 1000}, {4, 1, 1})});
  // y[0] = 0*1 + 1*10 + 2*100 + 3*1000
  BOOST_TEST((*same)(x).to_vector<float>() == (std::vector<float>{3210, 4321, 5432, 543, 54}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(channels_first_equals_transposed_channels_last) {
  const auto last = layer_from("Conv2D", {{"filters", 3}, {"kernel_size", 3}, {"padding", "same"}, {"bias_initializer", "ones"}});
  const auto first = layer_from("Conv2D", {{"filters", 3}, {"kernel_size", 3}, {"padding", "same"}, {"data_format", "channels_first"}, {"bias_initializer", "ones"}});
  const Tensor x = ramp({2, 5, 4, 2});
  last->build(x.shape());
  first->build(ksave::Shape{2, 2, 5, 4});
  first->set_weights(last->get_weights());
  const Tensor expected = ksave::ops::transpose((*last)(x), {0, 3, 1, 2});
  const Tensor got = (*first)(ksave::ops::transpose(x, {0, 3, 1, 2}));
  BOOST_TEST(ksave::allclose(got, expected, 1e-6, 1e-6));
  BOOST_TEST(first->output_shapes({{ksave::kUnknown, 2, 5, 4}}).at(0) == (ksave::Shape{ksave::kUnknown, 3, 5, 4}));
}

BOOST_AUTO_TEST_CASE(conv_layer_gradients_match_finite_differences) {
  ksave::test::layer_gradients_match(
      layer_from("Conv2D", {{"filters", 3}, {"kernel_size", 3}, {"strides", 2}, {"padding", "same"},
                            {"activation", "tanh"}, {"bias_initializer", "ones"}}),
      {ramp({2, 5, 6, 2})});
  ksave::test::layer_gradients_match(
      layer_from("Conv1D", {{"filters", 2}, {"kernel_size", 3}, {"padding", "causal"}, {"dilation_rate", 2}}),
      {ramp({2, 7, 3})});
  ksave::test::layer_gradients_match(
      layer_from("Conv2D", {{"filters", 4}, {"kernel_size", 2}, {"groups", 2}, {"data_format", "channels_first"}}),
      {ramp({1, 4, 4, 3})});
}

BOOST_AUTO_TEST_CASE(tfjs_oracle_conv_cases) {
  for (const char* name : {"conv2d_valid", "conv2d_same_stride2_even", "conv2d_same_stride2_odd_rect",
                           "conv2d_dilated_no_bias", "conv_maxpool_flatten"})
    ksave::test::check_oracle_predict_case(name);
}

BOOST_AUTO_TEST_CASE(conv_weights_round_trip_through_every_format) {
  const auto model = ksave::test::sequential_of("Conv2D",
      {{"filters", 3}, {"kernel_size", 3}, {"padding", "same"}, {"bias_initializer", "ones"}}, {ksave::kUnknown, 6, 6, 2});
  ksave::test::check_weight_round_trips(model, {ramp({2, 6, 6, 2})}, "conv2d");
  const auto conv1d = ksave::test::sequential_of("Conv1D",
      {{"filters", 2}, {"kernel_size", 3}, {"padding", "causal"}}, {ksave::kUnknown, 8, 3});
  ksave::test::check_weight_round_trips(conv1d, {ramp({2, 8, 3})}, "conv1d");
  // Grouped kernels (in/groups input channels), dilation, no bias, channels_first.
  const auto grouped = ksave::test::sequential_of("Conv2D", {{"filters", 4}, {"kernel_size", 2}, {"groups", 2},
      {"dilation_rate", 2}, {"use_bias", false}, {"data_format", "channels_first"}}, {ksave::kUnknown, 4, 5, 5});
  ksave::test::check_weight_round_trips(grouped, {ramp({2, 4, 5, 5})}, "conv2d_grouped_channels_first");
}
