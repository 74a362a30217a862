// The GradientTape: gradients of composed op calls against central differences, views that share
// storage (Reshape, ExpandDims), a tensor used several times, sources that do not reach the
// target, a custom layer written with ops that trains with no backward code of its own, and the
// fused BatchNormalization ops of training.
#define BOOST_TEST_MODULE training autodiff
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

#include "ksave/autodiff.hpp"
#include "ksave/model.hpp"
#include "ksave/ops.hpp"
#include "ksave/serialization.hpp"
#include "support/gradient_check.hpp"

using namespace ksave;
using ksave::test::check_gradients;

namespace {

Tensor values(std::vector<float> v, Shape shape) { return Tensor::from_vector<float>(v, std::move(shape)); }

Tensor ramp(Shape shape, float lo, float step) {
  std::vector<float> v(static_cast<std::size_t>(num_elements(shape)));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = lo + step * static_cast<float>(i % 7) * (i % 2 ? -1.f : 1.f);
  return Tensor::from_vector<float>(v, std::move(shape));
}

// Checks d sum(f(inputs) * w)/d inputs from the tape against finite differences.
void check_taped(const std::string& label, const ksave::test::TensorFunction& f, const std::vector<Tensor>& inputs) {
  auto analytic = [&](const std::vector<Tensor>& in, const Tensor&, const Tensor& w) {
    GradientTape tape;
    const Tensor y = f(in);
    const Tensor target = ops::sum(ops::mul(y, w));
    return tape.gradient(target, in);
  };
  BOOST_TEST(check_gradients(label, f, inputs, analytic));
}

}  // namespace

BOOST_AUTO_TEST_CASE(composed_ops_match_finite_differences) {
  const Tensor a = ramp({3, 4}, 0.3f, 0.21f), b = ramp({4, 2}, -0.4f, 0.17f), bias = values({0.1f, -0.2f}, {2});
  check_taped("mlp", [](const std::vector<Tensor>& in) {
    return ops::tanh(ops::bias_add(ops::matmul(in[0], in[1]), in[2]));
  }, {a, b, bias});
  check_taped("softmax-log", [](const std::vector<Tensor>& in) {
    return ops::log(ops::softmax(ops::mul(in[0], in[0])));
  }, {a});
}

BOOST_AUTO_TEST_CASE(views_sharing_storage) {
  const Tensor x = ramp({2, 3}, 0.5f, 0.3f);
  // Reshape and ExpandDims return the input's storage; Reshape to the same shape even has the
  // same key. The gradient must still flow through each view back to the leaf.
  check_taped("reshape", [](const std::vector<Tensor>& in) {
    const Tensor flat = ops::reshape(in[0], {6});
    const Tensor same = ops::reshape(in[0], {2, 3});
    return ops::add(ops::mul(ops::reshape(flat, {3, 2}), ops::constant(2.0)),
                    ops::reshape(ops::mul(same, same), {3, 2}));
  }, {x});
  check_taped("expand-squeeze", [](const std::vector<Tensor>& in) {
    return ops::mul(ops::squeeze(ops::expand_dims(in[0], 0), {0}), in[0]);
  }, {x});
}

