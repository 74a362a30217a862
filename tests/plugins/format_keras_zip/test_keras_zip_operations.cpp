// Keras 3's operation nodes (keras.ops calls in a functional model: Relu6, Mean, GetItem, Power,
// Matmul, Concatenate, Where, ...) in `.keras` archives: a config Keras 3.15 wrote loads, each
// operation running as the TFOpLambda of its TensorFlow function and computing what it means;
// ksave writes the same entries back (module, class_name, config, nodes with their tensors and
// constants); an operation ksave lacks, or a parameter it cannot run, is refused by name. A second
// model holds the operations converted on the way (Argmax's int32, Split's indices as sizes, ...).
// Real Keras's predictions both ways are compared in tests/interop/test_keras3_ops.py.
#define BOOST_TEST_MODULE format_keras_zip_operations
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>

#include "keras_zip_test_support.hpp"
#include "ksave/ops.hpp"
#include "ksave/saving.hpp"
#include "ksave/serialization.hpp"
#include "support/error_checks.hpp"
#include "support/test_data.hpp"

namespace fs = std::filesystem;
using namespace ksave;

namespace {

// Keras 3.15: x, y = Input((4, 6)), Input((4, 6)); outputs ops.mean(ops.relu6(x), axis=1),
// x[:, 1:3], x[..., None, 0], ops.power(x, 2.0), ops.matmul(x, ops.transpose(y, (0, 2, 1))),
// ops.concatenate([x, y], axis=1), ops.where(ops.greater(x, 0.0), x, y), ops.gelu(x),
// ops.reshape(x, (-1, 24)), ops.clip(ops.leaky_relu(x, 0.1), -0.5, 0.5),
// ops.max(ops.softmax(x, axis=1), axis=[1, 2], keepdims=True); its config.json as written.
const std::string kKeras3Model =
    R"json({"module": "keras", "class_name": "Functional", "config": {"name": "ops", "trainable": true, )json"
    R"json("layers": [{"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 4, 6], )json"
    R"json("dtype": "float32", "sparse": false, "ragged": false, "name": "x", "optional": false}, )json"
    R"json("registered_name": null, "name": "x", "inbound_nodes": []}, {"module": "keras.layers", )json"
    R"json("class_name": "InputLayer", "config": {"batch_shape": [null, 4, 6], "dtype": "float32", "sparse": false, )json"
    R"json("ragged": false, "name": "y", "optional": false}, "registered_name": null, "name": "y", )json"
    R"json("inbound_nodes": []}, {"module": "keras.src.ops.nn", "class_name": "Relu6", "config": {"name": "relu6"}, )json"
    R"json("registered_name": "Relu6", "name": "relu6", )json"
    R"json("inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 4, 6], )json"
    R"json("dtype": "float32", "keras_history": ["x", 0, 0]}}], "kwargs": {}}]}, {"module": "keras.src.ops.numpy", )json"
    R"json("class_name": "Transpose", "config": {"name": "transpose", "axes": [0, 2, 1]}, )json"
    R"json("registered_name": "Transpose", "name": "transpose", )json"
    R"json("inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 4, 6], )json"
    R"json("dtype": "float32", "keras_history": ["y", 0, 0]}}], "kwargs": {}}]}, {"module": "keras.src.ops.numpy", )json"
    R"json("class_name": "Greater", "config": {"name": "greater"}, "registered_name": "Greater", "name": "greater", )json"
    R"json("inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 4, 6], )json"
    R"json("dtype": "float32", "keras_history": ["x", 0, 0]}}, 0.0], "kwargs": {}}]}, {"module": "keras.src.ops.nn", )json"
    R"json("class_name": "LeakyRelu", "config": {"name": "leaky_relu", "negative_slope": 0.1}, )json"
    R"json("registered_name": "LeakyRelu", "name": "leaky_relu", )json"
    R"json("inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 4, 6], )json"
    R"json("dtype": "float32", "keras_history": ["x", 0, 0]}}], "kwargs": {}}]}, {"module": "keras.src.ops.nn", )json"
    R"json("class_name": "Softmax", "config": {"name": "softmax", "axis": 1}, "registered_name": "Softmax", )json"
    R"json("name": "softmax", "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", )json"
    R"json("config": {"shape": [null, 4, 6], "dtype": "float32", "keras_history": ["x", 0, 0]}}], "kwargs": {}}]}, )json"
    R"json({"module": "keras.src.ops.numpy", "class_name": "Mean", "config": {"name": "mean", "axis": 1, )json"
    R"json("keepdims": false}, "registered_name": "Mean", "name": "mean", )json"
    R"json("inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 4, 6], )json"
    R"json("dtype": "float32", "keras_history": ["relu6", 0, 0]}}], "kwargs": {}}]}, )json"
    R"json({"module": "keras.src.ops.numpy", "class_name": "GetItem", "config": {"name": "get_item"}, )json"
    R"json("registered_name": "GetItem", "name": "get_item", )json"
    R"json("inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 4, 6], )json"
    R"json("dtype": "float32", "keras_history": ["x", 0, 0]}}, [{"class_name": "__slice__", "config": {"start": null, )json"
    R"json("stop": null, "step": null}}, {"class_name": "__slice__", "config": {"start": 1, "stop": 3, )json"
    R"json("step": null}}]], "kwargs": {}}]}, {"module": "keras.src.ops.numpy", "class_name": "GetItem", )json"
    R"json("config": {"name": "get_item_1"}, "registered_name": "GetItem", "name": "get_item_1", )json"
    R"json("inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 4, 6], )json"
    R"json("dtype": "float32", "keras_history": ["x", 0, 0]}}, [{"class_name": "__ellipsis__", "config": {}}, null, )json"
    R"json(0]], "kwargs": {}}]}, {"module": "keras.src.ops.numpy", "class_name": "Power", )json"
    R"json("config": {"name": "power"}, "registered_name": "Power", "name": "power", )json"
    R"json("inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 4, 6], )json"
    R"json("dtype": "float32", "keras_history": ["x", 0, 0]}}, 2.0], "kwargs": {}}]}, )json"
    R"json({"module": "keras.src.ops.numpy", "class_name": "Matmul", "config": {"name": "matmul"}, )json"
    R"json("registered_name": "Matmul", "name": "matmul", )json"
    R"json("inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 4, 6], )json"
    R"json("dtype": "float32", "keras_history": ["x", 0, 0]}}, {"class_name": "__keras_tensor__", )json"
    R"json("config": {"shape": [null, 6, 4], "dtype": "float32", "keras_history": ["transpose", 0, 0]}}], )json"
    R"json("kwargs": {}}]}, {"module": "keras.src.ops.numpy", "class_name": "Concatenate", )json"
    R"json("config": {"name": "concatenate", "axis": 1}, "registered_name": "Concatenate", "name": "concatenate", )json"
    R"json("inbound_nodes": [{"args": [[{"class_name": "__keras_tensor__", "config": {"shape": [null, 4, 6], )json"
    R"json("dtype": "float32", "keras_history": ["x", 0, 0]}}, {"class_name": "__keras_tensor__", )json"
    R"json("config": {"shape": [null, 4, 6], "dtype": "float32", "keras_history": ["y", 0, 0]}}]], "kwargs": {}}]}, )json"
    R"json({"module": "keras.src.ops.numpy", "class_name": "Where", "config": {"name": "where"}, )json"
    R"json("registered_name": "Where", "name": "where", )json"
    R"json("inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 4, 6], )json"
    R"json("dtype": "bool", "keras_history": ["greater", 0, 0]}}, {"class_name": "__keras_tensor__", )json"
    R"json("config": {"shape": [null, 4, 6], "dtype": "float32", "keras_history": ["x", 0, 0]}}, )json"
    R"json({"class_name": "__keras_tensor__", "config": {"shape": [null, 4, 6], "dtype": "float32", )json"
    R"json("keras_history": ["y", 0, 0]}}], "kwargs": {}}]}, {"module": "keras.src.ops.nn", "class_name": "Gelu", )json"
    R"json("config": {"name": "gelu", "approximate": true}, "registered_name": "Gelu", "name": "gelu", )json"
    R"json("inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 4, 6], )json"
    R"json("dtype": "float32", "keras_history": ["x", 0, 0]}}], "kwargs": {}}]}, {"module": "keras.src.ops.numpy", )json"
    R"json("class_name": "Reshape", "config": {"name": "reshape", "newshape": [-1, 24]}, )json"
    R"json("registered_name": "Reshape", "name": "reshape", )json"
    R"json("inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 4, 6], )json"
    R"json("dtype": "float32", "keras_history": ["x", 0, 0]}}], "kwargs": {}}]}, {"module": "keras.src.ops.numpy", )json"
    R"json("class_name": "Clip", "config": {"name": "clip", "x_min": -0.5, "x_max": 0.5}, "registered_name": "Clip", )json"
    R"json("name": "clip", "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, )json"
    R"json(4, 6], "dtype": "float32", "keras_history": ["leaky_relu", 0, 0]}}], "kwargs": {}}]}, )json"
    R"json({"module": "keras.src.ops.numpy", "class_name": "Max", "config": {"name": "max", "axis": [1, 2], )json"
    R"json("keepdims": true, "initial": null}, "registered_name": "Max", "name": "max", )json"
    R"json("inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 4, 6], )json"
    R"json("dtype": "float32", "keras_history": ["softmax", 0, 0]}}], "kwargs": {}}]}], "input_layers": [["x", 0, 0], )json"
    R"json(["y", 0, 0]], "output_layers": [["mean", 0, 0], ["get_item", 0, 0], ["get_item_1", 0, 0], ["power", 0, 0], )json"
    R"json(["matmul", 0, 0], ["concatenate", 0, 0], ["where", 0, 0], ["gelu", 0, 0], ["reshape", 0, 0], ["clip", 0, )json"
    R"json(0], ["max", 0, 0]]}, "registered_name": "Functional"})json";

