// TFOpLambda / SlicingOpLambda plugin: a functional model that tf-keras 2.21 wrote with TF ops
// applied to Keras tensors (its to_json below, as written) loads, computes what the ops mean,
// writes its config back in tf-keras's form (structured first arguments, tensors in kwargs,
// _CONSTANT_VALUE), trains, and goes through every format. Unknown ops are refused by name.
// Real Keras's own predictions are compared in the interop suite (tests/interop/test_tf_ops.py).
#define BOOST_TEST_MODULE tf_op_lambda
#include <boost/test/unit_test.hpp>

#include "ksave/tf_function_names.hpp"
#include "layer_checks/layer_checks.hpp"

using namespace ksave;

namespace {

// tf_keras: x = Input((4, 6)); d = Dense(6)(x); c = tf.nn.relu6(tf.math.multiply(d + x, 2.0));
// outputs tf.concat([tf.reshape(c, (-1, 24)), 1.0 - e], -1), c[:, 1:3, ::-2],
// c[..., tf.newaxis, 0], tf.stack([s0, s1[..., :2]], 1) of tf.split(c, [2, -1], -1),
// tf.clip_by_value(tf.reduce_mean(c, 1), 0.5, 1.0).
const char* kTfKerasModel = R"json({"class_name": "Functional", "config": {"name": "tf_ops", "trainable": true, "layers": [{"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_input_shape": [null, 4, 6], "dtype": "float32", "sparse": false, "ragged": false, "name": "x", "optional": false}, "registered_name": null, "name": "x", "inbound_nodes": []}, {"module": "keras.layers", "class_name": "Dense", "config": {"name": "dense", "trainable": true, "dtype": "float32", "units": 6, "activation": "linear", "use_bias": true, "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null}, "registered_name": null}, "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null}, "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null}, "registered_name": null, "build_config": {"input_shape": [null, 4, 6]}, "name": "dense", "inbound_nodes": [[["x", 0, 0, {}]]]}, {"module": "tf_keras.src.layers.core.tf_op_layer", "class_name": "TFOpLambda", "config": {"name": "tf.__operators__.add", "trainable": true, "dtype": "float32", "function": "__operators__.add"}, "registered_name": "TFOpLambda", "build_config": {"input_shape": [null, 4, 6]}, "name": "tf.__operators__.add", "inbound_nodes": [["dense", 0, 0, {"y": ["x", 0, 0], "name": null}]]}, {"module": "tf_keras.src.layers.core.tf_op_layer", "class_name": "TFOpLambda", "config": {"name": "tf.math.multiply", "trainable": true, "dtype": "float32", "function": "math.multiply"}, "registered_name": "TFOpLambda", "build_config": {"input_shape": [null, 4, 6]}, "name": "tf.math.multiply", "inbound_nodes": [["tf.__operators__.add", 0, 0, {"y": 2.0}]]}, {"module": "tf_keras.src.layers.core.tf_op_layer", "class_name": "TFOpLambda", "config": {"name": "tf.nn.relu6", "trainable": true, "dtype": "float32", "function": "nn.relu6"}, "registered_name": "TFOpLambda", "build_config": {"input_shape": [null, 4, 6]}, "name": "tf.nn.relu6", "inbound_nodes": [["tf.math.multiply", 0, 0, {}]]}, {"module": "tf_keras.src.layers.core.tf_op_layer", "class_name": "TFOpLambda", "config": {"name": "tf.reshape", "trainable": true, "dtype": "float32", "function": "reshape"}, "registered_name": "TFOpLambda", "build_config": {"input_shape": [null, 4, 6]}, "name": "tf.reshape", "inbound_nodes": [["tf.nn.relu6", 0, 0, {"shape": [-1, 24]}]]}, {"module": "tf_keras.src.layers.core.tf_op_layer", "class_name": "TFOpLambda", "config": {"name": "tf.split", "trainable": true, "dtype": "float32", "function": "split"}, "registered_name": "TFOpLambda", "build_config": {"input_shape": [null, 4, 6]}, "name": "tf.split", "inbound_nodes": [["tf.nn.relu6", 0, 0, {"num_or_size_splits": [2, -1], "axis": -1}]]}, {"module": "tf_keras.src.layers.core.tf_op_layer", "class_name": "TFOpLambda", "config": {"name": "tf.math.subtract", "trainable": true, "dtype": "float32", "function": "math.subtract"}, "registered_name": "TFOpLambda", "build_config": {"input_shape": []}, "name": "tf.math.subtract", "inbound_nodes": [["_CONSTANT_VALUE", -1, 1.0, {"y": ["tf.reshape", 0, 0], "name": null}]]}, {"module": "tf_keras.src.layers.core.tf_op_layer", "class_name": "SlicingOpLambda", "config": {"name": "tf.__operators__.getitem_2", "trainable": true, "dtype": "float32", "function": "__operators__.getitem"}, "registered_name": "SlicingOpLambda", "build_config": {"input_shape": [null, 4, 4]}, "name": "tf.__operators__.getitem_2", "inbound_nodes": [["tf.split", 0, 1, {"slice_spec": [{"class_name": "__ellipsis__"}, {"start": null, "stop": 2, "step": null}]}]]}, {"module": "tf_keras.src.layers.core.tf_op_layer", "class_name": "TFOpLambda", "config": {"name": "tf.math.reduce_mean", "trainable": true, "dtype": "float32", "function": "math.reduce_mean"}, "registered_name": "TFOpLambda", "build_config": {"input_shape": [null, 4, 6]}, "name": "tf.math.reduce_mean", "inbound_nodes": [["tf.nn.relu6", 0, 0, {"axis": 1}]]}, {"module": "tf_keras.src.layers.core.tf_op_layer", "class_name": "TFOpLambda", "config": {"name": "tf.concat", "trainable": true, "dtype": "float32", "function": "concat"}, "registered_name": "TFOpLambda", "build_config": {"input_shape": [[null, 24], [null, 24]]}, "name": "tf.concat", "inbound_nodes": [[["tf.reshape", 0, 0, {"axis": -1}], ["tf.math.subtract", 0, 0, {"axis": -1}]]]}, {"module": "tf_keras.src.layers.core.tf_op_layer", "class_name": "SlicingOpLambda", "config": {"name": "tf.__operators__.getitem", "trainable": true, "dtype": "float32", "function": "__operators__.getitem"}, "registered_name": "SlicingOpLambda", "build_config": {"input_shape": [null, 4, 6]}, "name": "tf.__operators__.getitem", "inbound_nodes": [["tf.nn.relu6", 0, 0, {"slice_spec": [{"start": null, "stop": null, "step": null}, {"start": 1, "stop": 3, "step": null}, {"start": null, "stop": null, "step": -2}]}]]}, {"module": "tf_keras.src.layers.core.tf_op_layer", "class_name": "SlicingOpLambda", "config": {"name": "tf.__operators__.getitem_1", "trainable": true, "dtype": "float32", "function": "__operators__.getitem"}, "registered_name": "SlicingOpLambda", "build_config": {"input_shape": [null, 4, 6]}, "name": "tf.__operators__.getitem_1", "inbound_nodes": [["tf.nn.relu6", 0, 0, {"slice_spec": [{"class_name": "__ellipsis__"}, null, 0]}]]}, {"module": "tf_keras.src.layers.core.tf_op_layer", "class_name": "TFOpLambda", "config": {"name": "tf.stack", "trainable": true, "dtype": "float32", "function": "stack"}, "registered_name": "TFOpLambda", "build_config": {"input_shape": [[null, 4, 2], [null, 4, 2]]}, "name": "tf.stack", "inbound_nodes": [[["tf.split", 0, 0, {"axis": 1}], ["tf.__operators__.getitem_2", 0, 0, {"axis": 1}]]]}, {"module": "tf_keras.src.layers.core.tf_op_layer", "class_name": "TFOpLambda", "config": {"name": "tf.clip_by_value", "trainable": true, "dtype": "float32", "function": "clip_by_value"}, "registered_name": "TFOpLambda", "build_config": {"input_shape": [null, 6]}, "name": "tf.clip_by_value", "inbound_nodes": [["tf.math.reduce_mean", 0, 0, {"clip_value_min": 0.5, "clip_value_max": 1.0}]]}], "input_layers": [["x", 0, 0]], "output_layers": [["tf.concat", 0, 0], ["tf.__operators__.getitem", 0, 0], ["tf.__operators__.getitem_1", 0, 0], ["tf.stack", 0, 0], ["tf.clip_by_value", 0, 0]]}, "keras_version": "2.21.0", "backend": "tensorflow"})json";

