// Inference folding (ksave/inference_folding.hpp): a model's predict runs a product layer, the
// BatchNormalization after it and the activation after that as one fused product with the
// normalization folded into its weights. Checked against the same layers run one by one (the
// unfolded path), with moved statistics; the folded weights follow set_weights and training steps.
#define BOOST_TEST_MODULE inference_folding
#include <boost/test/unit_test.hpp>

#include "ksave/autodiff.hpp"
#include "ksave/inference_folding.hpp"
#include "ksave/ksave.hpp"
#include "layer_zoo_support/layer_checks.hpp"
#include "support/test_data.hpp"

using namespace ksave;
using namespace ksave::test::zoo;

namespace {

// Float32 rounding of a fold (w * scale summed in another order, shift added once): a few ulps of
// the values' magnitude, which is about 1-10 here.
constexpr double kRtol = 1e-5, kAtol = 2e-5;

// The model's layers after its input, run one by one: the unfolded computation.
Tensor layer_by_layer(const Model& model, const Tensor& x) {
  Tensor y = x;
  for (const LayerPtr& layer : model.layers())
    if (layer->class_name() != "InputLayer") y = (*layer)(y);
  return y;
}

// BatchNormalization statistics moved away from their initial values, as training leaves them.
void move_statistics(Layer& bn, unsigned seed) {
  const Dim c = bn.weights().front()->shape()[0];
  bn.set_weights({random_tensor({c}, seed, 0.5f, 2.0f), random_tensor({c}, seed + 1, -1.0f, 1.0f),
                  random_tensor({c}, seed + 2, -0.5f, 0.5f), random_tensor({c}, seed + 3, 0.2f, 3.0f)});
}

// Input(8, 8, 3) -> Conv2D -> BN -> ReLU6 -> DepthwiseConv2D -> BN -> ReLU6 -> Conv2D(bias) -> BN
// -> Activation(relu) -> Flatten -> Dense -> BN: every product kind, with and without a bias or
// an activation after the normalization.
ModelPtr conv_bn_relu6_model() {
  KerasTensor x = Input({8, 8, 3}, "image");
  KerasTensor y = (*layer_from("Conv2D", {{"name", "expand"}, {"filters", 6}, {"kernel_size", 3}, {"padding", "same"},
                                          {"use_bias", false}}))(x);
  y = (*layer_from("BatchNormalization", {{"name", "expand_bn"}}))(y);
  y = (*layer_from("ReLU", {{"name", "expand_relu"}, {"max_value", 6.0}}))(y);
  y = (*layer_from("DepthwiseConv2D", {{"name", "depthwise"}, {"kernel_size", 3}, {"strides", 2}, {"padding", "same"},
                                       {"use_bias", false}}))(y);
  y = (*layer_from("BatchNormalization", {{"name", "depthwise_bn"}}))(y);
  y = (*layer_from("ReLU", {{"name", "depthwise_relu"}, {"max_value", 6.0}}))(y);
  y = (*layer_from("Conv2D", {{"name", "project"}, {"filters", 5}, {"kernel_size", 1}}))(y);
  y = (*layer_from("BatchNormalization", {{"name", "project_bn"}}))(y);
  y = (*layer_from("Activation", {{"name", "project_relu"}, {"activation", "relu"}}))(y);
  y = (*layer_from("Flatten", {{"name", "flatten"}}))(y);
  y = (*layer_from("Dense", {{"name", "dense"}, {"units", 4}}))(y);
  y = (*layer_from("BatchNormalization", {{"name", "dense_bn"}}))(y);
  auto model = std::make_shared<Functional>(KerasTensors{x}, KerasTensors{y}, "folding");
  unsigned seed = 10;
  for (const LayerPtr& layer : model->layers())
    if (layer->class_name() == "BatchNormalization") move_statistics(*layer, seed += 10);
  return model;
}

void check_close(const Tensor& folded, const Tensor& reference) {
  BOOST_TEST_CONTEXT("largest difference " << max_abs_difference(folded, reference)) {
    BOOST_TEST(allclose(folded, reference, kRtol, kAtol));
  }
}

// A channel-affine layer of the test's own (x * scale per channel) that counts how often it runs
// itself and how often the folding computes its map.
class CountingScale : public Layer, public ChannelAffineLayer {
 public:
  explicit CountingScale(const Json& config) : Layer(config, "CountingScale") {}
  std::string class_name() const override { return "CountingScale"; }
  bool is_channel_affine(bool) const override { return true; }
  std::span<const VariablePtr> affine_variables() const override { return variables_; }
  Affine channel_affine() const override {
    ++folds;
    return {variables_[0]->value(), Tensor(DType::Float32, variables_[0]->shape())};
  }
  mutable int folds = 0;
  int calls = 0;