// Keras 3.15: x = Input((4, 6)); outputs ops.log_sigmoid(x), ops.cumsum(x, axis=1), ops.zeros_like(x),
// ops.ones_like(x, dtype="float32"), ops.argmax(x, axis=-1), ops.argmin(x, axis=1),
// *ops.split(x, [2, 5], axis=-1), *ops.split(x, 2, axis=1); its model.to_json() as written.
const std::string kKeras3MoreOperations =
    R"json({"module": "keras.src.models.functional", "class_name": "Functional", "config": {"name": "more_ops", )json"
    R"json("trainable": true, "layers": [{"module": "keras.layers", "class_name": "InputLayer", )json"
    R"json("config": {"batch_shape": [null, 4, 6], "dtype": "float32", "sparse": false, "ragged": false, )json"
    R"json("name": "x", "optional": false}, "registered_name": null, "name": "x", "inbound_nodes": []}, )json"
    R"json({"module": "keras.src.ops.nn", "class_name": "LogSigmoid", "config": {"name": "log_sigmoid"}, )json"
    R"json("registered_name": "LogSigmoid", "name": "log_sigmoid", )json"
    R"json("inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 4, 6], )json"
    R"json("dtype": "float32", "keras_history": ["x", 0, 0]}}], "kwargs": {}}]}, {"module": "keras.src.ops.numpy", )json"
    R"json("class_name": "Cumsum", "config": {"name": "cumsum", "axis": 1, "dtype": null}, )json"
    R"json("registered_name": "Cumsum", "name": "cumsum", )json"
    R"json("inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 4, 6], )json"
    R"json("dtype": "float32", "keras_history": ["x", 0, 0]}}], "kwargs": {}}]}, {"module": "keras.src.ops.numpy", )json"
    R"json("class_name": "ZerosLike", "config": {"name": "zeros_like", "dtype": null}, )json"
    R"json("registered_name": "ZerosLike", "name": "zeros_like", )json"
    R"json("inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 4, 6], )json"
    R"json("dtype": "float32", "keras_history": ["x", 0, 0]}}], "kwargs": {}}]}, {"module": "keras.src.ops.numpy", )json"
    R"json("class_name": "OnesLike", "config": {"name": "ones_like", "dtype": "float32"}, )json"
    R"json("registered_name": "OnesLike", "name": "ones_like", )json"
    R"json("inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 4, 6], )json"
    R"json("dtype": "float32", "keras_history": ["x", 0, 0]}}], "kwargs": {}}]}, {"module": "keras.src.ops.numpy", )json"
    R"json("class_name": "Argmax", "config": {"name": "argmax", "axis": -1, "keepdims": false}, )json"
    R"json("registered_name": "Argmax", "name": "argmax", )json"
    R"json("inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 4, 6], )json"
    R"json("dtype": "float32", "keras_history": ["x", 0, 0]}}], "kwargs": {}}]}, {"module": "keras.src.ops.numpy", )json"
    R"json("class_name": "Argmin", "config": {"name": "argmin", "axis": 1, "keepdims": false}, )json"
    R"json("registered_name": "Argmin", "name": "argmin", )json"
    R"json("inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 4, 6], )json"
    R"json("dtype": "float32", "keras_history": ["x", 0, 0]}}], "kwargs": {}}]}, {"module": "keras.src.ops.numpy", )json"
    R"json("class_name": "Split", "config": {"name": "split", "indices_or_sections": [2, 5], "axis": -1}, )json"
    R"json("registered_name": "Split", "name": "split", )json"
    R"json("inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 4, 6], )json"
    R"json("dtype": "float32", "keras_history": ["x", 0, 0]}}], "kwargs": {}}]}, {"module": "keras.src.ops.numpy", )json"
    R"json("class_name": "Split", "config": {"name": "split_1", "indices_or_sections": 2, "axis": 1}, )json"
    R"json("registered_name": "Split", "name": "split_1", )json"
    R"json("inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 4, 6], )json"
    R"json("dtype": "float32", "keras_history": ["x", 0, 0]}}], "kwargs": {}}]}], "input_layers": ["x", 0, 0], )json"
    R"json("output_layers": [["log_sigmoid", 0, 0], ["cumsum", 0, 0], ["zeros_like", 0, 0], ["ones_like", 0, 0], )json"
    R"json(["argmax", 0, 0], ["argmin", 0, 0], ["split", 0, 0], ["split", 0, 1], ["split", 0, 2], ["split_1", 0, )json"
    R"json(0], ["split_1", 0, 1]]}, "registered_name": "Functional", "build_config": {"input_shape": null}, )json"
    R"json("compile_config": {}})json";

