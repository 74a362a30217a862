// Masking: the zeroed output, the mask it computes (all features equal to mask_value), that mask
// reaching an LSTM as Keras's (the masked steps are skipped: the same result as the sequence with
// them removed), config, gradients and every format. The interop suite's masking case compares
// with real tf-keras and Keras 3.
#define BOOST_TEST_MODULE masking plugin
#include <boost/test/unit_test.hpp>

#include "../layer_checks/layer_checks.hpp"

using ksave::Json;
using ksave::Tensor;
using ksave::test::layer_from;
using ksave::test::ramp;
namespace tt = boost::test_tools;

BOOST_AUTO_TEST_CASE(zeroes_and_masks_the_steps_equal_to_mask_value) {
  const auto layer = layer_from("Masking", {{"mask_value", 2.0}});
  ksave::test::config_round_trips(layer);
  BOOST_TEST(layer_from("Masking", Json::object())->get_config()["mask_value"] == 0.0);
  const Tensor x = Tensor::from_vector<float>({2, 2, 1, 2, 2, 2, 3, 4}, {1, 4, 2});
  BOOST_TEST((*layer)(x).to_vector<float>() == (std::vector<float>{0, 0, 1, 2, 0, 0, 3, 4}), tt::per_element());
  const auto masks = layer->compute_mask({x}, {Tensor()}, 1);
  BOOST_TEST_REQUIRE(masks.at(0).defined());
  BOOST_TEST(masks[0].shape() == (ksave::Shape{1, 4}));
  const bool* m = masks[0].data<bool>();
  BOOST_TEST((std::vector<bool>(m, m + 4) == std::vector<bool>{false, true, false, true}));
  BOOST_CHECK_THROW((*layer)(Tensor::from_vector<float>({1, 2}, {2})), ksave::Error);
}

BOOST_AUTO_TEST_CASE(an_lstm_skips_the_masked_steps) {
  // Steps 1 and 3 of the first sample are masked: its output is the LSTM over steps 0 and 2.
  const auto masking = layer_from("Masking", Json::object());
  const auto lstm = layer_from("LSTM", {{"units", 3}});
  const auto inputs = ksave::Input({4, 2});
  const auto model = std::make_shared<ksave::Functional>(ksave::KerasTensors{inputs}, ksave::KerasTensors{(*lstm)((*masking)(inputs))});
  std::vector<float> values = ramp({1, 4, 2}).to_vector<float>();
  for (std::size_t i : {2u, 3u, 6u, 7u}) values[i] = 0.0f;
  const Tensor y = model->predict(Tensor::from_vector<float>(values, {1, 4, 2}));
  const Tensor kept = Tensor::from_vector<float>({values[0], values[1], values[4], values[5]}, {1, 2, 2});
  BOOST_TEST(ksave::allclose(y, (*lstm)(kept), 1e-6, 1e-7));
  BOOST_TEST(!ksave::allclose(y, (*lstm)(Tensor::from_vector<float>(values, {1, 4, 2})), 1e-4, 1e-4));  // the mask matters
}

BOOST_AUTO_TEST_CASE(gradients_and_formats) {
  ksave::test::layer_gradients_match(layer_from("Masking", {{"mask_value", 5.0}}), {ramp({2, 3, 2})});
  ksave::test::check_weight_round_trips(ksave::test::sequential_of_layers(Json::parse(R"([
    {"class_name": "Masking", "config": {"mask_value": 0.25}},
    {"class_name": "LSTM", "config": {"units": 2}}])"), {ksave::kUnknown, 3, 2}),
                                        {ramp({2, 3, 2})}, "masking_lstm");
}
