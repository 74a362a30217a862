// Dense and Conv1D/Conv2D with their bias and ReLU fused into the oneDNN product (FusedMatMul,
// FusedConv2D, used outside tapes and tracers): the same numbers as the separate MatMul/Conv2D,
// BiasAdd and activation ops (which a tape gets), for every activation (non-ReLU ones run after
// the fused product and bias), without bias, channels_first, causal, groups, rank-3 inputs and
// both product sizes (sgemm plus one pass for tiny ones, a primitive for the others); a Dense
// kernel's new values reaching its packed copy; the ops checked against the separate ops
// directly; and their errors.
#include <boost/test/unit_test.hpp>

#include "../layer_checks/layer_checks.hpp"
#include "support/error_checks.hpp"
#include "support/fused_paths.hpp"

using namespace ksave;
using ksave::test::layer_from;
using ksave::test::ramp;

namespace {

// The layer built on `x`, its weights set to spread values (so ReLU zeroes some outputs).
LayerPtr with_spread_weights(LayerPtr layer, const Tensor& x) {
  (*layer)(x);
  std::vector<Tensor> weights;
  unsigned seed = 11;
  for (const Tensor& w : layer->get_weights()) weights.push_back(ramp(w.shape(), 0.6f, seed++));
  layer->set_weights(weights);
  return layer;
}

void expect_same_numbers(const std::string& class_name, const Json& config, const Shape& input_shape) {
  const Tensor x = ramp(input_shape, 1.0f, 3);
  const LayerPtr layer = with_spread_weights(layer_from(class_name, config), x);
  const double difference = test::fused_vs_separate_difference(layer, {x});
  BOOST_TEST(difference <= 1e-6, class_name << " " << config.dump() << ": fused and separate differ by " << difference);
}

Attrs fused_attrs(const std::string& activation) {
  Attrs attrs;
  attrs.set("activation", activation);
  return attrs;
}

}  // namespace

BOOST_AUTO_TEST_CASE(dense_gives_the_same_numbers_fused_and_separate) {
  for (const char* activation : {"relu", "linear", "softmax", "sigmoid"}) {
    expect_same_numbers("Dense", {{"units", 8}, {"activation", activation}}, {1, 16});       // sgemm + one pass
    expect_same_numbers("Dense", {{"units", 96}, {"activation", activation}}, {64, 200});   // primitive
  }
  expect_same_numbers("Dense", {{"units", 96}, {"activation", "relu"}, {"use_bias", false}}, {64, 200});
  expect_same_numbers("Dense", {{"units", 5}, {"activation", "relu"}}, {4, 3, 7});  // over the last axis
}

// At inference a Dense kernel is packed into the product's own layout at its second call
// (linalg.cpp): values set afterwards, by set_weights or by assigning the variable, must reach
// the next calls, the first (read as it is), the second (packed) and the third (packed before).
BOOST_AUTO_TEST_CASE(a_packed_dense_kernel_follows_its_new_values) {
  const Tensor x = ramp({64, 200}, 1.0f, 3);
  const LayerPtr layer = with_spread_weights(layer_from("Dense", {{"units", 96}, {"activation", "relu"}}), x);
  const Tensor before = (*layer)(x);
  BOOST_TEST(max_abs_difference((*layer)(x), before) == 0.0);  // packed: the same bits
  layer->set_weights({ramp({200, 96}, 0.6f, 21), ramp({96}, 0.5f, 22)});
  BOOST_TEST(max_abs_difference((*layer)(x), before) > 0.1);
  for (int call = 0; call < 3; ++call) BOOST_TEST(test::fused_vs_separate_difference(layer, {x}) <= 1e-6);
  layer->weights().at(0)->assign(ramp({200, 96}, 0.6f, 23));
  for (int call = 0; call < 3; ++call) BOOST_TEST(test::fused_vs_separate_difference(layer, {x}) <= 1e-6);
}

BOOST_AUTO_TEST_CASE(convolutions_give_the_same_numbers_fused_and_separate) {
  for (const char* activation : {"relu", "linear", "tanh"})
    expect_same_numbers("Conv2D", {{"filters", 16}, {"kernel_size", 3}, {"activation", activation}}, {8, 12, 12, 3});
  expect_same_numbers("Conv2D", {{"filters", 6}, {"kernel_size", 3}, {"strides", 2}, {"padding", "same"},
                                 {"activation", "relu"}, {"use_bias", false}}, {2, 9, 7, 4});
  expect_same_numbers("Conv2D", {{"filters", 6}, {"kernel_size", {2, 3}}, {"groups", 2}, {"dilation_rate", 2},
                                 {"activation", "relu"}}, {2, 9, 9, 4});
  expect_same_numbers("Conv2D", {{"filters", 5}, {"kernel_size", 3}, {"data_format", "channels_first"},
                                 {"activation", "relu"}}, {2, 3, 8, 8});
  expect_same_numbers("Conv1D", {{"filters", 4}, {"kernel_size", 3}, {"padding", "causal"}, {"dilation_rate", 2},
                                 {"activation", "relu"}}, {3, 10, 2});
}

BOOST_AUTO_TEST_CASE(fused_ops_equal_the_separate_ops) {
  const Tensor x = ramp({2, 6, 5, 3}, 1.0f, 5);
  const Tensor filter = ramp({3, 3, 3, 4}, 0.5f, 6);
  const Tensor bias = ramp({4}, 0.5f, 7);
  Attrs conv = fused_attrs("relu");
  conv.set("strides", std::vector<std::int64_t>{1, 1, 1, 1});
  conv.set("padding", std::string("SAME"));
  const Tensor fused_conv = run_op("FusedConv2D", std::vector<Tensor>{x, filter, bias}, conv)[0];
  ops::Window2D same;
  same.padding = "SAME";
  BOOST_TEST(max_abs_difference(fused_conv, ops::relu(ops::bias_add(ops::conv2d(x, filter, same), bias))) <= 1e-6);

  const Tensor a = ramp({40, 300}, 1.0f, 8), b = ramp({300, 70}, 0.2f, 9), c = ramp({70}, 0.5f, 10);
  const Tensor fused_matmul = run_op("FusedMatMul", std::vector<Tensor>{a, b, c}, fused_attrs("relu"))[0];
  BOOST_TEST(max_abs_difference(fused_matmul, ops::relu(ops::bias_add(ops::matmul(a, b), c))) <= 1e-6);
  const Tensor no_bias = run_op("FusedMatMul", std::vector<Tensor>{a, b}, fused_attrs("linear"))[0];
  BOOST_TEST(max_abs_difference(no_bias, ops::matmul(a, b)) == 0.0);
}

BOOST_AUTO_TEST_CASE(fused_ops_refuse_bad_input_and_tapes) {
  const Tensor a = ramp({2, 3}), b = ramp({3, 4});
  BOOST_TEST(test::mentions(test::error_of([&] { run_op("FusedMatMul", std::vector<Tensor>{a, b, ramp({3})}); }),
                            {"FusedMatMul", "bias is", "expected (4,)"}));
  BOOST_TEST(test::mentions(test::error_of([&] { run_op("FusedMatMul", std::vector<Tensor>{a, b}, fused_attrs("gelu")); }),
                            {"FusedMatMul", "'activation'", "\"gelu\""}));
  GradientTape tape;
  BOOST_TEST(test::mentions(test::error_of([&] { run_op("FusedMatMul", std::vector<Tensor>{a, b}); }),
                            {"FusedMatMul", "inference-only", "tape"}));
}