Tensor wave(const Shape& shape, float phase) {
  Tensor t(DType::Float32, shape);
  for (std::int64_t i = 0; i < t.size(); ++i) t.data<float>()[i] = 1.5f * std::sin(0.7f * static_cast<float>(i) + phase);
  return t;
}

void check_close(const Tensor& actual, const Tensor& expected, const std::string& what) {
  BOOST_TEST_CONTEXT(what) {
    BOOST_TEST_REQUIRE(actual.shape() == expected.shape(), shape_to_string(actual.shape()) << " vs " << shape_to_string(expected.shape()));
    const auto a = actual.as_float().to_vector<float>(), e = expected.as_float().to_vector<float>();
    // Relative to the value, absolute near 0 (a cumulative sum's order of additions shows there).
    for (std::size_t i = 0; i < a.size(); ++i) BOOST_TEST(std::abs(a[i] - e[i]) <= 1e-5f * std::max(1.0f, std::abs(e[i])), a[i] << " vs " << e[i]);
  }
}

// A reference tensor computed here, entry by entry (not with ksave's ops): value(b, i, j) over
// `shape` (a missing third axis gives j = 0).
Tensor reference(const Shape& shape, const std::function<double(Dim, Dim, Dim)>& value) {
  Tensor out(DType::Float32, shape);
  const Dim inner = shape.size() > 2 ? shape[2] : 1;
  for (std::int64_t k = 0; k < out.size(); ++k)
    out.data<float>()[k] = static_cast<float>(value(k / (shape[1] * inner), (k / inner) % shape[1], k % inner));
  return out;
}