ModelPtr load_tf_ops_model() { return model_from_json(kTfKerasModel); }

// The values each output must have, computed from the Dense output with plain ops and loops.
struct Reference {
  Tensor c;  // relu6(2 * (dense(x) + x))
};

Reference reference(Model& model, const Tensor& x) {
  auto dense = model.get_layer("dense");
  Tensor d = (*dense)(x);
  return {ops::clip(ops::mul(ops::add(d, x), 2.0), 0.0, 6.0)};
}

float at(const Tensor& t, std::initializer_list<std::int64_t> index) {
  std::int64_t flat = 0, k = 0;
  for (auto i : index) flat = flat * t.shape()[static_cast<std::size_t>(k++)] + i;
  return t.data<float>()[flat];
}

}  // namespace

BOOST_AUTO_TEST_CASE(real_tf_keras_ops_compute_what_they_mean) {
  ModelPtr model = load_tf_ops_model();
  const Tensor x = test::ramp({3, 4, 6}, 2.0f);
  const Tensors out = model->predict(Tensors{x});
  BOOST_TEST_REQUIRE(out.size() == 5u);
  const Tensor c = reference(*model, x).c;
  // concat([reshape(c), 1 - reshape(c)], -1)
  BOOST_TEST((out[0].shape() == Shape{3, 48}));
  for (std::int64_t b = 0; b < 3; ++b)
    for (std::int64_t k = 0; k < 24; ++k) {
      const float v = c.data<float>()[b * 24 + k];
      BOOST_TEST(at(out[0], {b, k}) == v);
      BOOST_TEST(at(out[0], {b, 24 + k}) == 1.0f - v, boost::test_tools::tolerance(1e-6f));
    }
  // c[:, 1:3, ::-2]: rows 1, 2; columns 5, 3, 1
  BOOST_TEST((out[1].shape() == Shape{3, 2, 3}));
  for (std::int64_t b = 0; b < 3; ++b)
    for (std::int64_t r = 0; r < 2; ++r)
      for (std::int64_t k = 0; k < 3; ++k) BOOST_TEST(at(out[1], {b, r, k}) == at(c, {b, 1 + r, 5 - 2 * k}));
  // c[..., newaxis, 0]
  BOOST_TEST((out[2].shape() == Shape{3, 4, 1}));
  for (std::int64_t b = 0; b < 3; ++b)
    for (std::int64_t r = 0; r < 4; ++r) BOOST_TEST(at(out[2], {b, r, 0}) == at(c, {b, r, 0}));
  // stack([c[..., :2], c[..., 2:][..., :2]], 1)
  BOOST_TEST((out[3].shape() == Shape{3, 2, 4, 2}));
  for (std::int64_t b = 0; b < 3; ++b)
    for (std::int64_t r = 0; r < 4; ++r)
      for (std::int64_t k = 0; k < 2; ++k) {
        BOOST_TEST(at(out[3], {b, 0, r, k}) == at(c, {b, r, k}));
        BOOST_TEST(at(out[3], {b, 1, r, k}) == at(c, {b, r, 2 + k}));
      }
  // clip(mean(c, 1), 0.5, 1)
  BOOST_TEST((out[4].shape() == Shape{3, 6}));
  for (std::int64_t b = 0; b < 3; ++b)
    for (std::int64_t k = 0; k < 6; ++k) {
      float mean = 0;
      for (std::int64_t r = 0; r < 4; ++r) mean += at(c, {b, r, k}) / 4.0f;
      BOOST_TEST(at(out[4], {b, k}) == std::clamp(mean, 0.5f, 1.0f), boost::test_tools::tolerance(1e-5f));
    }
}

