// applications_layers plugin: ConvNeXt's LayerScale and StochasticDepth with the configs
// keras.applications writes (checked on real ConvNeXt files in the interop suite), LayerScale's
// gamma through every format and its gradients, StochasticDepth's inference identity and
// per-sample drop in training.
#define BOOST_TEST_MODULE applications_layers
#include <boost/test/unit_test.hpp>

#include "layer_zoo_support/layer_checks.hpp"

using namespace ksave;
using namespace ksave::test::zoo;

BOOST_AUTO_TEST_CASE(layer_scale_multiplies_each_channel) {
  const Json config = Json::parse(R"({"name": "convnext_tiny_stage_0_block_0_layer_scale", "trainable": true,
    "dtype": "float32", "init_values": 1e-06, "projection_dim": 3})");
  check_config_round_trip("LayerScale", config);
  LayerPtr scale = layer_from("LayerScale", config);
  scale->build(Shape{kUnknown, 2, 2, 3});
  BOOST_TEST_REQUIRE(scale->weights().size() == 1u);
  BOOST_TEST(scale->weights()[0]->name() == "convnext_tiny_stage_0_block_0_layer_scale/gamma:0");
  BOOST_TEST(scale->weights()[0]->value().data<float>()[2] == 1e-6f);
  const Tensor gamma = Tensor::from_vector<float>({0.5f, -2.0f, 3.0f}, {3});
  scale->set_weights({gamma});
  const Tensor x = random_tensor({2, 2, 2, 3}, 8);
  const Tensor y = (*scale)(x);
  for (std::int64_t i = 0; i < x.size(); ++i)
    BOOST_TEST(y.data<float>()[i] == x.data<float>()[i] * gamma.data<float>()[i % 3]);
  check_layer_gradients("LayerScale", scale, x);
  KerasTensor in = Input(Shape{2, 2, 3}, "x");
  const auto model = std::make_shared<Functional>(KerasTensors{in}, KerasTensors{(*scale)(in)});
  check_weight_round_trips(model, {x}, "layer_scale");
}

BOOST_AUTO_TEST_CASE(layer_scale_refuses_another_width) {
  LayerPtr scale = layer_from("LayerScale", {{"name", "ls"}, {"init_values", 0.1}, {"projection_dim", 4}});
  try {
    scale->build(Shape{kUnknown, 3});
    BOOST_ERROR("a width other than projection_dim was accepted");
  } catch (const Error& e) {
    BOOST_TEST(std::string(e.what()).find("layer 'ls' (LayerScale): expected an input whose last axis is projection_dim 4, found") !=
               std::string::npos, e.what());
  }
}

BOOST_AUTO_TEST_CASE(stochastic_depth_drops_whole_samples_in_training_only) {
  const Json config = Json::parse(R"({"name": "sd", "trainable": true, "dtype": "float32", "drop_path_rate": 0.5})");
  check_config_round_trip("StochasticDepth", config);
  LayerPtr depth = layer_from("StochasticDepth", config);
  const Tensor x = Tensor::filled(DType::Float32, {64, 3, 2}, 1.5);
  const Tensor inference = (*depth)(x);
  BOOST_TEST(inference.data<float>()[0] == 1.5f);
  CallContext training;
  training.training = true;
  const Tensor y = (*depth)(Tensors{x}, training).at(0);
  int kept = 0;
  for (std::int64_t n = 0; n < 64; ++n) {
    const float first = y.data<float>()[n * 6];
    BOOST_TEST((first == 0.0f || first == 3.0f), "sample " << n << ": " << first);  // x / keep_prob or 0
    for (std::int64_t i = 1; i < 6; ++i) BOOST_TEST(y.data<float>()[n * 6 + i] == first);
    kept += first != 0.0f;
  }
  // Binomial(64, 0.5): outside [12, 52] has probability below 1e-6.
  BOOST_TEST(kept > 12);
  BOOST_TEST(kept < 52);
}
