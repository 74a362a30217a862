// Functional graphs: several inputs and outputs, a shared layer, a nested model called twice
// (its calls are nodes 1 and 2 in the parent's config, node 0 being its own), sub-models made
// from inner tensors, Keras's layer order (by depth), and exact config round trips.
#define BOOST_TEST_MODULE core_functional
#include <boost/test/unit_test.hpp>

#include "test_core_support.hpp"

using core_test::dense;
using core_test::functional;
using core_test::names_of;
using ksave::Json;
using ksave::KerasTensors;
using Names = std::vector<std::string>;

namespace {

// from_config(get_config()) gives the same config, and the same predictions with the same weights.
ksave::ModelPtr round_trip(const ksave::ModelPtr& model, const ksave::CustomObjects& objects = {}) {
  Json config = ksave::serialize(*model);
  auto rebuilt = ksave::model_from_config(config, objects);
  BOOST_TEST(ksave::serialize(*rebuilt).dump() == config.dump());
  rebuilt->set_weights(model->get_weights());
  return rebuilt;
}

Json node_ref(const std::string& layer, int node, int tensor) {
  return Json::array({layer, node, tensor, Json::object()});
}

}  // namespace

BOOST_AUTO_TEST_CASE(several_inputs_and_outputs_with_a_shared_layer) {
  auto a = ksave::Input({4}, "a");
  auto b = ksave::Input({4}, "b");
  auto shared = dense(3, "shared");
  auto ya = (*shared)(a);
  auto yb = (*shared)(b);
  auto sum = (*std::make_shared<core_test::SumLayer>(Json{{"name", "sum"}}))(KerasTensors{ya, yb})[0];
  auto model = functional({a, b}, {sum, ya}, "two_by_two");
  BOOST_TEST(names_of(model->layers()) == (Names{"a", "b", "shared", "sum"}));
  BOOST_TEST(model->input_names() == (Names{"a", "b"}));
  BOOST_TEST(model->output_names() == (Names{"sum", "shared"}));

  Json config = model->get_config();
  const Json& shared_entry = config["layers"][2];
  BOOST_TEST(shared_entry["name"] == "shared");
  BOOST_TEST(shared_entry["inbound_nodes"] == Json::array({Json::array({node_ref("a", 0, 0)}),
                                                          Json::array({node_ref("b", 0, 0)})}));
  BOOST_TEST(config["layers"][3]["inbound_nodes"] ==
             Json::array({Json::array({node_ref("shared", 0, 0), node_ref("shared", 1, 0)})}));
  BOOST_TEST(config["input_layers"] == Json::parse(R"([["a", 0, 0], ["b", 0, 0]])"));
  BOOST_TEST(config["output_layers"] == Json::parse(R"([["sum", 0, 0], ["shared", 0, 0]])"));

  auto xa = core_test::rows(3, 4), xb = core_test::rows(3, 4, 1.0f);
  auto out = model->predict({xa, xb});
  BOOST_REQUIRE_EQUAL(out.size(), 2u);
  auto expected_a = (*shared)(xa), expected_b = (*shared)(xb);
  BOOST_TEST(ksave::allclose(out[1], expected_a));
  BOOST_TEST(ksave::allclose(out[0], ksave::ops::add(expected_a, expected_b)));

  auto rebuilt = round_trip(model, core_test::sum_layer_objects());
  auto again = rebuilt->predict({xa, xb});
  BOOST_TEST(ksave::allclose(again[0], out[0]));
  BOOST_TEST(ksave::allclose(again[1], out[1]));
}

BOOST_AUTO_TEST_CASE(nested_model_called_twice_has_nodes_1_and_2) {
  auto inner_in = ksave::Input({4}, "inner_in");
  auto inner = functional({inner_in}, {(*dense(2, "inner_dense"))(inner_in)}, "inner");
  auto x1 = ksave::Input({4}, "x1");
  auto x2 = ksave::Input({4}, "x2");
  auto y1 = (*inner)(x1);
  auto y2 = (*inner)(x2);
  auto outer = functional({x1, x2}, {y1, y2}, "outer");
  BOOST_TEST(names_of(outer->layers()) == (Names{"x1", "x2", "inner"}));

  Json config = outer->get_config();
  const Json& inner_entry = config["layers"][2];
  BOOST_TEST(inner_entry["class_name"] == "Functional");
  BOOST_TEST(inner_entry["inbound_nodes"] == Json::array({Json::array({node_ref("x1", 0, 0)}),
                                                         Json::array({node_ref("x2", 0, 0)})}));
  BOOST_TEST(config["output_layers"] == Json::parse(R"([["inner", 1, 0], ["inner", 2, 0]])"));
  // The nested model's own config keeps its own graph.
  BOOST_TEST(inner_entry["config"]["input_layers"] == Json::parse(R"([["inner_in", 0, 0]])"));

  auto rebuilt = round_trip(outer);
  auto x = core_test::rows(2, 4);
  auto out = rebuilt->predict({x, x});
  BOOST_TEST(ksave::allclose(out[0], out[1]));
  BOOST_TEST(ksave::allclose(out[0], inner->predict(x)));
}

