// Keras 3's Pipeline: its layers applied in order (against the layers called one by one), the
// training flag passed on, the layers tracked under Keras 3's archive names (layers/dense,
// layers/dense_1) and by position in TensorFlow's object graph, the output dtype of its last
// layer, weights through every format, the config back key for key, and a bad `layers` refused by
// name. Real Keras 3.15's numbers, config.json and weight paths are in the interop suite
// (tests/interop/test_preprocessing.py).
#define BOOST_TEST_MODULE pipeline plugin
#include <boost/test/unit_test.hpp>

#include "layer_checks/layer_checks.hpp"
#include "support/error_checks.hpp"

using namespace ksave;
using ksave::test::error_of;
using ksave::test::layer_from;
using ksave::test::ramp;

namespace {

Json entry(const std::string& class_name, Json config) { return {{"class_name", class_name}, {"config", std::move(config)}}; }

Json dense_stack() {
  return {{"name", "stack"},
          {"layers", Json::array({entry("Rescaling", {{"scale", 0.5}, {"offset", 1.0}}), entry("Dense", {{"units", 3}}),
                                  entry("Dense", {{"units", 2}, {"name", "second"}, {"activation", "tanh"}})})}};
}

}  // namespace

BOOST_AUTO_TEST_CASE(applies_its_layers_in_order) {
  const LayerPtr pipeline = layer_from("Pipeline", dense_stack());
  const Tensor x = ramp({4, 5});
  const Tensor y = (*pipeline)(x);
  const auto& layers = pipeline->tracked_layers();
  BOOST_TEST_REQUIRE(layers.size() == 3u);
  Tensor by_hand = x;
  for (const auto& [attribute, layer] : layers) by_hand = (*layer)(by_hand);
  BOOST_TEST(y.shape() == (Shape{4, 2}));
  BOOST_TEST(allclose(y, by_hand, 0.0, 0.0));
  // Its weights are its layers' (the two Dense layers' kernels and biases); freezing it freezes
  // them, as Keras 3's trainable setter does.
  BOOST_TEST(pipeline->weights().size() == 4u);
  pipeline->set_trainable(false);
  BOOST_TEST(pipeline->trainable_weights().empty());
  BOOST_TEST(layers[1].second->get_config()["trainable"] == Json(false));
}

BOOST_AUTO_TEST_CASE(layers_are_filed_under_keras3_names_and_listed_by_position) {
  const LayerPtr pipeline = layer_from("Pipeline", dense_stack());
  std::vector<std::string> attributes;
  for (const auto& [attribute, layer] : pipeline->tracked_layers()) attributes.push_back(attribute);
  // Measured with Keras 3.15: layers/pipeline/layers/dense_1 holds the Dense named "second".
  BOOST_TEST(attributes == (std::vector<std::string>{"layers/rescaling", "layers/dense", "layers/dense_1"}),
             boost::test_tools::per_element());
  const auto children = pipeline->trackable_children();
  BOOST_TEST_REQUIRE(children.size() == 1u);
  BOOST_TEST(children[0].name == "layers");
  BOOST_TEST(children[0].object->trackable_kind() == "list");
  BOOST_TEST(children[0].object->trackable_children().size() == 3u);
  BOOST_TEST(children[0].object->trackable_children()[2].name == "2");
}