BOOST_AUTO_TEST_CASE(reused_tensor_accumulates_and_unconnected_is_undefined) {
  const Tensor x = values({1.5f, -2.f}, {2});
  const Tensor unused = values({3.f}, {1});
  GradientTape tape;
  const Tensor y = ops::sum(ops::add(ops::mul(x, x), x));  // d/dx = 2x + 1
  const auto grads = tape.gradient(y, {x, unused});
  BOOST_TEST(grads[0].to_vector<float>() == (std::vector<float>{4.f, -3.f}), boost::test_tools::per_element());
  BOOST_TEST(!grads[1].defined());
  // Asked twice: same answer (the tape keeps its records).
  BOOST_TEST(tape.gradient(y, {x})[0].to_vector<float>() == (std::vector<float>{4.f, -3.f}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(paused_tape_records_nothing) {
  const Tensor x = values({2.f}, {1});
  GradientTape tape;
  Tensor y;
  {
    GradientTape::Pause pause(tape);
    y = ops::mul(x, x);
  }
  BOOST_TEST(tape.size() == 0u);
  BOOST_TEST(!tape.gradient(ops::sum(y), {x})[0].defined());
}

// TensorFlow hands an optimizer an Embedding table's gradient as IndexedSlices: one slice per
// looked-up position (duplicates not summed), several gathers' slices concatenated, the last
// gather's first. A variable read any other way as well gets only its dense gradient.
BOOST_AUTO_TEST_CASE(variable_read_only_by_gathers_gets_indexed_slices) {
  auto table = std::make_shared<Variable>("table:0", values({0.f, 1.f, 2.f, 3.f, 4.f, 5.f, 6.f, 7.f}, {4, 2}), true);
  auto mixed = std::make_shared<Variable>("mixed:0", values({1.f, -1.f, 2.f, -2.f}, {2, 2}), true);
  const Tensor ids = Tensor::from_vector<std::int32_t>({2, 0, 2}, {3});
  const Tensor more_ids = Tensor::from_vector<std::int64_t>({1}, {1, 1});
  GradientTape tape;
  const Tensor first = ops::gather(table->value(), ids, 0);        // [3, 2]
  const Tensor second = ops::gather(table->value(), more_ids, 0);  // [1, 1, 2]
  const Tensor target = ops::add(
      ops::add(ops::sum(ops::mul(first, values({1.f, 2.f, 3.f, 4.f, 5.f, 6.f}, {3, 2}))),
               ops::sum(ops::mul(second, values({7.f, 8.f}, {1, 1, 2})))),
      ops::add(ops::sum(ops::gather(mixed->value(), Tensor::from_vector<std::int32_t>({1, 1}, {2}), 0)),
               ops::sum(ops::mul(mixed->value(), mixed->value()))));
  std::vector<std::optional<IndexedSlices>> slices;
  const auto grads = tape.gradient(target, {table, mixed}, slices);
  BOOST_REQUIRE(slices.size() == 2u);
  BOOST_REQUIRE(slices[0].has_value());
  BOOST_TEST(slices[0]->indices.to_vector<std::int64_t>() == (std::vector<std::int64_t>{1, 2, 0, 2}),
             boost::test_tools::per_element());
  BOOST_TEST(slices[0]->values.shape() == (Shape{4, 2}), boost::test_tools::per_element());
  BOOST_TEST(slices[0]->values.to_vector<float>() == (std::vector<float>{7.f, 8.f, 1.f, 2.f, 3.f, 4.f, 5.f, 6.f}),
             boost::test_tools::per_element());
  // The dense gradient is still their sum, duplicates added.
  BOOST_TEST(grads[0].to_vector<float>() == (std::vector<float>{3.f, 4.f, 7.f, 8.f, 6.f, 8.f, 0.f, 0.f}),
             boost::test_tools::per_element());
  // mixed: gathered and multiplied by itself, so dense only (d/dw of w*w is 2w, plus the gather's 1s).
  BOOST_TEST(!slices[1].has_value());
  BOOST_TEST(grads[1].to_vector<float>() == (std::vector<float>{2.f, -2.f, 6.f, -2.f}), boost::test_tools::per_element());
  // The two-argument form is unchanged.
  BOOST_TEST(tape.gradient(target, std::vector<VariablePtr>{table})[0].to_vector<float>() ==
                 grads[0].to_vector<float>(), boost::test_tools::per_element());
}

namespace {

// A custom layer written with ops only: y = x * scale + x^2 * curve (per feature), plus an
// add_loss inside call. No backward code anywhere.
class QuadraticLayer : public Layer {
 public:
  QuadraticLayer() : Layer(Json::object(), "QuadraticLayer") {}
  std::string class_name() const override { return "QuadraticLayer"; }
  VariablePtr scale, curve;

 protected:
  void build_impl(const std::vector<Shape>& shapes) override {
    const Dim features = shapes[0].back();
    scale = add_weight({"scale", {features}, DType::Float32, nullptr, nullptr, nullptr, true});
    curve = add_weight({"curve", {features}, DType::Float32, nullptr, nullptr, nullptr, true});
    scale->assign(ramp({features}, 0.5f, 0.1f));
    curve->assign(ramp({features}, -0.2f, 0.05f));
  }
  Tensors call(const Tensors& inputs, const CallContext&) override {
    const Tensor& x = inputs[0];
    add_loss(ops::mul(ops::sum(ops::square(scale->value())), 0.01));
    return {ops::add(ops::mul(x, scale->value()), ops::mul(ops::square(x), curve->value()))};
  }
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& s) override { return s; }
};

}  // namespace

BOOST_AUTO_TEST_CASE(custom_layer_gets_gradients_without_backward_code) {
  auto layer = std::make_shared<QuadraticLayer>();
  const Tensor x = ramp({4, 3}, 0.4f, 0.25f);
  layer->build({Shape{4, 3}});
  // Gradient of the layer's output (weighted) plus its call loss w.r.t. both weights, checked
  // by perturbing the weights.
  auto f = [&](const std::vector<Tensor>& w) {
    layer->scale->assign(w[0]);
    layer->curve->assign(w[1]);
    const Tensor y = (*layer)(x);
    return ops::add(ops::sum(ops::mul(y, y)), layer->call_losses().at(0));
  };
  auto analytic = [&](const std::vector<Tensor>& w, const Tensor&, const Tensor& dy) {
    layer->scale->assign(w[0]);
    layer->curve->assign(w[1]);
    GradientTape tape;
    const Tensor y = (*layer)(x);
    const Tensor total = ops::mul(ops::add(ops::sum(ops::mul(y, y)), layer->call_losses().at(0)), dy);
    return tape.gradient(total, std::vector<VariablePtr>{layer->scale, layer->curve});
  };
  const std::vector<Tensor> w{layer->scale->value().clone(), layer->curve->value().clone()};
  BOOST_TEST(check_gradients("QuadraticLayer", f, w, analytic));
}

BOOST_AUTO_TEST_CASE(dense_model_gradients_match_finite_differences) {
  auto model = std::make_shared<Sequential>(std::vector<LayerPtr>{
      Input({3}).layer(), make_layer("Dense", {{"units", 4}, {"activation", "tanh"}}),
      make_layer("Dense", {{"units", 2}, {"activation", "softmax"}})});
  const Tensor x = ramp({5, 3}, 0.3f, 0.2f);
  auto weights = model->trainable_weights();
  std::vector<Tensor> initial;
  for (const auto& v : weights) initial.push_back(v->value().clone());
  auto f = [&](const std::vector<Tensor>& w) {
    for (std::size_t i = 0; i < w.size(); ++i) weights[i]->assign(w[i]);
    return ops::log(model->predict_on_batch({x})[0]);
  };
  auto analytic = [&](const std::vector<Tensor>& w, const Tensor&, const Tensor& dy) {
    for (std::size_t i = 0; i < w.size(); ++i) weights[i]->assign(w[i]);
    GradientTape tape;
    const Tensor y = ops::log((*model)(Tensors{x})[0]);
    return tape.gradient(ops::sum(ops::mul(y, dy)), weights);
  };
  BOOST_TEST(check_gradients("dense model", f, initial, analytic));
}

// BatchNormalization in training runs as one op with its own gradient (FusedBatchNormTraining):
// its derivatives against central differences, its statistics against the unfused ops, and the
// layer's training output against Keras's formula written with those ops.
BOOST_AUTO_TEST_CASE(fused_batch_norm_training_matches_its_definition) {
  const Tensor x = ramp({4, 3, 5}, 0.4f, 0.23f), scale = values({1.2f, 0.7f, -0.5f, 1.0f, 2.0f}, {5}),
               offset = values({0.1f, -0.3f, 0.0f, 0.25f, -1.0f}, {5});
  const Attrs attrs{{"epsilon", 1e-3}};
  check_taped("FusedBatchNormTraining", [&](const std::vector<Tensor>& in) {
    return run_op("FusedBatchNormTraining", std::vector<Tensor>{in[0], in[1], in[2]}, attrs)[0];
  }, {x, scale, offset});
  const Tensors out = run_op("FusedBatchNormTraining", std::vector<Tensor>{x, scale, offset}, attrs);
  const Tensor mean = ops::mean(x, {0, 1}, false);
  const Tensor variance = ops::mean(ops::squared_difference(x, mean), {0, 1}, false);
  for (std::int64_t c = 0; c < 5; ++c) {
    BOOST_TEST(out[1].data<float>()[c] == mean.data<float>()[c], boost::test_tools::tolerance(1e-5f));
    BOOST_TEST(out[2].data<float>()[c] == variance.data<float>()[c], boost::test_tools::tolerance(1e-5f));
  }

  const LayerPtr layer = make_layer("BatchNormalization", {{"epsilon", 1e-3}});
  CallContext training;
  training.training = true;
  const Tensor y = (*layer)(x, training);
  const std::vector<VariablePtr> weights = layer->weights();  // gamma, beta, moving mean, moving variance
  const Tensor expected = ops::add(ops::mul(ops::sub(x, mean), ops::mul(ops::rsqrt(ops::add(variance, ops::constant(1e-3))),
                                                                         weights[0]->value())),
                                   weights[1]->value());
  const std::vector<float> got = y.to_vector<float>(), want = expected.to_vector<float>();
  BOOST_REQUIRE_EQUAL(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) BOOST_TEST(got[i] == want[i], boost::test_tools::tolerance(1e-5f));
}

// BatchNormalization then ReLU / ReLU(6) in training run as one op (FusedBatchNormReluTraining):
// its derivatives against central differences, and its values and gradients against the ops it
// replaces (FusedBatchNormTraining, Relu, ClipByValue).
BOOST_AUTO_TEST_CASE(fused_batch_norm_relu_training_matches_the_unfused_ops) {
  const Tensor x = ramp({4, 3, 5}, 0.4f, 0.23f), scale = values({1.2f, 0.7f, -0.5f, 1.0f, 2.0f}, {5}),
               offset = values({0.1f, -0.3f, 0.05f, 0.25f, -1.0f}, {5});
  for (const double max_value : {std::numeric_limits<double>::infinity(), 6.0, 1.0}) {
    const Attrs attrs{{"epsilon", 1e-3}, {"max_value", max_value}};
    const auto fused = [&](const std::vector<Tensor>& in) {
      return run_op("FusedBatchNormReluTraining", std::vector<Tensor>{in[0], in[1], in[2]}, attrs)[0];
    };
    const auto unfused = [&](const std::vector<Tensor>& in) {
      const Tensor y = run_op("FusedBatchNormTraining", std::vector<Tensor>{in[0], in[1], in[2]}, Attrs{{"epsilon", 1e-3}})[0];
      return std::isinf(max_value) ? ops::relu(y) : ops::clip(ops::relu(y), 0.0, max_value);
    };
    const std::string label = "FusedBatchNormReluTraining max_value " + std::to_string(max_value);
    check_taped(label, fused, {x, scale, offset});
    BOOST_TEST(fused({x, scale, offset}).to_vector<float>() == unfused({x, scale, offset}).to_vector<float>(),
               boost::test_tools::per_element());
    const Tensor w = ramp({4, 3, 5}, -0.7f, 0.31f);
    const auto taped = [&](const auto& f) {
      GradientTape tape;
      return tape.gradient(ops::sum(ops::mul(f(std::vector<Tensor>{x, scale, offset}), w)), {x, scale, offset});
    };
    const std::vector<Tensor> want = taped(unfused), got = taped(fused);
    for (std::size_t i = 0; i < 3; ++i) {
      const std::vector<float> g = got[i].to_vector<float>(), e = want[i].to_vector<float>();
      BOOST_REQUIRE_EQUAL(g.size(), e.size());
      for (std::size_t j = 0; j < g.size(); ++j) BOOST_TEST(g[j] == e[j], boost::test_tools::tolerance(1e-5f));
    }
  }
}

namespace {

// Records the names of the ops a tape sees.
struct OpNames : OpObserver {
  std::vector<std::string> names;
  void on_op(const OpDef& op, std::span<const Tensor>, const Attrs&, std::span<const Tensor>) override {
    names.push_back(op.name);
  }
};

}  // namespace

// In a Functional model in training, as MobileNetV2's stride-2 blocks: a ZeroPadding2D whose
// output only a 'valid' DepthwiseConv2D reads becomes the convolution's own padding (no PadV2 op),
// and a BatchNormalization whose output only a ReLU(6) reads runs with it as
// FusedBatchNormReluTraining, both under a tape, with the values and gradients of the layers
// called one by one. Where the intermediate outputs are read twice, the layers run alone.
BOOST_AUTO_TEST_CASE(functional_training_folds_padding_and_runs_normalization_with_relu) {
  const KerasTensor in = Input({7, 6, 3});
  const LayerPtr pad = make_layer("ZeroPadding2D", {{"padding", Json::array({Json::array({0, 1}), Json::array({1, 1})})}});
  const LayerPtr depthwise = make_layer("DepthwiseConv2D", {{"kernel_size", 3}, {"strides", 2}, {"use_bias", false}});
  const LayerPtr bn = make_layer("BatchNormalization", {{"epsilon", 1e-3}});
  const LayerPtr relu6 = make_layer("ReLU", {{"max_value", 6.0}});
  const KerasTensor padded = (*pad)(in);
  const KerasTensor normalized = (*bn)((*depthwise)(padded));
  const KerasTensor activated = (*relu6)(normalized);
  const auto paired = std::make_shared<Functional>(KerasTensors{in}, KerasTensors{activated});
  const auto branched = std::make_shared<Functional>(KerasTensors{in}, KerasTensors{activated, normalized, padded});
  const Tensor x = ramp({2, 7, 6, 3}, 0.4f, 0.23f);
  CallContext training;
  training.training = true;
  const std::vector<VariablePtr> variables{depthwise->weights()[0], bn->weights()[0], bn->weights()[1]};
  for (const std::shared_ptr<Functional>& model : {paired, branched}) {
    OpNames seen;
    GradientTape tape;
    Tensor y;
    {
      ObserverScope scope(seen);
      y = (*model)(Tensors{x}, training).at(0);
    }
    const auto count = [&](const char* op) { return std::count(seen.names.begin(), seen.names.end(), op); };
    BOOST_TEST(count("FusedBatchNormReluTraining") == (model == paired ? 1 : 0));
    BOOST_TEST(count("PadV2") + count("Pad") == (model == paired ? 0 : 1));
    const Tensor loss = ops::sum(ops::mul(y, y));
    std::vector<Tensor> grads = tape.gradient(loss, variables);
    grads.push_back(tape.gradient(loss, {x})[0]);
    GradientTape layer_tape;
    const Tensor by_layer = (*relu6)((*bn)((*depthwise)((*pad)(x, training), training), training), training);
    const Tensor layer_loss = ops::sum(ops::mul(by_layer, by_layer));
    std::vector<Tensor> want = layer_tape.gradient(layer_loss, variables);
    want.push_back(layer_tape.gradient(layer_loss, {x})[0]);
    const std::vector<float> got_y = y.to_vector<float>(), want_y = by_layer.to_vector<float>();
    BOOST_REQUIRE_EQUAL(got_y.size(), want_y.size());
    for (std::size_t j = 0; j < got_y.size(); ++j) BOOST_TEST(got_y[j] == want_y[j], boost::test_tools::tolerance(1e-5f));
    for (std::size_t i = 0; i < grads.size(); ++i) {
      BOOST_TEST_CONTEXT("gradient " << i) {
        const std::vector<float> g = grads[i].to_vector<float>(), e = want[i].to_vector<float>();
        BOOST_REQUIRE_EQUAL(g.size(), e.size());
        for (std::size_t j = 0; j < g.size(); ++j) BOOST_TEST(g[j] == e[j], boost::test_tools::tolerance(1e-4f));
      }
    }
  }
}