// Keras 3.15: x, y = Input((4, 6)), Input((4, 6)); outputs ops.hard_sigmoid(x * 4.0),
// ops.hard_silu(x * 4.0), ops.hard_swish(y) (written HardSilu), ops.einsum("bij,bkj->bik", x, y),
// ops.einsum("bij->bj", x), ops.einsum("bji", x) (x itself: Keras's TensorFlow backend keeps an
// implicit output's letters in their order, where numpy sorts them); as written.
const char* kKeras3OnlyOperations = R"json({"module": "keras.src.models.functional", "class_name": "Functional", "config": {"name": "keras3_only", "trainable": true, "layers": [{"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 4, 6], "dtype": "float32", "sparse": false, "ragged": false, "name": "x", "optional": false}, "registered_name": null, "name": "x", "inbound_nodes": []}, {"module": "keras.src.ops.numpy", "class_name": "Multiply", "config": {"name": "multiply"}, "registered_name": "Multiply", "name": "multiply", "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 4, 6], "dtype": "float32", "keras_history": ["x", 0, 0]}}, 4.0], "kwargs": {}}]}, {"module": "keras.src.ops.numpy", "class_name": "Multiply", "config": {"name": "multiply_1"}, "registered_name": "Multiply", "name": "multiply_1", "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 4, 6], "dtype": "float32", "keras_history": ["x", 0, 0]}}, 4.0], "kwargs": {}}]}, {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 4, 6], "dtype": "float32", "sparse": false, "ragged": false, "name": "y", "optional": false}, "registered_name": null, "name": "y", "inbound_nodes": []}, {"module": "keras.src.ops.nn", "class_name": "HardSigmoid", "config": {"name": "hard_sigmoid"}, "registered_name": "HardSigmoid", "name": "hard_sigmoid", "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 4, 6], "dtype": "float32", "keras_history": ["multiply", 0, 0]}}], "kwargs": {}}]}, {"module": "keras.src.ops.nn", "class_name": "HardSilu", "config": {"name": "hard_silu"}, "registered_name": "HardSilu", "name": "hard_silu", "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 4, 6], "dtype": "float32", "keras_history": ["multiply_1", 0, 0]}}], "kwargs": {}}]}, {"module": "keras.src.ops.nn", "class_name": "HardSilu", "config": {"name": "hard_silu_1"}, "registered_name": "HardSilu", "name": "hard_silu_1", "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 4, 6], "dtype": "float32", "keras_history": ["y", 0, 0]}}], "kwargs": {}}]}, {"module": "keras.src.ops.numpy", "class_name": "Einsum", "config": {"name": "einsum", "subscripts": "bij,bkj->bik"}, "registered_name": "Einsum", "name": "einsum", "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 4, 6], "dtype": "float32", "keras_history": ["x", 0, 0]}}, {"class_name": "__keras_tensor__", "config": {"shape": [null, 4, 6], "dtype": "float32", "keras_history": ["y", 0, 0]}}], "kwargs": {}}]}, {"module": "keras.src.ops.numpy", "class_name": "Einsum", "config": {"name": "einsum_1", "subscripts": "bij->bj"}, "registered_name": "Einsum", "name": "einsum_1", "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 4, 6], "dtype": "float32", "keras_history": ["x", 0, 0]}}], "kwargs": {}}]}, {"module": "keras.src.ops.numpy", "class_name": "Einsum", "config": {"name": "einsum_2", "subscripts": "bji"}, "registered_name": "Einsum", "name": "einsum_2", "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 4, 6], "dtype": "float32", "keras_history": ["x", 0, 0]}}], "kwargs": {}}]}], "input_layers": [["x", 0, 0], ["y", 0, 0]], "output_layers": [["hard_sigmoid", 0, 0], ["hard_silu", 0, 0], ["hard_silu_1", 0, 0], ["einsum", 0, 0], ["einsum_1", 0, 0], ["einsum_2", 0, 0]]}, "registered_name": "Functional", "build_config": {"input_shape": null}, "compile_config": {}})json";

