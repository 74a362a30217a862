// What the onnx format writes for a model, read back through its `inspect`: the operators each
// layer becomes, channels-first kept between convolutions, ONNX's recurrent operators or a Scan,
// opsets 13 to 17, shared weights written once, and one error that lists every layer without an
// ONNX form. (ONNX Runtime checks the numbers: tests/onnx/.)
#define BOOST_TEST_MODULE test_plugin_format_onnx
#include <boost/test/unit_test.hpp>

#include "onnx_test_models.hpp"
#include "support/test_data.hpp"
#include "support/user_layers.hpp"

using namespace ksave;
using namespace ksave::test::onnx;
namespace fs = std::filesystem;

namespace {

Json exported(const Model& model, const std::string& name, const Json& options = Json::object()) {
  const fs::path path = ksave::test::scratch_dir("onnx_export") / (name + ".onnx");
  save_onnx(model, path, options);
  return describe(path);
}

}  // namespace

BOOST_AUTO_TEST_CASE(an_mlp_is_gemms_and_its_activations_with_a_dynamic_batch) {
  const Json d = exported(*mlp(), "mlp");
  BOOST_TEST(operator_count(d, "Gemm") == 2);
  BOOST_TEST(operator_count(d, "Relu") == 1);
  BOOST_TEST(operator_count(d, "Softmax") == 1);
  BOOST_TEST(d.at("inputs").dump() == R"js([{"name":"features","type":"float","shape":"(batch, 4)"}])js");
  BOOST_TEST(d.at("outputs")[0].at("shape") == "(batch, 3)");
  BOOST_TEST(d.at("initializers") == 4);
  BOOST_TEST(d.at("initializer_bytes") == (4 * 5 + 5 + 5 * 3 + 3) * 4);
  BOOST_TEST(d.at("producer").get<std::string>().starts_with("ksave"));
}

BOOST_AUTO_TEST_CASE(opsets_13_to_17_are_selectable_and_13_is_the_default) {
  BOOST_TEST(exported(*mlp(), "default").at("opset").dump() == R"([{"domain":"ai.onnx","version":13}])");
  for (int opset = 13; opset <= 17; ++opset) {
    const Json d = exported(*mlp(), "opset" + std::to_string(opset), {{"opset", opset}});
    BOOST_TEST(d.at("opset")[0].at("version") == opset);
    BOOST_TEST(d.at("ir_version") == (opset <= 14 ? 7 : 8));  // ONNX's IR version of that opset
  }
  for (int opset : {12, 18}) {
    const std::string message = error_of([&] { exported(*mlp(), "bad_opset", {{"opset", opset}}); });
    BOOST_TEST(mentions(message, {"bad_opset.onnx", "opset " + std::to_string(opset), "13 to 17"}));
  }
  BOOST_TEST(mentions(error_of([&] { exported(*mlp(), "bad_key", {{"opst", 13}}); }), {"bad_key.onnx", "'opst'", "opset"}));
  BOOST_TEST(mentions(error_of([&] { exported(*mlp(), "bad_value", {{"opset", "13"}}); }), {"'opset'", "integer", "\"13\""}));
}

BOOST_AUTO_TEST_CASE(layer_normalization_is_onnx_s_operator_from_opset_17) {
  const ModelPtr model = stack({5, 6}, {{"LayerNormalization", {{"epsilon", 1e-3}}}, {"Dense", {{"units", 2}}}});
  const Json before = exported(*model, "ln13");
  BOOST_TEST(operator_count(before, "LayerNormalization") == 0);
  BOOST_TEST(operator_count(before, "ReduceMean") == 2);
  const Json after = exported(*model, "ln17", {{"opset", 17}});
  BOOST_TEST(operator_count(after, "LayerNormalization") == 1);
  BOOST_TEST(operator_count(after, "ReduceMean") == 0);
}