 protected:
  void build_impl(const std::vector<Shape>& shapes) override {
    variables_ = {add_weight({.name = "scale", .shape = {shapes.at(0).back()}})};
  }
  Tensors call(const Tensors& inputs, const CallContext&) override {
    ++calls;
    return {ops::mul(inputs.at(0), variables_[0]->value())};
  }
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override { return shapes; }

 private:
  std::vector<VariablePtr> variables_;
};

}  // namespace

BOOST_AUTO_TEST_CASE(folded_predictions_equal_the_layers_run_one_by_one) {
  const ModelPtr model = conv_bn_relu6_model();
  const Tensor x = random_tensor({2, 8, 8, 3}, 3, -2.0f, 2.0f);
  const Tensor reference = layer_by_layer(*model, x);
  check_close(model->predict_on_batch({x})[0], reference);
  // The same chain in a Sequential model.
  auto sequential = std::make_shared<Sequential>();
  sequential->add(model->layers()[0]);
  for (const LayerPtr& layer : model->layers())
    if (layer->class_name() != "InputLayer") sequential->add(layer);
  check_close(sequential->predict_on_batch({x})[0], reference);
}

BOOST_AUTO_TEST_CASE(set_weights_and_a_training_step_after_a_predict_change_the_folded_result) {
  const ModelPtr model = conv_bn_relu6_model();
  const Tensor x = random_tensor({4, 8, 8, 3}, 4, -2.0f, 2.0f);
  const Tensor before = model->predict_on_batch({x})[0];

  move_statistics(*model->get_layer("depthwise_bn"), 99);
  const Tensor moved = model->predict_on_batch({x})[0];
  BOOST_TEST(max_abs_difference(moved, before) > 1e-3);
  check_close(moved, layer_by_layer(*model, x));

  model->get_layer("expand")->set_weights({random_tensor({3, 3, 3, 6}, 5)});
  const Tensor new_kernel = model->predict_on_batch({x})[0];
  BOOST_TEST(max_abs_difference(new_kernel, moved) > 1e-3);
  check_close(new_kernel, layer_by_layer(*model, x));

  // A training step moves the kernels and the moving statistics.
  model->compile(Json{{"class_name", "SGD"}, {"config", {{"learning_rate", 0.1}}}}, "mean_squared_error");
  model->train_on_batch({x}, {random_tensor({4, 4}, 6)});
  const Tensor trained = model->predict_on_batch({x})[0];
  BOOST_TEST(max_abs_difference(trained, new_kernel) > 1e-3);
  check_close(trained, layer_by_layer(*model, x));
}

BOOST_AUTO_TEST_CASE(weights_loaded_after_a_predict_change_the_folded_result) {
  // Loaders overwrite a variable's storage in place when nothing else holds it; the folded and
  // reordered weights of the first predict hold it, so the load must give fresh storage.
  const ModelPtr model = conv_bn_relu6_model();
  const ModelPtr other = clone_model(*model);
  for (const LayerPtr& layer : other->layers())
    if (layer->class_name() == "BatchNormalization") move_statistics(*layer, 200);
  const Tensor x = random_tensor({2, 8, 8, 3}, 11, -2.0f, 2.0f);
  const Tensor before = model->predict_on_batch({x})[0];
  const Tensor expected = other->predict_on_batch({x})[0];
  BOOST_TEST(max_abs_difference(before, expected) > 1e-3);
  for (const char* file : {"folding.weights.h5", "folding_checkpoint"}) {
    BOOST_TEST_CONTEXT(file) {
      const auto path = test::scratch_dir("inference_folding") / file;
      save_weights(*other, path);
      model->set_weights(clone_model(*model)->get_weights());  // back to other values first
      model->predict_on_batch({x});
      load_weights(*model, path);
      check_close(model->predict_on_batch({x})[0], expected);
    }
  }
}