Json entry_named(const Json& config, const std::string& name) {
  for (const auto& entry : config["config"]["layers"])
    if (entry["name"] == name) return entry;
  BOOST_ERROR("no layer '" << name << "'");
  return Json();
}

// The model with one operation entry replaced by `change(entry)`.
std::string with_changed_entry(const std::string& name, const std::function<void(Json&)>& change) {
  Json config = Json::parse(kKeras3Model);
  for (auto& entry : config["config"]["layers"])
    if (entry["name"] == name) change(entry);
  return config.dump();
}

}  // namespace

BOOST_AUTO_TEST_CASE(keras3_operations_compute_what_they_mean) {
  const ModelPtr model = model_from_json(kKeras3Model);
  BOOST_TEST(model->get_layer("relu6")->class_name() == "TFOpLambda");
  BOOST_TEST(model->get_layer("get_item")->class_name() == "SlicingOpLambda");
  const Tensor x = wave({3, 4, 6}, 0.0f), y = wave({3, 4, 6}, 1.0f);
  const Tensors out = model->predict(Tensors{x, y});
  BOOST_TEST_REQUIRE(out.size() == 11u);
  check_close(out[0], ops::mean(ops::clip(x, 0.0, 6.0), {1}), "mean(relu6(x), axis=1)");
  check_close(out[1], ops::slice(x, {0, 1, 0}, {-1, 2, -1}), "x[:, 1:3]");
  check_close(out[2], ops::slice(x, {0, 0, 0}, {-1, -1, 1}), "x[..., None, 0]");
  check_close(out[3], ops::mul(x, x), "power(x, 2.0)");
  check_close(out[4], ops::batch_matmul(x, y, false, true), "matmul(x, transpose(y))");
  check_close(out[5], ops::concat({x, y}, 1), "concatenate([x, y], axis=1)");
  check_close(out[6], ops::select(ops::greater(x, ops::constant(0.0)), x, y), "where(x > 0, x, y)");
  const Tensor inner = ops::mul(ops::add(x, ops::mul(ops::mul(ops::square(x), x), 0.044715)), std::sqrt(2.0 / M_PI));
  check_close(out[7], ops::mul(ops::mul(x, 0.5), ops::add(ops::tanh(inner), 1.0)), "gelu(x), Keras 3's tanh form");
  check_close(out[8], ops::reshape(x, {3, 24}), "reshape(x, (-1, 24))");
  check_close(out[9], ops::clip(ops::leaky_relu(x, 0.1), -0.5, 0.5), "clip(leaky_relu(x, 0.1), -0.5, 0.5)");
  check_close(out[10], ops::max(ops::softmax(x, 1), {1, 2}, true), "max(softmax(x, axis=1), axis=[1, 2], keepdims=True)");
}

// ksave's archive of the model holds each operation as Keras 3 wrote it, and loads back.
BOOST_AUTO_TEST_CASE(operations_are_written_back_as_keras3_writes_them) {
  const ModelPtr model = model_from_json(kKeras3Model);
  const fs::path path = test::scratch_dir("keras3_operations") / "ops.keras";
  save_model(*model, path, SaveOptions{.format = "keras"});
  const Json written = test::keras_zip::read_json_entry(path, "config.json");
  const Json original = Json::parse(kKeras3Model);
  for (const auto& entry : original["config"]["layers"]) {
    if (entry["class_name"] == "InputLayer") continue;
    BOOST_TEST_CONTEXT(entry["name"]) { BOOST_TEST(entry_named(written, entry["name"]).dump() == entry.dump()); }
  }
  const Tensor x = wave({2, 4, 6}, 0.5f), y = wave({2, 4, 6}, 2.0f);
  const Tensors before = model->predict(Tensors{x, y}), after = load_model(path)->predict(Tensors{x, y});
  for (std::size_t i = 0; i < before.size(); ++i) check_close(after[i], before[i], "reloaded output " + std::to_string(i));
}