BOOST_AUTO_TEST_CASE(convolutions_stay_channels_first_from_the_first_to_the_last) {
  // One Transpose after the input and one before Flatten: none between the window layers.
  const ModelPtr flat = stack({8, 8, 3}, {{"Conv2D", {{"filters", 4}, {"kernel_size", 3}, {"padding", "same"}}},
                                          {"BatchNormalization", Json::object()},
                                          {"Activation", {{"activation", "relu"}}},
                                          {"MaxPooling2D", Json::object()},
                                          {"Conv2D", {{"filters", 2}, {"kernel_size", 2}}},
                                          {"Flatten", Json::object()},
                                          {"Dense", {{"units", 2}}}});
  const Json d = exported(*flat, "conv_flatten");
  BOOST_TEST(operator_count(d, "Transpose") == 2);
  BOOST_TEST(operator_count(d, "Conv") == 2);
  BOOST_TEST(operator_count(d, "BatchNormalization") == 1);  // the channel axis is ONNX's axis 1
  BOOST_TEST(operator_count(d, "MaxPool") == 1);
  // Global pooling reduces the spatial axes where they are: only the input's Transpose remains.
  const ModelPtr pooled = stack({8, 8, 3}, {{"Conv2D", {{"filters", 4}, {"kernel_size", 3}}},
                                            {"GlobalAveragePooling2D", Json::object()},
                                            {"Dense", {{"units", 2}}}});
  const Json d_pooled = exported(*pooled, "conv_pool");
  BOOST_TEST(operator_count(d_pooled, "Transpose") == 1);
  BOOST_TEST(operator_count(d_pooled, "GlobalAveragePool") == 1);  // held channels-first: ONNX's own operator
  BOOST_TEST(operator_count(d_pooled, "ReduceMean") == 0);
  // keepdims (a squeeze-excite block's pooling): a reduction over ONNX's axes 2 and 3.
  const Json kept = exported(*stack({8, 8, 3}, {{"Conv2D", {{"filters", 4}, {"kernel_size", 3}}},
                                               {"GlobalAveragePooling2D", {{"keepdims", true}}},
                                               {"Conv2D", {{"filters", 2}, {"kernel_size", 1}}}}),
                             "conv_pool_keepdims");
  BOOST_TEST(operator_count(kept, "ReduceMean") == 1);
  BOOST_TEST(operator_count(kept, "GlobalAveragePool") == 0);
  BOOST_TEST(operator_count(kept, "Transpose") == 2);  // after the input and before the output only
  // Held channels-last (no convolution before it): a reduction over Keras's spatial axes.
  const Json reduced = exported(*stack({8, 3}, {{"GlobalMaxPooling1D", Json::object()}}), "pool_no_conv");
  BOOST_TEST(operator_count(reduced, "ReduceMax") == 1);
  BOOST_TEST(operator_count(reduced, "GlobalMaxPool") == 0);
}

BOOST_AUTO_TEST_CASE(a_capped_relu_is_one_clip) {
  // ReLU(max_value=6) is Clip(x, 0, 6) alone, which ONNX Runtime fuses into a Conv before it.
  const Json capped = exported(*stack({4}, {{"ReLU", {{"max_value", 6.0}}}}), "relu6");
  BOOST_TEST(operator_count(capped, "Clip") == 1);
  BOOST_TEST(operator_count(capped, "Relu") == 0);
  // With a threshold the cap still follows the thresholded values.
  const Json thresholded = exported(*stack({4}, {{"ReLU", {{"max_value", 6.0}, {"threshold", 0.5}}}}), "relu6_threshold");
  BOOST_TEST(operator_count(thresholded, "Clip") == 1);
  BOOST_TEST(operator_count(thresholded, "Greater") == 1);
}