BOOST_AUTO_TEST_CASE(the_map_is_folded_once_and_again_when_a_weight_changes) {
  KerasTensor x = Input({5, 5, 2}, "image");
  auto scale = std::make_shared<CountingScale>(Json{{"name", "scale"}});
  KerasTensor y = (*layer_from("Conv2D", {{"name", "conv"}, {"filters", 3}, {"kernel_size", 2}}))(x);
  y = (*scale)(y);
  y = (*layer_from("ReLU", {{"name", "relu"}}))(y);
  const auto model = std::make_shared<Functional>(KerasTensors{x}, KerasTensors{y}, "counting");
  scale->set_weights({Tensor::from_vector<float>({0.5f, -2.0f, 3.0f}, {3})});
  const Tensor input = random_tensor({2, 5, 5, 2}, 7);
  const int calls_while_building = scale->calls;

  for (int i = 0; i < 3; ++i) check_close(model->predict_on_batch({input})[0], layer_by_layer(*model, input));
  BOOST_TEST(scale->folds == 1);
  BOOST_TEST(scale->calls == calls_while_building + 3);  // only layer_by_layer ran it

  scale->set_weights({Tensor::from_vector<float>({1.5f, 2.0f, -1.0f}, {3})});
  check_close(model->predict_on_batch({input})[0], layer_by_layer(*model, input));
  BOOST_TEST(scale->folds == 2);
  model->get_layer("conv")->set_weights({random_tensor({2, 2, 2, 3}, 8), random_tensor({3}, 9)});
  check_close(model->predict_on_batch({input})[0], layer_by_layer(*model, input));
  BOOST_TEST(scale->folds == 3);

  // Under a tape (training, gradients) every layer runs itself.
  const int calls = scale->calls;
  {
    GradientTape tape;
    (*model)(input);
  }
  BOOST_TEST(scale->calls == calls + 1);
  BOOST_TEST(scale->folds == 3);
}

namespace {

// A zero padding of the test's own (ZeroPadding2D's amounts) that counts how often it runs itself.
class CountingPadding : public Layer, public SpatialZeroPaddingLayer {
 public:
  CountingPadding(const Json& config, std::vector<std::pair<Dim, Dim>> amounts)
      : Layer(config, "CountingPadding"), amounts_(std::move(amounts)) {}
  std::string class_name() const override { return "CountingPadding"; }
  std::vector<std::pair<Dim, Dim>> channels_last_zero_padding() const override { return amounts_; }
  int calls = 0;

 protected:
  Tensors call(const Tensors& inputs, const CallContext&) override {
    ++calls;
    return {ops::pad(inputs.at(0), {{0, 0}, amounts_[0], amounts_[1], {0, 0}})};
  }
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override {
    Shape out = shapes.at(0);
    for (std::size_t i = 0; i < 2; ++i)
      if (out[i + 1] >= 0) out[i + 1] += amounts_[i].first + amounts_[i].second;
    return {out};
  }

 private:
  std::vector<std::pair<Dim, Dim>> amounts_;
};

}  // namespace

BOOST_AUTO_TEST_CASE(a_zero_padding_before_a_valid_convolution_becomes_its_padding) {
  // MobileNetV2's stride-2 blocks and ResNet50's stem: ZeroPadding2D, then a 'valid' convolution.
  KerasTensor x = Input({9, 8, 4}, "image");
  KerasTensor y = (*layer_from("ZeroPadding2D", {{"name", "pad_depthwise"}, {"padding", Json::array({Json::array({1, 2}), Json::array({0, 1})})}}))(x);
  y = (*layer_from("DepthwiseConv2D", {{"name", "depthwise"}, {"kernel_size", 3}, {"strides", 2}, {"use_bias", false}}))(y);
  y = (*layer_from("BatchNormalization", {{"name", "depthwise_bn"}}))(y);
  y = (*layer_from("ReLU", {{"name", "depthwise_relu"}, {"max_value", 6.0}}))(y);
  y = (*layer_from("ZeroPadding2D", {{"name", "pad_conv"}, {"padding", 2}}))(y);
  y = (*layer_from("Conv2D", {{"name", "conv"}, {"filters", 3}, {"kernel_size", 3}, {"dilation_rate", 2}}))(y);
  // Not taken: a 'same' convolution pads by itself too.
  y = (*layer_from("ZeroPadding2D", {{"name", "pad_same"}, {"padding", 1}}))(y);
  y = (*layer_from("Conv2D", {{"name", "same_conv"}, {"filters", 2}, {"kernel_size", 2}, {"padding", "same"}}))(y);
  const auto model = std::make_shared<Functional>(KerasTensors{x}, KerasTensors{y}, "padding");
  move_statistics(*model->get_layer("depthwise_bn"), 40);
  const auto* padding = dynamic_cast<const SpatialZeroPaddingLayer*>(model->get_layer("pad_depthwise").get());
  BOOST_REQUIRE(padding);
  BOOST_TEST((padding->channels_last_zero_padding() == std::vector<std::pair<Dim, Dim>>{{1, 2}, {0, 1}}));
  const Tensor input = random_tensor({2, 9, 8, 4}, 41, -2.0f, 2.0f);
  check_close(model->predict_on_batch({input})[0], layer_by_layer(*model, input));

  // Conv1D after ZeroPadding1D, in a Sequential model.
  auto sequential = std::make_shared<Sequential>();
  sequential->add(layer_from("ZeroPadding1D", {{"name", "pad1d"}, {"padding", Json::array({2, 1})}}));
  sequential->add(layer_from("Conv1D", {{"name", "conv1d"}, {"filters", 3}, {"kernel_size", 3}, {"strides", 2}}));
  const Tensor sequence = random_tensor({2, 7, 4}, 42, -2.0f, 2.0f);
  check_close(sequential->predict_on_batch({sequence})[0], layer_by_layer(*sequential, sequence));
}