BOOST_AUTO_TEST_CASE(unknown_operations_and_parameters_are_refused_by_name) {
  const std::string arctan = with_changed_entry("relu6", [](Json& e) {
    e["class_name"] = "Arctan";
    e["registered_name"] = "Arctan";
  });
  BOOST_TEST(test::mentions(test::error_of([&] { model_from_json(arctan); }),
                            {"relu6", "keras.src.ops.nn.Arctan", "no equivalent", "keras.src.ops.nn.Relu6"}));
  const std::string elu = with_changed_entry("relu6", [](Json& e) {
    e["class_name"] = "Elu";
    e["config"] = Json{{"name", "relu6"}, {"alpha", 0.5}};
  });
  BOOST_TEST(test::mentions(test::error_of([&] { model_from_json(elu); }), {"relu6", "Elu", "alpha", "0.5"}));
  const std::string unknown_key = with_changed_entry("mean", [](Json& e) { e["config"]["where"] = true; });
  BOOST_TEST(test::mentions(test::error_of([&] { model_from_json(unknown_key); }), {"mean", "'where'", "not supported"}));
  const std::string no_history =
      with_changed_entry("mean", [](Json& e) { e["inbound_nodes"][0]["args"][0]["config"].erase("keras_history"); });
  BOOST_TEST(test::mentions(test::error_of([&] { model_from_json(no_history); }), {"mean", "malformed call node"}));
  const std::string too_many = with_changed_entry("mean", [](Json& e) { e["inbound_nodes"][0]["args"].push_back(1); });
  BOOST_TEST(test::mentions(test::error_of([&] { model_from_json(too_many); }), {"mean", "2 positional arguments"}));
}

// A tf-keras TFOpLambda whose function has no Keras 3 operation cannot go into a Keras 3 archive.
BOOST_AUTO_TEST_CASE(a_tf_function_without_a_keras3_operation_is_refused_for_keras3) {
  const ModelPtr model = model_from_json(with_changed_entry("relu6", [](Json& e) {
    e["class_name"] = "Softsign";
    e["module"] = "keras.src.ops.nn";
  }));
  BOOST_TEST(model->get_layer("relu6")->get_config()["function"] == "nn.softsign");
  Json tf_config = Json::parse(model->to_json());
  for (auto& entry : tf_config["config"]["layers"])
    if (entry["name"] == "relu6") entry["config"]["function"] = "math.l2_normalize";
  const ModelPtr l2 = model_from_json(tf_config.dump());
  const fs::path path = test::scratch_dir("keras3_operations_refused") / "l2.keras";
  BOOST_TEST(test::mentions(test::error_of([&] { save_model(*l2, path, SaveOptions{.format = "keras"}); }),
                            {"relu6", "tf.math.l2_normalize", "Keras 3 cannot load a TFOpLambda"}));
}

// Operations converted on the way: LogSigmoid, Cumsum, ZerosLike/OnesLike, Argmax/Argmin (int32,
// as Keras 3 gives them), Split (Keras 3's indices become tf.split's sizes).
BOOST_AUTO_TEST_CASE(more_keras3_operations_compute_what_they_mean) {
  const ModelPtr model = model_from_json(kKeras3MoreOperations);
  BOOST_TEST(model->get_layer("split")->get_config()["function"] == "split");
  const Tensor x = wave({3, 4, 6}, 0.3f);
  const auto at = [&](Dim b, Dim i, Dim j) { return static_cast<double>(x.data<float>()[(b * 4 + i) * 6 + j]); };
  const Tensors out = model->predict(Tensors{x});
  BOOST_TEST_REQUIRE(out.size() == 11u);
  check_close(out[0], reference({3, 4, 6}, [&](Dim b, Dim i, Dim j) { return std::log(1.0 / (1.0 + std::exp(-at(b, i, j)))); }),
              "log_sigmoid(x)");
  check_close(out[1], reference({3, 4, 6}, [&](Dim b, Dim i, Dim j) {
                double total = 0;
                for (Dim k = 0; k <= i; ++k) total += at(b, k, j);
                return total;
              }),
              "cumsum(x, axis=1)");
  check_close(out[2], reference({3, 4, 6}, [](Dim, Dim, Dim) { return 0.0; }), "zeros_like(x)");
  check_close(out[3], reference({3, 4, 6}, [](Dim, Dim, Dim) { return 1.0; }), "ones_like(x, dtype='float32')");
  BOOST_TEST(dtype_name(out[4].dtype()) == "int32");
  BOOST_TEST(dtype_name(out[5].dtype()) == "int32");
  check_close(out[4], reference({3, 4}, [&](Dim b, Dim i, Dim) {
                Dim best = 0;
                for (Dim j = 1; j < 6; ++j) best = at(b, i, j) > at(b, i, best) ? j : best;
                return static_cast<double>(best);
              }),
              "argmax(x, axis=-1)");
  check_close(out[5], reference({3, 6}, [&](Dim b, Dim j, Dim) {
                Dim best = 0;
                for (Dim i = 1; i < 4; ++i) best = at(b, i, j) < at(b, best, j) ? i : best;
                return static_cast<double>(best);
              }),
              "argmin(x, axis=1)");
  check_close(out[6], ops::slice(x, {0, 0, 0}, {-1, -1, 2}), "split(x, [2, 5], axis=-1)[0]");
  check_close(out[7], ops::slice(x, {0, 0, 2}, {-1, -1, 3}), "split(x, [2, 5], axis=-1)[1]");
  check_close(out[8], ops::slice(x, {0, 0, 5}, {-1, -1, 1}), "split(x, [2, 5], axis=-1)[2]");
  check_close(out[9], ops::slice(x, {0, 0, 0}, {-1, 2, -1}), "split(x, 2, axis=1)[0]");
  check_close(out[10], ops::slice(x, {0, 2, 0}, {-1, 2, -1}), "split(x, 2, axis=1)[1]");
}

