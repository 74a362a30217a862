// BatchNormalization plugin: inference with the moving statistics, training updates (tf.keras's
// momentum rule, Bessel's correction only on the fused 4-D path, none in a Keras 3 layer), a frozen layer in inference
// mode, axis forms, center/scale off, the oracle cases (inference and an SGD training case), gradients, configs, weights through every format.
#define BOOST_TEST_MODULE batch_normalization
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "layer_zoo_support/layer_checks.hpp"

using namespace ksave;
using namespace ksave::test::zoo;

namespace {

LayerPtr built_bn(const Json& extra, const Shape& shape) {
  Json c = {{"name", "batch_normalization"}, {"momentum", 0.9}, {"epsilon", 0.001}};
  for (auto it = extra.begin(); it != extra.end(); ++it) c[it.key()] = it.value();
  LayerPtr bn = layer_from("BatchNormalization", c);
  bn->build(shape);
  return bn;
}

}  // namespace

BOOST_AUTO_TEST_CASE(inference_uses_the_moving_statistics) {
  LayerPtr bn = built_bn({}, Shape{kUnknown, 3});
  const Tensor gamma = Tensor::from_vector<float>({1, 2, 3}, {3}), beta = Tensor::from_vector<float>({0, 1, -1}, {3});
  const Tensor mean = Tensor::from_vector<float>({0.5, -1, 2}, {3}), var = Tensor::from_vector<float>({1, 4, 0.25}, {3});
  bn->set_weights({gamma, beta, mean, var});
  const auto names = bn->weights();
  BOOST_TEST(names[2]->name() == "batch_normalization/moving_mean:0");
  BOOST_TEST(!names[3]->trainable());
  const Tensor x = random_tensor({4, 3}, 1);
  const Tensor y = (*bn)(x);
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 3; ++j) {
      const float e = (x.data<float>()[i * 3 + j] - mean.data<float>()[j]) / std::sqrt(var.data<float>()[j] + 0.001f) *
                          gamma.data<float>()[j] + beta.data<float>()[j];
      BOOST_TEST(std::abs(y.data<float>()[i * 3 + j] - e) < 1e-5f);
    }
}

BOOST_AUTO_TEST_CASE(training_updates_the_moving_statistics) {
  // keras3: a Keras 3 config (with `synchronized`), whose layer has no fused path.
  for (auto [four_d, keras3] : {std::pair{false, false}, std::pair{true, false}, std::pair{true, true}}) {
    const Shape shape = four_d ? Shape{2, 2, 2, 3} : Shape{5, 3};
    Shape symbolic = shape;
    symbolic[0] = kUnknown;
    LayerPtr bn = built_bn(keras3 ? Json{{"synchronized", false}} : Json::object(), symbolic);
    BOOST_TEST(bn->get_config().contains("synchronized") == keras3);  // the rule it follows, kept
    const Tensor x = random_tensor(shape, 2, 0.0f, 4.0f);
    CallContext training;
    training.training = true;
    const Tensor y = (*bn)(x, training);
    const Tensor flat = x.reshape({-1, 3});
    const double n = static_cast<double>(flat.dim(0));
    const auto weights = bn->get_weights();
    for (int j = 0; j < 3; ++j) {
      double m = 0, v = 0;
      for (Dim i = 0; i < flat.dim(0); ++i) m += flat.data<float>()[i * 3 + j];
      m /= n;
      for (Dim i = 0; i < flat.dim(0); ++i) v += std::pow(flat.data<float>()[i * 3 + j] - m, 2);
      v /= n;
      // tf.keras 2: the fused kernel (4-D) feeds n/(n-1) * variance into the moving variance;
      // Keras 3 the biased variance at every rank.
      const bool bessel = four_d && !keras3;
      const double moving_var = 1.0 * 0.9 + (bessel ? v * n / (n - 1) : v) * 0.1;
      BOOST_TEST(std::abs(weights[2].data<float>()[j] - m * 0.1) < 1e-5, "moving mean " << j);
      BOOST_TEST(std::abs(weights[3].data<float>()[j] - moving_var) < 1e-5,
                 "moving variance " << j << " 4-D " << four_d << " Keras 3 " << keras3);
      // The batch itself is normalized with the biased variance.
      BOOST_TEST(std::abs(y.reshape({-1, 3}).data<float>()[j] - (flat.data<float>()[j] - m) / std::sqrt(v + 0.001)) < 1e-4);
    }
  }
}