BOOST_AUTO_TEST_CASE(config_comes_back_in_tf_keras_form) {
  const Json written = Json::parse(kTfKerasModel);
  const Json again = Json::parse(load_tf_ops_model()->to_json());
  const Json& layers = written["config"]["layers"];
  BOOST_TEST_REQUIRE(again["config"]["layers"].size() == layers.size());
  for (const auto& layer : layers) {
    const std::string name = layer["name"];
    auto found = std::find_if(again["config"]["layers"].begin(), again["config"]["layers"].end(),
                              [&](const Json& l) { return l["name"] == name; });
    BOOST_TEST_REQUIRE((found != again["config"]["layers"].end()), name);
    BOOST_TEST((*found)["inbound_nodes"].dump() == layer["inbound_nodes"].dump(), name);
    BOOST_TEST((*found)["class_name"] == layer["class_name"], name);
    if (layer["class_name"] != "Dense") BOOST_TEST((*found)["config"].dump() == layer["config"].dump(), name);
  }
  BOOST_TEST(again["config"]["output_layers"].dump() == written["config"]["output_layers"].dump());
}

BOOST_AUTO_TEST_CASE(constant_first_argument_and_tensor_keyword) {
  // tf-keras: 2.0 - x (first argument a constant) and tf.matmul(x, x, transpose_b=True) (a tensor
  // given by keyword).
  const char* json = R"({"class_name": "Functional", "config": {"name": "m", "trainable": true, "layers": [
    {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 2, 3], "dtype": "float32", "name": "x"}, "name": "x", "inbound_nodes": []},
    {"class_name": "TFOpLambda", "config": {"name": "tf.math.subtract", "trainable": true, "dtype": "float32", "function": "math.subtract"},
     "name": "tf.math.subtract", "inbound_nodes": [["_CONSTANT_VALUE", -1, 2.0, {"y": ["x", 0, 0], "name": null}]]},
    {"class_name": "TFOpLambda", "config": {"name": "tf.linalg.matmul", "trainable": true, "dtype": "float32", "function": "linalg.matmul"},
     "name": "tf.linalg.matmul", "inbound_nodes": [["tf.math.subtract", 0, 0, {"b": ["x", 0, 0], "transpose_b": true}]]}],
    "input_layers": [["x", 0, 0]], "output_layers": [["tf.linalg.matmul", 0, 0]]}})";
  ModelPtr model = model_from_json(json);
  const Tensor x = test::ramp({2, 2, 3});
  const Tensor y = model->predict(x);
  BOOST_TEST((y.shape() == Shape{2, 2, 2}));
  for (std::int64_t b = 0; b < 2; ++b)
    for (std::int64_t i = 0; i < 2; ++i)
      for (std::int64_t j = 0; j < 2; ++j) {
        float sum = 0;
        for (std::int64_t k = 0; k < 3; ++k) sum += (2.0f - at(x, {b, i, k})) * at(x, {b, j, k});
        BOOST_TEST(at(y, {b, i, j}) == sum, boost::test_tools::tolerance(1e-5f));
      }
  const Json again = Json::parse(model->to_json());
  BOOST_TEST(again["config"]["layers"][1]["inbound_nodes"].dump() ==
             R"([["_CONSTANT_VALUE",-1,2.0,{"y":["x",0,0],"name":null}]])");
}