BOOST_AUTO_TEST_CASE(a_folded_zero_padding_does_not_run_itself_at_inference) {
  KerasTensor x = Input({6, 6, 2}, "image");
  auto padding = std::make_shared<CountingPadding>(Json{{"name", "pad"}}, std::vector<std::pair<Dim, Dim>>{{1, 0}, {2, 1}});
  KerasTensor y = (*padding)(x);
  y = (*layer_from("Conv2D", {{"name", "conv"}, {"filters", 3}, {"kernel_size", 3}, {"strides", 2}}))(y);
  const auto model = std::make_shared<Functional>(KerasTensors{x}, KerasTensors{y}, "counting_padding");
  const Tensor input = random_tensor({2, 6, 6, 2}, 43);
  const int calls_while_building = padding->calls;
  for (int i = 0; i < 3; ++i) check_close(model->predict_on_batch({input})[0], layer_by_layer(*model, input));
  BOOST_TEST(padding->calls == calls_while_building + 3);  // only layer_by_layer ran it
  {
    GradientTape tape;
    (*model)(input);
  }
  BOOST_TEST(padding->calls == calls_while_building + 4);
}

BOOST_AUTO_TEST_CASE(an_edit_through_data_after_a_predict_changes_the_result) {
  // Kept derived values (the folded weights, the filters reordered for oneDNN) follow a write
  // through Tensor::data<T>() into a variable's own storage: its version moves on.
  const ModelPtr model = conv_bn_relu6_model();
  const Tensor x = random_tensor({2, 8, 8, 3}, 12, -2.0f, 2.0f);
  Tensor previous = model->predict_on_batch({x})[0];
  for (const char* name : {"expand", "project", "depthwise_bn"}) {
    BOOST_TEST_CONTEXT(name) {
      Tensor value = model->get_layer(name)->weights().front()->value();  // shares the variable's storage
      float* values = value.data<float>();
      for (std::int64_t i = 0; i < value.size(); ++i) values[i] = values[i] * 1.5f + 0.25f;
      const Tensor edited = model->predict_on_batch({x})[0];
      BOOST_TEST(max_abs_difference(edited, previous) > 1e-3);
      check_close(edited, layer_by_layer(*model, x));
      previous = edited;
    }
  }
}

BOOST_AUTO_TEST_CASE(an_edit_through_data_reaches_a_convolution_run_by_itself) {
  // No chain: the convolution's filter reordered for oneDNN is what is kept between predicts.
  auto model = std::make_shared<Sequential>();
  model->add(layer_from("Conv2D", {{"name", "conv"}, {"filters", 8}, {"kernel_size", 3}, {"padding", "same"}}));
  const Tensor x = random_tensor({2, 10, 10, 16}, 13, -2.0f, 2.0f);
  const Tensor before = model->predict_on_batch({x})[0];
  Tensor kernel = model->get_layer("conv")->weights().front()->value();
  kernel.data<float>()[5] += 4.0f;
  const Tensor after = model->predict_on_batch({x})[0];
  BOOST_TEST(max_abs_difference(after, before) > 1e-3);
  check_close(after, layer_by_layer(*model, x));
}

