// Sequential models with and without an InputLayer, deferred build, predict batching and input
// casting, and the summary text in tf.keras 2.6's layout.
#define BOOST_TEST_MODULE core_sequential
#include <boost/test/unit_test.hpp>

#include "test_core_support.hpp"

using core_test::dense;
using core_test::names_of;
using ksave::Json;
using ksave::LayerPtr;
using Names = std::vector<std::string>;

namespace {

std::shared_ptr<ksave::Sequential> sequential(std::vector<LayerPtr> layers, const std::string& name = "") {
  return std::make_shared<ksave::Sequential>(layers, name);
}

}  // namespace

BOOST_AUTO_TEST_CASE(with_an_input_layer) {
  auto model = sequential({ksave::Input({32}, "in").layer(), dense(1, "out")});
  BOOST_TEST(model->built());
  BOOST_TEST(names_of(model->layers()) == (Names{"out"}));  // the InputLayer is not listed
  Json config = model->get_config();
  BOOST_TEST(config["layers"].size() == 2u);
  BOOST_TEST(config["layers"][0]["class_name"] == "InputLayer");
  BOOST_TEST(config["layers"][0]["config"]["batch_input_shape"] == Json::parse("[null, 32]"));
  auto rebuilt = ksave::Sequential::from_config(config);
  BOOST_TEST(rebuilt->get_config() == config);
  BOOST_TEST(rebuilt->count_params() == 33);
}

BOOST_AUTO_TEST_CASE(first_layer_with_an_input_shape) {
  auto model = sequential({ksave::make_layer("Dense", {{"units", 2}, {"input_shape", {3}}, {"name", "first"}})});
  BOOST_TEST(model->built());
  BOOST_TEST(model->count_params() == 8);
  Json config = model->get_config();
  BOOST_TEST(config["layers"][0]["config"]["name"] == "first_input");
  BOOST_TEST(ksave::Sequential::from_config(config)->get_config() == config);
}

BOOST_AUTO_TEST_CASE(deferred_build_waits_for_the_first_call) {
  ksave::clear_session();
  auto model = sequential({dense(3), dense(2)});
  BOOST_TEST(!model->built());
  BOOST_TEST(model->weights().empty());
  BOOST_TEST(model->inputs().empty());
  auto y = model->predict(core_test::rows(5, 4));
  BOOST_TEST((y.shape() == ksave::Shape{5, 2}));
  BOOST_TEST(model->built());
  BOOST_TEST(model->weights().size() == 4u);
  BOOST_REQUIRE_EQUAL(model->inputs().size(), 1u);
  BOOST_TEST((model->inputs()[0].shape() == ksave::Shape{ksave::kUnknown, 4}));
  // Once built it has an input like any graph model: Keras names it after the first layer.
  Json config = model->get_config();
  BOOST_TEST(config["layers"][0]["class_name"] == "InputLayer");
  BOOST_TEST(config["layers"][0]["config"]["name"] == "dense_input");
  auto rebuilt = ksave::Sequential::from_config(config);
  rebuilt->set_weights(model->get_weights());
  BOOST_TEST(ksave::allclose(rebuilt->predict(core_test::rows(5, 4)), y));
}

BOOST_AUTO_TEST_CASE(explicit_build_of_a_deferred_model) {
  auto model = sequential({dense(3, "b1"), dense(1, "b2")});
  model->build(ksave::Shape{ksave::kUnknown, 6});
  BOOST_TEST(model->built());
  BOOST_TEST(model->count_params() == 6 * 3 + 3 + 3 + 1);
}

BOOST_AUTO_TEST_CASE(predict_in_batches_equals_one_batch) {
  auto model = sequential({ksave::Input({4}).layer(), dense(8, "h", "relu"), dense(3, "o")});
  auto x = core_test::rows(70, 4);
  auto whole = model->predict_on_batch({x})[0];
  for (std::int64_t batch : {1, 7, 32, 69, 70, 1000}) {
    auto y = model->predict(x, batch);
    BOOST_TEST((y.shape() == ksave::Shape{70, 3}));
    BOOST_TEST(ksave::allclose(y, whole, 1e-6, 1e-6), "batch size " << batch);
  }
  BOOST_CHECK_THROW(model->predict(x, 0), ksave::Error);
}

BOOST_AUTO_TEST_CASE(predict_casts_inputs_to_the_input_dtype) {
  auto model = sequential({ksave::Input({2}).layer(), dense(1, "lin")});
  model->set_weights({ksave::Tensor::from_vector<float>({2.0f, 3.0f}, {2, 1}), ksave::Tensor::from_vector<float>({1.0f}, {1})});
  auto from_double = model->predict(ksave::Tensor::from_vector<double>({1.0, 2.0}, {1, 2}));
  auto from_int = model->predict(ksave::Tensor::from_vector<std::int32_t>({1, 2}, {1, 2}));
  BOOST_TEST((from_double.dtype() == ksave::DType::Float32));
  BOOST_TEST(from_double.item() == 9.0);
  BOOST_TEST(from_int.item() == 9.0);
  // A wrong feature size is refused with both shapes.
  BOOST_CHECK_EXCEPTION(model->predict(core_test::rows(2, 3)), ksave::Error, [](const ksave::Error& e) {
    BOOST_TEST_MESSAGE(e.what());
    std::string m = e.what();
    return m.find("(None, 2)") != std::string::npos && m.find("(2, 3)") != std::string::npos;
  });
}