BOOST_AUTO_TEST_CASE(sub_model_from_an_inner_tensor) {
  auto inputs = ksave::Input({784}, "digits");
  auto x = (*dense(64, "dense_1", "relu"))(inputs);
  x = (*dense(64, "dense_2", "relu"))(x);
  auto outputs = (*dense(10, "predictions"))(x);
  auto full = functional({inputs}, {outputs}, "3_layer_mlp");
  // keras.Model(functional_model.inputs, functional_model.layers[-1].input)
  auto pretrained = functional(full->inputs(), {full->get_layer(-1)->input()}, "pretrained_model");
  BOOST_TEST(names_of(pretrained->layers()) == (Names{"digits", "dense_1", "dense_2"}));
  BOOST_TEST(pretrained->count_params() == 54400);
  // The layers are the same objects: the sub-model sees the full model's weights.
  BOOST_TEST(pretrained->get_layer("dense_1").get() == full->get_layer("dense_1").get());
  Json config = pretrained->get_config();
  BOOST_TEST(config["output_layers"] == Json::parse(R"([["dense_2", 0, 0]])"));
  round_trip(pretrained);
}

BOOST_AUTO_TEST_CASE(layers_are_ordered_by_depth_then_discovery) {
  auto inputs = ksave::Input({4}, "in");
  auto d1 = dense(3, "d1"), d2 = dense(3, "d2"), d3 = dense(3, "d3");
  auto long_branch = (*d2)((*d1)(inputs));
  auto short_branch = (*d3)(inputs);
  // Outputs listed short branch first: d3 is discovered before d1 and d2, but d1 is deeper.
  auto model = functional({inputs}, {short_branch, long_branch});
  BOOST_TEST(names_of(model->layers()) == (Names{"in", "d1", "d3", "d2"}));
  BOOST_TEST(names_of(round_trip(model)->layers()) == (Names{"in", "d1", "d3", "d2"}));

  // A skip connection: the sum sits at depth 0, the long path's layers deeper.
  auto in2 = ksave::Input({4}, "in2");
  auto e1 = dense(4, "e1"), e2 = dense(4, "e2");
  auto skip = std::make_shared<core_test::SumLayer>(Json{{"name", "skip"}});
  auto out2 = (*skip)(KerasTensors{in2, (*e2)((*e1)(in2))})[0];
  auto model2 = functional({in2}, {out2});
  BOOST_TEST(names_of(model2->layers()) == (Names{"in2", "e1", "e2", "skip"}));
  BOOST_TEST(names_of(round_trip(model2, core_test::sum_layer_objects())->layers()) ==
             (Names{"in2", "e1", "e2", "skip"}));
}

BOOST_AUTO_TEST_CASE(functional_config_has_the_tf_keras_layout) {
  auto inputs = ksave::Input({32}, "input_1");
  auto model = functional({inputs}, {(*dense(1, "dense"))(inputs)}, "model");
  Json config = model->get_config();
  Json expected = Json::parse(R"({
    "name": "model", "trainable": true,
    "layers": [
      {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_input_shape": [null, 32],
        "dtype": "float32", "sparse": false, "ragged": false, "name": "input_1", "optional": false},
        "registered_name": null, "name": "input_1", "inbound_nodes": []},
      {"module": "keras.layers", "class_name": "Dense", "registered_name": null,
       "build_config": {"input_shape": [null, 32]}, "name": "dense", "inbound_nodes": [[["input_1", 0, 0, {}]]]}],
    "input_layers": [["input_1", 0, 0]], "output_layers": [["dense", 0, 0]]})");
  // The Dense config itself is the Dense plugin's business; the structure around it is checked.
  Json dense_config = config["layers"][1]["config"];
  config["layers"][1].erase("config");
  BOOST_TEST(config["layers"][0] == expected["layers"][0]);
  BOOST_TEST(config["layers"][1] == expected["layers"][1]);
  config.erase("layers");
  expected.erase("layers");
  BOOST_TEST(config == expected);
  BOOST_TEST(dense_config["name"] == "dense");
  BOOST_TEST(dense_config["units"] == 1);
}