BOOST_AUTO_TEST_CASE(more_operations_are_written_back_as_keras3_writes_them) {
  const ModelPtr model = model_from_json(kKeras3MoreOperations);
  const fs::path path = test::scratch_dir("keras3_more_operations") / "ops.keras";
  save_model(*model, path, SaveOptions{.format = "keras"});
  const Json written = test::keras_zip::read_json_entry(path, "config.json");
  for (const auto& entry : Json::parse(kKeras3MoreOperations)["config"]["layers"]) {
    if (entry["class_name"] == "InputLayer") continue;
    BOOST_TEST_CONTEXT(entry["name"]) { BOOST_TEST(entry_named(written, entry["name"]).dump() == entry.dump()); }
  }
  const Tensor x = wave({2, 4, 6}, 1.5f);
  const Tensors before = model->predict(Tensors{x}), after = load_model(path)->predict(Tensors{x});
  for (std::size_t i = 0; i < before.size(); ++i) check_close(after[i], before[i], "reloaded output " + std::to_string(i));
}

// What TensorFlow computes otherwise is refused: axis None (Keras 3 flattens, batch included),
// keepdims, overlapping split indices; tf.math.argmax's own int64 cannot become Keras 3's Argmax.
BOOST_AUTO_TEST_CASE(operations_tensorflow_computes_otherwise_are_refused) {
  const auto changed = [](const std::string& name, const std::function<void(Json&)>& change) {
    Json config = Json::parse(kKeras3MoreOperations);
    for (auto& entry : config["config"]["layers"])
      if (entry["name"] == name) change(entry);
    return config.dump();
  };
  const auto refusal = [&](const std::string& name, const std::function<void(Json&)>& change) {
    return test::error_of([&] { model_from_json(changed(name, change)); });
  };
  BOOST_TEST(test::mentions(refusal("cumsum", [](Json& e) { e["config"]["axis"] = nullptr; }), {"cumsum", "Cumsum", "'axis' is null"}));
  BOOST_TEST(test::mentions(refusal("argmin", [](Json& e) { e["config"]["keepdims"] = true; }), {"argmin", "keepdims", "true"}));
  BOOST_TEST(test::mentions(refusal("split", [](Json& e) { e["config"]["indices_or_sections"] = Json::array({4, 2}); }),
                            {"split", "[4,2]", "nondecreasing"}));
  BOOST_TEST(test::mentions(refusal("log_sigmoid", [](Json& e) { e["class_name"] = "Arctan"; }),
                            {"log_sigmoid", "keras.src.ops.nn.Arctan", "no equivalent"}));
  Json tf_config = Json::parse(model_from_json(kKeras3MoreOperations)->to_json());
  std::function<void(Json&)> drop_output_type = [&](Json& v) {
    if (v.is_object()) v.erase("output_type");
    if (v.is_structured())
      for (auto& item : v) drop_output_type(item);
  };
  for (auto& entry : tf_config["config"]["layers"])
    if (entry["name"] == "argmax") drop_output_type(entry["inbound_nodes"]);
  const ModelPtr int64_argmax = model_from_json(tf_config.dump());
  const fs::path path = test::scratch_dir("keras3_operations_int64") / "argmax.keras";
  BOOST_TEST(test::mentions(test::error_of([&] { save_model(*int64_argmax, path, SaveOptions{.format = "keras"}); }),
                            {"argmax", "output_type", "\"int32\""}));
}