BOOST_AUTO_TEST_CASE(unknown_ops_are_refused_by_name) {
  Json config{{"name", "tf.signal.rfft"}, {"trainable", true}, {"dtype", "float32"}, {"function", "signal.rfft"}};
  try {
    test::layer_from("TFOpLambda", config);
    BOOST_FAIL("an unknown TF op loaded");
  } catch (const Error& e) {
    const std::string what = e.what();
    BOOST_TEST(what.find("tf.signal.rfft") != std::string::npos, what);
    BOOST_TEST(what.find("tf.math.multiply") != std::string::npos, what);  // lists what is supported
  }
}

// Every name ksave/tf_function_names.hpp declares an alias loads, as its canonical name does, and
// the error refusing an unknown function lists the aliases among the supported names.
BOOST_AUTO_TEST_CASE(recorded_aliases_load_as_their_function) {
  for (const auto& [alias, canonical] : tf_function_names::aliases())
    for (const std::string& function : {alias, canonical}) {
      Json config{{"name", "tf." + function}, {"trainable", true}, {"dtype", "float32"}, {"function", function}};
      BOOST_CHECK_NO_THROW(test::layer_from("TFOpLambda", config));
    }
  // tf.compat.v1.transpose(x, perm) and tf.transpose(x, perm) give the same values.
  const Tensor x = test::ramp({2, 3});
  const Json perm = {{"perm", {1, 0}}};
  const auto transposed = [&](const std::string& function) {
    Json config{{"name", "tf." + function}, {"trainable", true}, {"dtype", "float32"}, {"function", function}};
    CallContext ctx;
    ctx.kwargs = &perm;
    return (*test::layer_from("TFOpLambda", config))(Tensors{x}, ctx).at(0).to_vector<float>();
  };
  BOOST_TEST(transposed("compat.v1.transpose") == transposed("transpose"), boost::test_tools::per_element());
  try {
    test::layer_from("TFOpLambda", Json{{"name", "tf.signal.rfft"}, {"function", "signal.rfft"}});
    BOOST_FAIL("an unknown TF op loaded");
  } catch (const Error& e) {
    BOOST_TEST(std::string(e.what()).find("tf.compat.v1.transpose") != std::string::npos, e.what());
  }
}