// Keras 3 and tf.keras 2 run a frozen BatchNormalization in inference mode whatever the call's
// training flag (the guide's frozen base under fit): moving statistics, none updated.
BOOST_AUTO_TEST_CASE(a_frozen_layer_normalizes_with_the_moving_statistics_in_training) {
  LayerPtr bn = built_bn({{"trainable", false}}, Shape{kUnknown, 3});
  const auto before = bn->get_weights();
  const Tensor x = random_tensor({5, 3}, 3, 0.0f, 4.0f);
  CallContext training;
  training.training = true;
  const Tensor y = (*bn)(x, training);
  const Tensor inference = (*bn)(x);
  BOOST_TEST(y.to_vector<float>() == inference.to_vector<float>(), boost::test_tools::per_element());
  const auto after = bn->get_weights();
  for (std::size_t i = 0; i < before.size(); ++i)
    BOOST_TEST(after[i].to_vector<float>() == before[i].to_vector<float>(), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(axes_and_switches) {
  LayerPtr first = built_bn({{"axis", 1}}, Shape{kUnknown, 3, 2, 2});
  BOOST_TEST(first->weights()[0]->value().shape() == (Shape{3}));
  LayerPtr listed = built_bn({{"axis", Json::array({1, 2})}}, Shape{kUnknown, 3, 4});
  BOOST_TEST(listed->weights()[0]->value().shape() == (Shape{3, 4}));
  LayerPtr bare = built_bn({{"center", false}, {"scale", false}}, Shape{kUnknown, 3});
  BOOST_TEST(bare->weights().size() == 2u);
  BOOST_TEST((*bare)(random_tensor({2, 3}, 3)).shape() == (Shape{2, 3}));
}

BOOST_AUTO_TEST_CASE(config_round_trip) {
  const Json config = Json::parse(R"({"name": "batch_normalization", "trainable": true, "dtype": "float32",
    "axis": -1, "momentum": 0.99, "epsilon": 0.001, "center": true, "scale": true,
    "beta_initializer": {"class_name": "Zeros", "config": {}}, "gamma_initializer": {"class_name": "Ones", "config": {}},
    "moving_mean_initializer": {"class_name": "Zeros", "config": {}},
    "moving_variance_initializer": {"class_name": "Ones", "config": {}}, "beta_regularizer": null,
    "gamma_regularizer": null, "beta_constraint": null, "gamma_constraint": null})");
  check_config_round_trip("BatchNormalization", config);
  Json listed = config;
  listed["axis"] = Json::array({3});
  check_config_round_trip("BatchNormalization", listed);
}

BOOST_AUTO_TEST_CASE(oracle_cases) {
  check_oracle_predict_case("batchnorm_dense_inference");
}

BOOST_AUTO_TEST_CASE(gradients_in_training_and_inference) {
  LayerPtr bn = built_bn({}, Shape{kUnknown, 3});
  bn->set_weights({random_tensor({3}, 4, 0.5f, 1.5f), random_tensor({3}, 5), random_tensor({3}, 6), random_tensor({3}, 7, 0.5f, 2.0f)});
  check_layer_gradients("BatchNormalization inference", bn, random_tensor({4, 3}, 8));
}

// The moving statistics (non-trainable) included: set to values no initializer gives.
BOOST_AUTO_TEST_CASE(weights_round_trip_through_every_format) {
  LayerPtr bn = built_bn({}, Shape{kUnknown, 3});
  bn->set_weights({random_tensor({3}, 4), random_tensor({3}, 5), random_tensor({3}, 6), random_tensor({3}, 7, 0.5f, 2.0f)});
  KerasTensor in = Input(Shape{3}, "x");
  const auto model = std::make_shared<Functional>(KerasTensors{in}, KerasTensors{(*bn)(in)});
  check_weight_round_trips(model, {random_tensor({2, 3}, 8)}, "batch_normalization");
  // Convolutional input, without beta: gamma, moving_mean and moving_variance.
  LayerPtr conv_bn = built_bn({{"center", false}}, Shape{kUnknown, 2, 2, 3});
  KerasTensor image = Input(Shape{2, 2, 3}, "image");
  const auto conv_model = std::make_shared<Functional>(KerasTensors{image}, KerasTensors{(*conv_bn)(image)});
  check_weight_round_trips(conv_model, {random_tensor({2, 2, 2, 3}, 9)}, "batch_normalization_4d");
  // A frozen layer before it: its weights become non-trainable, which reorders model.weights.
  LayerPtr frozen = layer_from("Dense", {{"name", "frozen"}, {"units", 3}, {"trainable", false}});
  LayerPtr after = built_bn({}, Shape{kUnknown, 3});
  KerasTensor x = Input(Shape{2}, "x");
  const auto frozen_model = std::make_shared<Functional>(KerasTensors{x}, KerasTensors{(*after)((*frozen)(x))});
  check_weight_round_trips(frozen_model, {random_tensor({2, 2}, 10)}, "frozen_dense_batch_normalization");
}