BOOST_AUTO_TEST_CASE(recurrent_layers_are_onnx_s_operators_unless_a_mask_or_activation_needs_a_scan) {
  const Json lstm = exported(*stack({6, 3}, {{"LSTM", {{"units", 4}, {"return_sequences", true}}}, {"LSTM", {{"units", 2}}}}), "lstm");
  BOOST_TEST(operator_count(lstm, "LSTM") == 2);
  BOOST_TEST(operator_count(lstm, "Scan") == 0);
  BOOST_TEST(operator_count(lstm, "Transpose") == 1);  // time-major from the input on
  BOOST_TEST(operator_count(exported(*stack({6, 3}, {{"GRU", {{"units", 4}, {"reset_after", true}}}}), "gru"), "GRU") == 1);
  BOOST_TEST(operator_count(exported(*stack({6, 3}, {{"SimpleRNN", {{"units", 4}}}}), "rnn"), "RNN") == 1);
  const Json bidirectional = exported(
      *stack({6, 3}, {{"Bidirectional", {{"layer", {{"class_name", "LSTM"}, {"config", {{"units", 3}}}}}}}}), "bidirectional");
  BOOST_TEST(operator_count(bidirectional, "LSTM") == 1);  // one operator, both directions
  const Json masked = exported(*stack({5}, {{"Embedding", {{"input_dim", 10}, {"output_dim", 4}, {"mask_zero", true}}},
                                            {"LSTM", {{"units", 3}}}}),
                               "masked");
  BOOST_TEST(operator_count(masked, "LSTM") == 0);
  BOOST_TEST(operator_count(masked, "Scan") == 1);
  BOOST_TEST(operator_count(masked, "Where") == 3);  // h, c and the output keep their values on masked steps
  const Json swish = exported(*stack({6, 3}, {{"SimpleRNN", {{"units", 4}, {"activation", "swish"}}}}), "swish_rnn");
  BOOST_TEST(operator_count(swish, "Scan") == 1);
}

BOOST_AUTO_TEST_CASE(a_shared_nested_model_writes_its_weights_once) {
  auto inner = stack({6}, {{"Dense", {{"units", 5}}}, {"Dense", {{"units", 6}}}});
  KerasTensor x = Input({6}, "x");
  KerasTensor twice = (*inner)((*inner)(x));
  auto outer = std::make_shared<Functional>(KerasTensors{x}, KerasTensors{twice}, "outer");
  const Json d = exported(*outer, "nested");
  BOOST_TEST(d.at("initializers") == 4);
  BOOST_TEST(operator_count(d, "Gemm") == 4);
}

BOOST_AUTO_TEST_CASE(each_input_names_its_own_batch_dimension) {
  // ONNX Runtime ran a two-input model 7% slower when both batch dimensions shared one name.
  KerasTensor a = Input({4}, "a"), b = Input({4}, "b");
  KerasTensor sum = (*deserialize_layer(Json{{"class_name", "Add"}, {"config", {{"name", "add"}}}}))({a, b}).front();
  const Json d = exported(*std::make_shared<Functional>(KerasTensors{a, b}, KerasTensors{sum}, "two_inputs"), "two_inputs");
  BOOST_TEST(d.at("inputs")[0].at("shape") == "(batch, 4)");
  BOOST_TEST(d.at("inputs")[1].at("shape") == "(batch_2, 4)");
  BOOST_TEST(d.at("outputs")[0].at("shape") == "(batch, 4)");
}

BOOST_AUTO_TEST_CASE(one_error_lists_every_layer_without_an_onnx_form) {
  // A user layer, which ONNX export has no converter for.
  CustomObjectScope scope({{"Scale", layer_class<ksave::test::ScaleLayer>("Scale")},
                           {"cube", activation_function("cube", [](const Tensor& t) { return ops::mul(t, ops::mul(t, t)); })}});
  const ModelPtr model = stack({4}, {{"Dense", {{"name", "cubed"}, {"units", 3}, {"activation", "cube"}}},
                                     {"Scale", {{"name", "doubled"}}},
                                     {"Dense", {{"name", "fine"}, {"units", 2}}}});
  const fs::path path = ksave::test::scratch_dir("onnx_unmapped") / "m.onnx";
  const std::string message = error_of([&] { save_onnx(*model, path); });
  BOOST_TEST(mentions(message, {"m.onnx", "2 layers", "'cubed' (Dense): activation 'cube' has no ONNX form",
                                "'doubled' (Scale): no ONNX mapping"}));
  BOOST_TEST(!fs::exists(path));
}

BOOST_AUTO_TEST_CASE(a_subclassed_model_is_refused_naming_it) {
  struct Subclassed : Model {
    Subclassed() : Model(Json{{"name", "two_tower"}}) {}
  };
  Subclassed model;
  const std::string message = error_of([&] { save_onnx(model, ksave::test::scratch_dir("onnx_sub") / "s.onnx"); });
  BOOST_TEST(mentions(message, {"s.onnx", "'two_tower'", "subclassed"}));
}