BOOST_AUTO_TEST_CASE(duplicate_layer_names_are_refused) {
  BOOST_CHECK_EXCEPTION(sequential({dense(1, "same"), dense(1, "same")}), ksave::Error,
                        [](const ksave::Error& e) { return std::string(e.what()).find("'same'") != std::string::npos; });
}

BOOST_AUTO_TEST_CASE(summary_of_a_sequential_model) {
  auto model = sequential({ksave::Input({784}, "digits").layer(), dense(64, "dense_1", "relu"), dense(10, "predictions")},
                          "mlp");
  model->get_layer("dense_1")->set_trainable(false);
  std::string expected =
      "Model: \"mlp\"\n"
      "_________________________________________________________________\n"
      "Layer (type)                 Output Shape              Param #   \n"
      "=================================================================\n"
      "dense_1 (Dense)              (None, 64)                50240     \n"
      "_________________________________________________________________\n"
      "predictions (Dense)          (None, 10)                650       \n"
      "=================================================================\n"
      "Total params: 50,890\n"
      "Trainable params: 650\n"
      "Non-trainable params: 50,240\n"
      "_________________________________________________________________\n";
  BOOST_TEST(model->summary() == expected);
}

BOOST_AUTO_TEST_CASE(summary_of_a_functional_model_with_connections) {
  auto a = ksave::Input({4}, "a");
  auto b = ksave::Input({4}, "b");
  auto shared = dense(3, "shared");
  auto sum = (*std::make_shared<core_test::SumLayer>(Json{{"name", "sum"}}))(ksave::KerasTensors{(*shared)(a), (*shared)(b)})[0];
  auto model = std::make_shared<ksave::Functional>(ksave::KerasTensors{a, b}, ksave::KerasTensors{sum}, "joined");
  // tf.keras 2.6's print_summary with positions int(98 * [.33, .55, .67, 1]) = 32, 53, 65, 98.
  std::string rule(98, '_'), double_rule(98, '=');
  std::string expected =
      "Model: \"joined\"\n" + rule + "\n" +
      "Layer (type)                    Output Shape         Param #     Connected to                     \n" +
      double_rule + "\n" +
      "a (InputLayer)                  [(None, 4)]          0                                            \n" + rule + "\n" +
      "b (InputLayer)                  [(None, 4)]          0                                            \n" + rule + "\n" +
      "shared (Dense)                  (None, 3)            15          a[0][0]                          \n" +
      "                                                                 b[0][0]                          \n" + rule + "\n" +
      "sum (SumLayer)                  (None, 3)            0           shared[0][0]                     \n" +
      "                                                                 shared[1][0]                     \n" +
      double_rule + "\n" +
      "Total params: 15\n"
      "Trainable params: 15\n"
      "Non-trainable params: 0\n" +
      rule + "\n";
  BOOST_TEST(model->summary() == expected);
}

BOOST_AUTO_TEST_CASE(summary_ignores_calls_made_in_other_models) {
  // dense_1 is also called in another model; inside `chain` it is called once, so the chain
  // keeps the simple layout.
  auto inputs = ksave::Input({4}, "x");
  auto d1 = dense(2, "dense_1");
  auto chain = std::make_shared<ksave::Functional>(ksave::KerasTensors{inputs}, ksave::KerasTensors{(*d1)(inputs)}, "chain");
  auto other = ksave::Input({4}, "y");
  auto elsewhere = std::make_shared<ksave::Functional>(ksave::KerasTensors{other}, ksave::KerasTensors{(*d1)(other)}, "elsewhere");
  std::string text = chain->summary();
  BOOST_TEST(text.find(std::string(65, '_') + "\n") != std::string::npos);
  BOOST_TEST(text.find(std::string(98, '_')) == std::string::npos);
  BOOST_TEST(elsewhere->count_params() == 10);
}

BOOST_AUTO_TEST_CASE(pop_removes_the_last_layer_from_graph_and_config) {
  auto model = sequential({ksave::Input({4}, "in").layer(), dense(3, "keep"), dense(2, "drop")});
  model->pop();
  BOOST_TEST(names_of(model->layers()) == (Names{"keep"}));
  BOOST_TEST((model->outputs()[0].shape() == ksave::Shape{ksave::kUnknown, 3}));
  BOOST_TEST(model->count_params() == 15);
  BOOST_TEST(model->get_config()["layers"].size() == 2u);
  auto y = model->predict(core_test::rows(2, 4));
  BOOST_TEST((y.shape() == ksave::Shape{2, 3}));
  // Adding after a pop continues from the new last output.
  model->add(dense(5, "again"));
  BOOST_TEST((model->predict(core_test::rows(2, 4)).shape() == ksave::Shape{2, 5}));
}

BOOST_AUTO_TEST_CASE(nested_sequential_round_trip) {
  auto inner = sequential({ksave::Input({4}, "inner_in").layer(), dense(3, "inner_dense")}, "inner");
  auto outer = sequential({inner, dense(2, "head")}, "outer");
  BOOST_TEST(names_of(outer->layers()) == (Names{"inner", "head"}));
  Json config = outer->get_config();
  // The outer input is made from the nested model's input, named after it.
  BOOST_TEST(config["layers"][0]["config"]["name"] == "inner_input");
  BOOST_TEST(config["layers"][1]["class_name"] == "Sequential");
  auto rebuilt = ksave::Sequential::from_config(config);
  BOOST_TEST(rebuilt->get_config() == config);
  rebuilt->set_weights(outer->get_weights());
  auto x = core_test::rows(3, 4);
  BOOST_TEST(ksave::allclose(rebuilt->predict(x), outer->predict(x)));
  BOOST_TEST(outer->count_params() == 4 * 3 + 3 + 3 * 2 + 2);
}