BOOST_AUTO_TEST_CASE(training_reaches_its_layers) {
  const LayerPtr pipeline = layer_from("Pipeline", {{"layers", Json::array({entry("RandomFlip", Json::object())})}});
  const Tensor x = ramp({2, 3, 3, 1});
  BOOST_TEST(allclose((*pipeline)(x), x, 0.0, 0.0));  // the identity at inference
  CallContext training;
  training.training = true;
  BOOST_TEST(error_of([&] { (*pipeline)(Tensors{x}, training); }).find("random augmentation in training") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(outputs_have_the_last_layers_dtype) {
  const KerasTensor ids = Input({3}, "ids", DType::Int64);
  const LayerPtr encode = layer_from("Pipeline", {{"layers", Json::array({entry("CategoryEncoding", {{"num_tokens", 4}, {"output_mode", "count"}}),
                                                                          entry("Rescaling", {{"scale", 2.0}})})}});
  const KerasTensor counts = (*encode)(ids);
  BOOST_TEST((counts.dtype() == DType::Float32));
  BOOST_TEST(counts.shape() == (Shape{kUnknown, 4}));
  const KerasTensor values = Input({3}, "values");
  const LayerPtr bucket = layer_from("Pipeline", {{"layers", Json::array({entry("Discretization", {{"bin_boundaries", {0.0}}})})}});
  BOOST_TEST(((*bucket)(values).dtype() == DType::Int64));
  // An empty pipeline is the identity, as Keras's.
  const KerasTensor same = (*layer_from("Pipeline", {{"layers", Json::array()}}))(ids);
  BOOST_TEST((same.dtype() == DType::Int64));
}

BOOST_AUTO_TEST_CASE(the_last_layers_mask_reaches_the_next_layer) {
  // ids → Pipeline([Embedding(mask_zero)]) → LSTM against ids → Embedding → LSTM with the same
  // weights: the padded steps are skipped in both.
  const auto lstm_on = [](const LayerPtr& embed) {
    const KerasTensor ids = Input({5}, "ids", DType::Int32);
    const LayerPtr lstm = layer_from("LSTM", {{"units", 2}});
    return std::make_shared<Functional>(KerasTensors{ids}, KerasTensors{(*lstm)((*embed)(ids))}, "masked");
  };
  const Json embedding = entry("Embedding", {{"input_dim", 10}, {"output_dim", 3}, {"mask_zero", true}});
  const ModelPtr piped = lstm_on(layer_from("Pipeline", {{"layers", Json::array({embedding})}}));
  const ModelPtr plain = lstm_on(deserialize_layer(embedding));
  plain->set_weights(piped->get_weights());
  const Tensor ids = Tensor::from_vector(std::vector<std::int32_t>{1, 2, 0, 0, 0, 3, 4, 5, 6, 7}, {2, 5});
  const Tensor expected = plain->predict(ids);
  BOOST_TEST(allclose(piped->predict(ids), expected, 0.0, 0.0));
  // Without the mask the padded sequence gives other numbers (the check above means something).
  const ModelPtr unmasked = lstm_on(deserialize_layer(entry("Embedding", {{"input_dim", 10}, {"output_dim", 3}})));
  unmasked->set_weights(piped->get_weights());
  BOOST_TEST(!allclose(unmasked->predict(ids), expected, 1e-6, 1e-6));
}

BOOST_AUTO_TEST_CASE(weights_and_configs_go_through_every_format) {
  ksave::test::config_round_trips(layer_from("Pipeline", dense_stack()));
  Json stack = dense_stack();
  // A pipeline inside a pipeline, as Keras nests them (layers/pipeline/layers/pipeline/layers/dense).
  stack["layers"].push_back(entry("Pipeline", {{"layers", Json::array({entry("Dense", {{"units", 2}})})}}));
  const ModelPtr model = ksave::test::sequential_of("Pipeline", stack, {kUnknown, 5});
  ksave::test::check_weight_round_trips(model, {ramp({3, 5})}, "pipeline");
}

BOOST_AUTO_TEST_CASE(a_bad_layers_list_is_refused_by_name) {
  BOOST_TEST(error_of([] { layer_from("Pipeline", Json::object()); }).find("'layers'") != std::string::npos);
  const std::string not_a_list = error_of([] { layer_from("Pipeline", {{"name", "p"}, {"layers", 3}}); });
  BOOST_TEST(not_a_list.find("layer 'p' (Pipeline)") != std::string::npos);
  BOOST_TEST(not_a_list.find("list of serialized layers") != std::string::npos);
  BOOST_TEST(error_of([] { layer_from("Pipeline", {{"layers", Json::array({entry("NoSuchLayer", Json::object())})}}); })
                 .find("NoSuchLayer") != std::string::npos);
}