BOOST_AUTO_TEST_CASE(graph_errors_name_the_layers) {
  auto a = ksave::Input({4}, "a_in");
  auto b = ksave::Input({4}, "b_in");
  auto y = (*dense(2, "uses_b"))(b);
  // An output computed from an input the model was not given.
  BOOST_CHECK_EXCEPTION(functional({a}, {y}), ksave::Error, [](const ksave::Error& e) {
    BOOST_TEST_MESSAGE(e.what());
    return std::string(e.what()).find("b_in") != std::string::npos;
  });
  // Two layers with the same name in one model.
  auto c = ksave::Input({4}, "c_in");
  auto twin = (*dense(2, "twin"))((*dense(2, "twin"))(c));
  BOOST_CHECK_EXCEPTION(functional({c}, {twin}), ksave::Error, [](const ksave::Error& e) {
    return std::string(e.what()).find("'twin'") != std::string::npos;
  });
}

BOOST_AUTO_TEST_CASE(call_arguments_are_kept_in_the_graph_and_config) {
  // x = Dropout(0.5)(inputs, training=True): the node keeps training=True, even in predict.
  auto inputs = ksave::Input({100}, "in");
  auto dropped = (*ksave::make_layer("Dropout", {{"rate", 0.5}, {"name", "always"}}))(inputs, Json{{"training", true}});
  auto model = functional({inputs}, {dropped}, "mc_dropout");
  Json config = model->get_config();
  BOOST_TEST(config["layers"][1]["inbound_nodes"] ==
             Json::parse(R"([[["in", 0, 0, {"training": true}]]])"));
  auto check_dropout = [](const ksave::Tensor& y) {
    int zeros = 0;
    for (float v : y.values<float>()) {
      BOOST_TEST((v == 0.0f || v == 2.0f), "dropout output " << v << " is neither dropped nor scaled");
      zeros += v == 0.0f;
    }
    BOOST_TEST((zeros > 0 && zeros < 100), zeros << " of 100 dropped");
  };
  auto x = ksave::Tensor::filled(ksave::DType::Float32, {1, 100}, 1.0);
  check_dropout(model->predict(x));
  auto rebuilt = round_trip(model);
  check_dropout(rebuilt->predict(x));
}

namespace {

// Passes its input on and records, at each call, whether the storage of the tensor a `watched`
// layer of its own class returned earlier in the same call is still alive.
class StorageWatch : public ksave::Layer {
 public:
  explicit StorageWatch(const Json& config) : Layer(config, "StorageWatch") {}
  std::string class_name() const override { return "StorageWatch"; }
  std::shared_ptr<StorageWatch> watched;
  std::weak_ptr<ksave::Storage> returned;  // the storage of what this layer returned last
  std::vector<bool> saw_watched_alive;

 protected:
  ksave::Tensors call(const ksave::Tensors& inputs, const ksave::CallContext&) override {
    if (watched) saw_watched_alive.push_back(!watched->returned.expired());
    const ksave::Tensor y = ksave::ops::mul(inputs.at(0), ksave::Tensor::scalar(2.0f));
    returned = y.storage();
    return {y};
  }
  std::vector<ksave::Shape> compute_output_shape(const std::vector<ksave::Shape>& shapes) override { return shapes; }
};

}  // namespace

BOOST_AUTO_TEST_CASE(a_call_frees_each_tensor_after_its_last_reader) {
  // x -> first -> relu -> second -> out, and first's output also goes to a side branch read
  // before second: first's output must be gone when second runs, not when the call returns.
  ksave::KerasTensor x = ksave::Input({4}, "x");
  auto first = std::make_shared<StorageWatch>(Json{{"name", "first"}});
  auto second = std::make_shared<StorageWatch>(Json{{"name", "second"}});
  second->watched = first;
  ksave::KerasTensor a = (*first)(x);
  ksave::KerasTensor b = (*dense(3, "relu_dense", "relu"))(a);
  ksave::KerasTensor y = (*second)(b);
  const auto model = functional({x}, {y, b});
  const ksave::Tensor input = ksave::Tensor::from_vector<float>({1, -2, 3, -4}, {1, 4});
  for (int i = 0; i < 2; ++i) model->predict_on_batch({input});
  second->saw_watched_alive.clear();
  model->predict_on_batch({input});
  BOOST_TEST(second->saw_watched_alive == std::vector<bool>{false});
  // A model output stays: here the dense layer's output, read by `second` and returned too.
  const ksave::Tensors out = model->predict_on_batch({input});
  BOOST_TEST(out.size() == 2u);
  BOOST_TEST(out[1].defined());
}
