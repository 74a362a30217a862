// TF ops recorded as TFOpLambda / SlicingOpLambda layers export from each call's arguments: an
// elementwise op keeps the layout its input is held in (MobileNetV3's hard-swish, `x * relu6(x +
// 3) / 6` between convolutions, adds no Transpose), a slice with an integer index, a negative
// step and tf.newaxis is one Slice, a Squeeze and an Unsqueeze. (ONNX Runtime checks the numbers
// of every TF function on real tf-keras files in tests/onnx/.)
#include <boost/test/unit_test.hpp>

#include "onnx_test_models.hpp"
#include "support/test_data.hpp"

using namespace ksave;
using namespace ksave::test::onnx;

namespace {

KerasTensor tf_op(const std::string& function, const KerasTensors& inputs, const Json& kwargs) {
  return (*make_layer("TFOpLambda", {{"function", function}}))(inputs, kwargs).at(0);
}

// The call structure tf.keras records for f(x, y=other): x first, the other tensor by keyword.
Json with_tensor_y() { return {{"_ksave_args", {{"_ksave_input", 0}}}, {"y", {{"_ksave_input", 1}}}}; }

Json exported(const Model& model, const std::string& name) {
  const auto path = ksave::test::scratch_dir("onnx_tf_ops") / (name + ".onnx");
  save_onnx(model, path);
  return describe(path);
}

}  // namespace

BOOST_AUTO_TEST_CASE(elementwise_tf_ops_keep_the_channels_first_layout_between_convolutions) {
  const KerasTensor image = Input({8, 8, 3}, "image");
  const KerasTensor x = (*make_layer("Conv2D", {{"filters", 4}, {"kernel_size", 3}, {"padding", "same"}}))(image);
  const KerasTensor shifted = tf_op("__operators__.add", {x}, {{"y", 3.0}});
  const KerasTensor gate = tf_op("math.multiply", {tf_op("nn.relu6", {shifted}, Json::object())}, {{"y", 1.0 / 6.0}});
  const KerasTensor swished = tf_op("math.multiply", {x, gate}, with_tensor_y());
  const KerasTensor y = (*make_layer("Conv2D", {{"filters", 2}, {"kernel_size", 2}}))(swished);
  const KerasTensor out = (*make_layer("Dense", {{"units", 2}}))((*make_layer("Flatten", Json::object()))(y));
  const Json d = exported(Functional({image}, {out}, "hard_swish"), "hard_swish");
  BOOST_TEST(operator_count(d, "Transpose") == 2);  // after the input, before Flatten
  BOOST_TEST(operator_count(d, "Clip") == 1);
  BOOST_TEST(operator_count(d, "Mul") == 2);
}

BOOST_AUTO_TEST_CASE(getitem_is_one_slice_then_squeeze_and_unsqueeze) {
  // x[:, 1, ::-2, tf.newaxis]
  const KerasTensor x = Input({4, 6}, "x");
  const Json spec = Json::array({{{"start", nullptr}, {"stop", nullptr}, {"step", nullptr}}, 1,
                                 {{"start", nullptr}, {"stop", nullptr}, {"step", -2}}, nullptr});
  const KerasTensor y = (*make_layer("SlicingOpLambda", {{"function", "__operators__.getitem"}}))(x, {{"slice_spec", spec}});
  BOOST_TEST((y.shape() == Shape{kUnknown, 3, 1}));
  const Json d = exported(Functional({x}, {y}, "getitem"), "getitem");
  BOOST_TEST(operator_count(d, "Slice") == 1);
  BOOST_TEST(operator_count(d, "Squeeze") == 1);
  BOOST_TEST(operator_count(d, "Unsqueeze") == 1);
}

// Keras 3 records `x + 3.0` as its Add operation called on a tensor and a constant (ksave's Add
// layer with the call's structure): one Add of the constant, in the convolutions' layout.
BOOST_AUTO_TEST_CASE(keras3_op_calls_with_constants_export_their_constants) {
  const KerasTensor image = Input({8, 8, 3}, "image");
  const KerasTensor x = (*make_layer("Conv2D", {{"filters", 4}, {"kernel_size", 3}, {"padding", "same"}}))(image);
  const Json plus_three = {{"_ksave_args", {{{"_ksave_input", 0}}, {{"_ksave_constant", 3.0}}}}};
  const KerasTensor shifted = (*make_layer("Add", Json::object()))(KerasTensors{x}, plus_three).at(0);
  const KerasTensor y = (*make_layer("Conv2D", {{"filters", 2}, {"kernel_size", 2}}))(shifted);
  const KerasTensor out = (*make_layer("Dense", {{"units", 2}}))((*make_layer("Flatten", Json::object()))(y));
  const Json d = exported(Functional({image}, {out}, "keras3_add"), "keras3_add");
  BOOST_TEST(operator_count(d, "Add") == 1);
  BOOST_TEST(operator_count(d, "Transpose") == 2);  // after the input, before Flatten
}

// Keras 3's hard_sigmoid and hard_silu (ksave's keras3.* functions) are ONNX's HardSigmoid with
// alpha 1/6 (times x for hard_silu); its einsum is ONNX's Einsum with Keras's subscripts.
BOOST_AUTO_TEST_CASE(keras3_only_operations_are_hard_sigmoid_and_einsum) {
  const KerasTensor x = Input({4, 6}, "x"), y = Input({4, 6}, "y");
  const KerasTensor gate = tf_op("keras3.hard_sigmoid", {x}, Json::object());
  const KerasTensor swished = tf_op("keras3.hard_silu", {gate}, Json::object());
  const Json product_call = {{"_ksave_args", {{"_ksave_input", 0}}}, {"y", {{"_ksave_input", 1}}}, {"equation", "bij,bkj->bik"}};
  const KerasTensor product = tf_op("keras3.einsum", {swished, y}, product_call);
  const KerasTensor summed = tf_op("keras3.einsum", {x}, {{"equation", "bij->bj"}});
  BOOST_TEST((product.shape() == Shape{kUnknown, 4, 4}));
  BOOST_TEST((summed.shape() == Shape{kUnknown, 6}));
  const Json d = exported(Functional({x, y}, {product, summed}, "keras3_only"), "keras3_only");
  BOOST_TEST(operator_count(d, "HardSigmoid") == 2);
  BOOST_TEST(operator_count(d, "Einsum") == 2);
}