// Keras 3's operations without a TensorFlow function tf-keras loads (HardSigmoid, HardSilu: no
// TensorFlow function computes them; Einsum: tf-keras records no tensors of tf.einsum) compute
// Keras 3's definitions, go back into `.keras` as Keras 3 wrote them, and are refused by name in
// tf-keras's formats.
BOOST_AUTO_TEST_CASE(keras3_only_operations_compute_what_they_mean) {
  const ModelPtr model = model_from_json(kKeras3OnlyOperations);
  BOOST_TEST(model->get_layer("hard_sigmoid")->get_config()["function"] == "keras3.hard_sigmoid");
  const Tensor x = wave({3, 4, 6}, 0.2f), y = wave({3, 4, 6}, 1.1f);
  const auto at = [](const Tensor& t, Dim b, Dim i, Dim j) { return static_cast<double>(t.data<float>()[(b * 4 + i) * 6 + j]); };
  const auto hard_sigmoid = [](double v) { return std::clamp(v + 3.0, 0.0, 6.0) / 6.0; };
  const Tensors out = model->predict(Tensors{x, y});
  BOOST_TEST_REQUIRE(out.size() == 6u);
  check_close(out[0], reference({3, 4, 6}, [&](Dim b, Dim i, Dim j) { return hard_sigmoid(4 * at(x, b, i, j)); }), "hard_sigmoid(4x)");
  check_close(out[1], reference({3, 4, 6}, [&](Dim b, Dim i, Dim j) { return 4 * at(x, b, i, j) * hard_sigmoid(4 * at(x, b, i, j)); }),
              "hard_silu(4x)");
  check_close(out[2], reference({3, 4, 6}, [&](Dim b, Dim i, Dim j) { return at(y, b, i, j) * hard_sigmoid(at(y, b, i, j)); }),
              "hard_swish(y)");
  check_close(out[3], reference({3, 4, 4}, [&](Dim b, Dim i, Dim k) {
                double total = 0;
                for (Dim j = 0; j < 6; ++j) total += at(x, b, i, j) * at(y, b, k, j);
                return total;
              }),
              "einsum('bij,bkj->bik', x, y)");
  check_close(out[4], reference({3, 6}, [&](Dim b, Dim j, Dim) {
                double total = 0;
                for (Dim i = 0; i < 4; ++i) total += at(x, b, i, j);
                return total;
              }),
              "einsum('bij->bj', x)");
  check_close(out[5], x, "einsum('bji', x): Keras's implicit output 'bji'");
}

BOOST_AUTO_TEST_CASE(keras3_only_operations_go_back_to_keras3_and_nowhere_else) {
  const ModelPtr model = model_from_json(kKeras3OnlyOperations);
  const fs::path folder = test::scratch_dir("keras3_only_operations");
  save_model(*model, folder / "ops.keras", SaveOptions{.format = "keras"});
  const Json written = test::keras_zip::read_json_entry(folder / "ops.keras", "config.json");
  for (const auto& entry : Json::parse(kKeras3OnlyOperations)["config"]["layers"]) {
    if (entry["class_name"] == "InputLayer") continue;
    BOOST_TEST_CONTEXT(entry["name"]) { BOOST_TEST(entry_named(written, entry["name"]).dump() == entry.dump()); }
  }
  const Tensor x = wave({2, 4, 6}, 0.7f), y = wave({2, 4, 6}, 0.1f);
  const Tensors before = model->predict(Tensors{x, y}), after = load_model(folder / "ops.keras")->predict(Tensors{x, y});
  for (std::size_t i = 0; i < before.size(); ++i) check_close(after[i], before[i], "reloaded output " + std::to_string(i));
  BOOST_TEST(test::mentions(test::error_of([&] { save_model(*model, folder / "ops.h5", SaveOptions{.format = "h5"}); }),
                            {"hard_sigmoid", "HDF5", "keras.src.ops.nn.HardSigmoid", "relu6(x + 3) / 6", ".keras"}));
  BOOST_TEST(!fs::exists(folder / "ops.h5"));
  BOOST_TEST(test::mentions(test::error_of([&] { save_model(*model, folder / "sm", SaveOptions{.format = "savedmodel"}); }),
                            {"hard_sigmoid", "SavedModel", "keras.src.ops.nn.HardSigmoid"}));
  // Each refused by its own name: the model with the functions before it made TensorFlow's.
  const auto without = [&](std::initializer_list<const char*> functions) {
    Json config = Json::parse(model->to_json());
    for (auto& entry : config["config"]["layers"])
      for (const char* f : functions)
        if (entry["config"].value("function", "") == f) entry["config"]["function"] = "nn.relu";
    return model_from_json(config.dump());
  };
  BOOST_TEST(test::mentions(test::error_of([&] { save_model(*without({"keras3.hard_sigmoid"}), folder / "s.h5", SaveOptions{.format = "h5"}); }),
                            {"hard_silu", "keras.src.ops.nn.HardSilu", "x * relu6(x + 3) / 6"}));
  BOOST_TEST(test::mentions(test::error_of([&] {
               save_model(*without({"keras3.hard_sigmoid", "keras3.hard_silu"}), folder / "e.h5", SaveOptions{.format = "h5"});
             }),
                            {"einsum", "keras.src.ops.numpy.Einsum", "Got 0 inputs for equation"}));
}