namespace {

// An Add of the test's own (two inputs of one shape) that counts how often it runs itself.
class CountingAdd : public Layer, public ElementwiseSumLayer {
 public:
  explicit CountingAdd(const Json& config) : Layer(config, "CountingAdd") {}
  std::string class_name() const override { return "CountingAdd"; }
  bool sums_two_inputs(const Json*) const override { return true; }
  int calls = 0;

 protected:
  Tensors call(const Tensors& inputs, const CallContext&) override {
    ++calls;
    return {ops::add(inputs.at(0), inputs.at(1))};
  }
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override { return {shapes.at(0)}; }
};

// The model's call with every layer running itself (a tape watches: no chain runs fused).
Tensor unfused(Model& model, const Tensor& x) {
  GradientTape tape;
  return model(x);
}

// Conv2D (3x3) -> BN -> ReLU6: the block input that nothing else holds once the block read it.
KerasTensor stem(const KerasTensor& x, const std::string& name, Dim filters) {
  KerasTensor y = (*layer_from("Conv2D", {{"name", name}, {"filters", filters}, {"kernel_size", 3}, {"padding", "same"},
                                          {"use_bias", false}}))(x);
  y = (*layer_from("BatchNormalization", {{"name", name + "_bn"}}))(y);
  return (*layer_from("ReLU", {{"name", name + "_relu"}, {"max_value", 6.0}}))(y);
}

// MobileNetV2's inverted residual block without its Add: 1x1 expand -> BN -> ReLU6 ->
// depthwise 3x3 -> BN -> ReLU6 -> 1x1 project -> BN (linear).
KerasTensor inverted_residual(const KerasTensor& x, const std::string& name, Dim channels) {
  KerasTensor y = stem(x, name + "_expand", channels * 3);
  y = (*layer_from("DepthwiseConv2D", {{"name", name + "_depthwise"}, {"kernel_size", 3}, {"padding", "same"},
                                       {"use_bias", false}}))(y);
  y = (*layer_from("BatchNormalization", {{"name", name + "_depthwise_bn"}}))(y);
  y = (*layer_from("ReLU", {{"name", name + "_depthwise_relu"}, {"max_value", 6.0}}))(y);
  y = (*layer_from("Conv2D", {{"name", name + "_project"}, {"filters", channels}, {"kernel_size", 1},
                              {"use_bias", false}}))(y);
  return (*layer_from("BatchNormalization", {{"name", name + "_project_bn"}}))(y);
}

void move_all_statistics(Model& model) {
  unsigned seed = 100;
  for (const LayerPtr& layer : model.layers())
    if (layer->class_name() == "BatchNormalization") move_statistics(*layer, seed += 10);
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_residual_add_runs_inside_the_projection_before_it) {
  // Two blocks, as MobileNetV2's: the Add's other input is the block's input, which the expand
  // read before; the first block's sum is the second block's input. Both operand orders.
  const KerasTensor x = Input({8, 8, 3}, "image");
  const KerasTensor s = stem(x, "stem", 4);
  auto first = std::make_shared<CountingAdd>(Json{{"name", "first_add"}});
  auto second = std::make_shared<CountingAdd>(Json{{"name", "second_add"}});
  const KerasTensor a = (*first)(KerasTensors{s, inverted_residual(s, "block1", 4)}).at(0);
  const KerasTensor b = (*second)(KerasTensors{inverted_residual(a, "block2", 4), a}).at(0);
  const auto model = std::make_shared<Functional>(KerasTensors{x}, KerasTensors{b}, "residual");
  move_all_statistics(*model);
  const Tensor input = random_tensor({2, 8, 8, 3}, 50, -2.0f, 2.0f);
  const Tensor reference = unfused(*model, input);
  BOOST_TEST((first->calls == 1 && second->calls == 1));  // the unfused call
  for (int i = 0; i < 3; ++i) check_close(model->predict_on_batch({input})[0], reference);
  BOOST_TEST((first->calls == 1 && second->calls == 1));  // added inside the projections

  // Keras's own Add: the same numbers as its layers run one by one.
  const KerasTensor y = stem(x, "keras_stem", 4);
  const KerasTensor z =
      (*layer_from("Add", {{"name", "keras_add"}}))(KerasTensors{y, inverted_residual(y, "keras_block", 4)}).at(0);
  const auto keras = std::make_shared<Functional>(KerasTensors{x}, KerasTensors{z}, "keras_residual");
  move_all_statistics(*keras);
  check_close(keras->predict_on_batch({input})[0], unfused(*keras, input));
  for (const char* cls : {"Subtract", "Multiply", "Maximum", "Average"}) {
    BOOST_TEST_CONTEXT(cls) {
      const auto* other = dynamic_cast<const ElementwiseSumLayer*>(layer_from(cls, {{"name", "other"}}).get());
      BOOST_TEST((other && !other->sums_two_inputs(nullptr)));
    }
  }
}

BOOST_AUTO_TEST_CASE(a_residual_add_whose_other_input_is_still_needed_runs_itself) {
  const KerasTensor x = Input({8, 8, 3}, "image");
  const Tensor input = random_tensor({2, 8, 8, 3}, 51, -2.0f, 2.0f);
  // Read again after the Add (by a second Add): the first sum must not overwrite it.
  {
    const KerasTensor s = stem(x, "stem", 4);
    auto add = std::make_shared<CountingAdd>(Json{{"name", "add"}});
    const KerasTensor a = (*add)(KerasTensors{s, inverted_residual(s, "block", 4)}).at(0);
    const KerasTensor again = (*layer_from("Add", {{"name", "again"}}))(KerasTensors{a, s}).at(0);
    const auto model = std::make_shared<Functional>(KerasTensors{x}, KerasTensors{again}, "read_again");
    move_all_statistics(*model);
    const Tensor reference = unfused(*model, input);
    const int calls = add->calls;
    check_close(model->predict_on_batch({input})[0], reference);
    BOOST_TEST(add->calls == calls + 1);
  }
  // A model output too.
  {
    const KerasTensor s = stem(x, "stem", 4);
    auto add = std::make_shared<CountingAdd>(Json{{"name", "add"}});
    const KerasTensor a = (*add)(KerasTensors{s, inverted_residual(s, "block", 4)}).at(0);
    const auto model = std::make_shared<Functional>(KerasTensors{x}, KerasTensors{a, s}, "output_too");
    move_all_statistics(*model);
    Tensors reference;
    {
      GradientTape tape;
      reference = (*model)(Tensors{input});
    }
    const int calls = add->calls;
    const Tensors fused = model->predict_on_batch({input});
    BOOST_TEST(add->calls == calls + 1);
    check_close(fused[0], reference[0]);
    check_close(fused[1], reference[1]);
  }
  // The model's input (the caller's tensor).
  {
    auto add = std::make_shared<CountingAdd>(Json{{"name", "add"}});
    const KerasTensor wide = Input({8, 8, 4}, "wide");
    const KerasTensor a = (*add)(KerasTensors{wide, inverted_residual(wide, "block", 4)}).at(0);
    const auto model = std::make_shared<Functional>(KerasTensors{wide}, KerasTensors{a}, "input_added");
    move_all_statistics(*model);
    const Tensor image = random_tensor({2, 8, 8, 4}, 52, -2.0f, 2.0f);
    const Tensor kept = image.clone();
    const Tensor reference = unfused(*model, image);
    const int calls = add->calls;
    check_close(model->predict_on_batch({image})[0], reference);
    BOOST_TEST(add->calls == calls + 1);
    BOOST_TEST(max_abs_difference(image, kept) == 0.0);
  }
  // A broadcasting Add (the other input is 1x1): the projection declines, the Add runs itself.
  {
    const KerasTensor s = stem(x, "stem", 4);
    const KerasTensor pooled = (*layer_from("Conv2D", {{"name", "squeeze"}, {"filters", 4}, {"kernel_size", 8}}))(s);
    KerasTensor p = (*layer_from("Conv2D", {{"name", "project"}, {"filters", 4}, {"kernel_size", 1}}))(s);
    p = (*layer_from("BatchNormalization", {{"name", "project_bn"}}))(p);
    const KerasTensor a = (*layer_from("Add", {{"name", "broadcast"}}))(KerasTensors{pooled, p}).at(0);
    const auto model = std::make_shared<Functional>(KerasTensors{x}, KerasTensors{a}, "broadcast");
    move_all_statistics(*model);
    check_close(model->predict_on_batch({input})[0], unfused(*model, input));
  }
}

namespace {

// A ReLU of the test's own that counts how often it runs itself (a fused chain runs it inside).
class CountingRelu : public Layer, public FusableActivationLayer {
 public:
  explicit CountingRelu(const Json& config) : Layer(config, "CountingRelu") {}
  std::string class_name() const override { return "CountingRelu"; }
  const char* fused_activation() const override { return "relu"; }
  int calls = 0;