BOOST_AUTO_TEST_CASE(arguments_ksave_does_not_understand_are_refused) {
  const char* json = R"({"class_name": "Functional", "config": {"name": "m", "layers": [
    {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 3], "name": "x"}, "name": "x", "inbound_nodes": []},
    {"class_name": "TFOpLambda", "config": {"name": "tf.math.reduce_sum", "function": "math.reduce_sum"},
     "name": "tf.math.reduce_sum", "inbound_nodes": [["x", 0, 0, {"axis": 1, "keepdims": false, "weird": 3}]]}],
    "input_layers": [["x", 0, 0]], "output_layers": [["tf.math.reduce_sum", 0, 0]]}})";
  try {
    model_from_json(json);
    BOOST_FAIL("an unknown argument was ignored");
  } catch (const Error& e) {
    const std::string what = e.what();
    BOOST_TEST(what.find("weird") != std::string::npos, what);
    BOOST_TEST(what.find("tf.math.reduce_sum") != std::string::npos, what);
  }
}

BOOST_AUTO_TEST_CASE(configs_round_trip) {
  test::config_round_trips(test::layer_from("TFOpLambda", {{"name", "tf.nn.relu6"}, {"trainable", true}, {"dtype", "float32"}, {"function", "nn.relu6"}}));
  test::config_round_trips(test::layer_from("SlicingOpLambda", {{"name", "tf.__operators__.getitem"}, {"trainable", true}, {"dtype", "float32"}, {"function", "__operators__.getitem"}}));
}

BOOST_AUTO_TEST_CASE(gradients_flow_through_the_ops) {
  ModelPtr model = load_tf_ops_model();
  // Inputs in [0.6, 1.4] and small weights keep 2 * (dense(x) + x) inside (0, 6), away from the
  // relu6 kinks, and the clipped mean away from its bounds.
  for (const auto& w : model->trainable_weights()) w->assign(ops::mul(w->value(), 0.1));
  test::layer_gradients_match(model, {ops::add(test::ramp({2, 4, 6}, 0.4f), 1.0)});
}

// Through a Keras 3 archive too, as Keras 3's operations (so its config comes back in that form:
// `x + y` as math.add, tf.split's sizes [2, -1] as Split's indices [2]); the numbers are the same.
// tests/plugins/format_keras_zip's operations suite checks the entries.
BOOST_AUTO_TEST_CASE(weights_and_models_through_every_format) {
  test::check_weight_round_trips(load_tf_ops_model(), {test::ramp({2, 4, 6})}, "tf_op_lambda", {}, {"keras"});
}