 protected:
  Tensors call(const Tensors& inputs, const CallContext&) override {
    ++calls;
    return {ops::relu(inputs.at(0))};
  }
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override { return {shapes.at(0)}; }
};

// ResNet's identity block without its Add: 1x1 -> BN -> ReLU -> 3x3 -> BN -> ReLU -> 1x1 -> BN.
KerasTensor bottleneck(const KerasTensor& x, const std::string& name, Dim channels) {
  KerasTensor y = x;
  for (const auto& [part, size] : {std::pair{"_reduce", 1}, std::pair{"_spatial", 3}}) {
    y = (*layer_from("Conv2D", {{"name", name + part}, {"filters", channels / 2}, {"kernel_size", size},
                                {"padding", "same"}}))(y);
    y = (*layer_from("BatchNormalization", {{"name", name + part + "_bn"}}))(y);
    y = (*layer_from("Activation", {{"name", name + part + "_relu"}, {"activation", "relu"}}))(y);
  }
  y = (*layer_from("Conv2D", {{"name", name + "_expand"}, {"filters", channels}, {"kernel_size", 1}}))(y);
  return (*layer_from("BatchNormalization", {{"name", name + "_expand_bn"}}))(y);
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_activation_after_a_residual_add_runs_inside_the_product_too) {
  // ResNet's relu(block(x) + x), twice, then ReLU(6) after the Add: the sum and the activation
  // run as post-ops of the last convolution, with the same numbers as the layers one by one.
  const KerasTensor x = Input({8, 8, 3}, "image");
  const KerasTensor s = stem(x, "stem", 8);
  auto add = std::make_shared<CountingAdd>(Json{{"name", "add"}});
  auto relu = std::make_shared<CountingRelu>(Json{{"name", "relu"}});
  KerasTensor y = (*relu)((*add)(KerasTensors{bottleneck(s, "block1", 8), s}).at(0));
  y = (*layer_from("Add", {{"name", "add2"}}))(KerasTensors{y, bottleneck(y, "block2", 8)}).at(0);
  y = (*layer_from("ReLU", {{"name", "relu2"}, {"max_value", 6.0}}))(y);
  const auto model = std::make_shared<Functional>(KerasTensors{x}, KerasTensors{y}, "resnet_blocks");
  move_all_statistics(*model);
  const Tensor input = random_tensor({2, 8, 8, 3}, 53, -2.0f, 2.0f);
  const Tensor reference = unfused(*model, input);
  BOOST_TEST((add->calls == 1 && relu->calls == 1));
  for (int i = 0; i < 3; ++i) check_close(model->predict_on_batch({input})[0], reference);
  BOOST_TEST((add->calls == 1 && relu->calls == 1));  // inside the block's last convolution

  // The Add's output read again (a model output too): the sum runs inside, the ReLU by itself.
  auto add_read_twice = std::make_shared<CountingAdd>(Json{{"name", "add_read_twice"}});
  auto relu_after = std::make_shared<CountingRelu>(Json{{"name", "relu_after"}});
  const KerasTensor sum = (*add_read_twice)(KerasTensors{bottleneck(s, "block3", 8), s}).at(0);
  const KerasTensor activated = (*relu_after)(sum);
  const auto both = std::make_shared<Functional>(KerasTensors{x}, KerasTensors{activated, sum}, "sum_read_twice");
  move_all_statistics(*both);
  Tensors want;
  {
    GradientTape tape;
    want = (*both)(Tensors{input});
  }
  const Tensors got = both->predict_on_batch({input});
  check_close(got[0], want[0]);
  check_close(got[1], want[1]);
  BOOST_TEST(relu_after->calls == 2);
}

BOOST_AUTO_TEST_CASE(a_wide_residual_add_runs_in_row_chunks_with_the_same_numbers) {
  // At ResNet50's sizes (outputs of 2 MiB and more, 256 channels and more, from a few hundred
  // input channels) a block's last 1x1 convolution runs in chunks of rows, each chunk's addend read
  // ahead (residual_product.cpp): 2250 rows here, eight chunks of 256 and one of 202, on one
  // thread and on two.
  const KerasTensor x = Input({45, 50, 3}, "image");
  const KerasTensor s = stem(x, "stem", 256);
  auto add = std::make_shared<CountingAdd>(Json{{"name", "add"}});
  auto relu = std::make_shared<CountingRelu>(Json{{"name", "relu"}});
  const KerasTensor y = (*relu)((*add)(KerasTensors{bottleneck(s, "block", 256), s}).at(0));
  const auto model = std::make_shared<Functional>(KerasTensors{x}, KerasTensors{y}, "wide_block");
  move_all_statistics(*model);
  const Tensor input = random_tensor({1, 45, 50, 3}, 54, -2.0f, 2.0f);
  const Tensor reference = unfused(*model, input);
  const int set = intra_op_parallelism_threads();
  for (int threads : {1, 2}) {
    set_intra_op_parallelism_threads(threads);
    BOOST_TEST_CONTEXT(threads << " threads") { check_close(model->predict_on_batch({input})[0], reference); }
  }
  set_intra_op_parallelism_threads(set);
  BOOST_TEST((add->calls == 1 && relu->calls == 1));  // only in the unfused run
}

// Input -> 1x1 expand (BN, ReLU6) -> depthwise 3x3 'same' (BN, ReLU6) -> 1x1 project -> 1x1
// expand with a bias and ReLU6 (no BN) -> ZeroPadding2D ((0, 1), (0, 1)) -> depthwise 3x3
// stride 2 'valid' with a bias, BN: MobileNetV2's two kinds of expand + depthwise pairs.
ModelPtr expand_depthwise_model(Dim size, Dim channels, Dim expanded) {
  const KerasTensor x = Input({size, size, channels}, "image");
  KerasTensor y = (*layer_from("Conv2D", {{"name", "expand1"}, {"filters", expanded}, {"kernel_size", 1},
                                          {"use_bias", false}}))(x);
  y = (*layer_from("BatchNormalization", {{"name", "expand1_bn"}}))(y);
  y = (*layer_from("ReLU", {{"name", "expand1_relu"}, {"max_value", 6.0}}))(y);
  y = (*layer_from("DepthwiseConv2D", {{"name", "depthwise1"}, {"kernel_size", 3}, {"padding", "same"},
                                       {"use_bias", false}}))(y);
  y = (*layer_from("BatchNormalization", {{"name", "depthwise1_bn"}}))(y);
  y = (*layer_from("ReLU", {{"name", "depthwise1_relu"}, {"max_value", 6.0}}))(y);
  y = (*layer_from("Conv2D", {{"name", "project1"}, {"filters", 24}, {"kernel_size", 1}}))(y);
  y = (*layer_from("Conv2D", {{"name", "expand2"}, {"filters", 144}, {"kernel_size", 1}}))(y);
  y = (*layer_from("ReLU", {{"name", "expand2_relu"}, {"max_value", 6.0}}))(y);
  y = (*layer_from("ZeroPadding2D", {{"name", "pad2"}, {"padding", Json::array({Json::array({0, 1}), Json::array({0, 1})})}}))(y);
  y = (*layer_from("DepthwiseConv2D", {{"name", "depthwise2"}, {"kernel_size", 3}, {"strides", 2}}))(y);
  y = (*layer_from("BatchNormalization", {{"name", "depthwise2_bn"}}))(y);
  auto model = std::make_shared<Functional>(KerasTensors{x}, KerasTensors{y}, "expand_depthwise");
  move_all_statistics(*model);
  return model;
}

BOOST_AUTO_TEST_CASE(a_depthwise_chain_runs_inside_the_1x1_chain_before_it) {
  // oneDNN 2.6 fuses the pairs with its jit_1x1 kernel at 56x56 from 16 and 24 channels
  // (ONEDNN_VERBOSE shows "+dw:k3s1p1" and "+dw:k3s2p0"); at 12x12 it offers no such kernel and the
  // two convolutions run in turn inside the op. Both give the layers' numbers.
  for (const Dim size : {Dim{56}, Dim{12}}) {
    BOOST_TEST_CONTEXT(size << "x" << size) {
      const ModelPtr model = expand_depthwise_model(size, 16, 96);
      const Tensor input = random_tensor({1, size, size, 16}, 53, -2.0f, 2.0f);
      const Tensor reference = unfused(*model, input);
      BOOST_TEST((reference.shape() == Shape{1, size / 2, size / 2, 144}));
      for (int i = 0; i < 2; ++i) check_close(model->predict_on_batch({input})[0], reference);
      // The folded weights follow a change of the depthwise layers' statistics.
      move_statistics(*model->get_layer("depthwise1_bn"), 7);
      move_statistics(*model->get_layer("depthwise2_bn"), 8);
      const Tensor moved = model->predict_on_batch({input})[0];
      BOOST_TEST(max_abs_difference(moved, reference) > 1e-3);
      check_close(moved, unfused(*model, input));
    }
  }
}
