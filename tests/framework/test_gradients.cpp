// Every differentiable core op's gradient against central finite differences, calling the
// registered GradientFn directly (no tape). Inputs stay clear of kinks (0 for Relu/Abs, ties
// for Maximum/Max, the bounds of ClipByValue) by more than the finite-difference step.
#define BOOST_TEST_MODULE core op gradients
#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "ksave/ops.hpp"
#include "support/gradient_check.hpp"

using namespace ksave;
using ksave::test::check_op_gradient;
using Ints = std::vector<std::int64_t>;

namespace {

// Deterministic values spread over [lo, hi] (no randomness: failures reproduce exactly).
Tensor spread(Shape shape, double lo, double hi, int salt = 0) {
  const std::int64_t n = num_elements(shape);
  std::vector<float> v(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    const double u = std::fmod(0.618033988749895 * static_cast<double>(i + 1 + 7 * salt), 1.0);
    v[static_cast<std::size_t>(i)] = static_cast<float>(lo + (hi - lo) * u);
  }
  return Tensor::from_vector<float>(v, std::move(shape));
}

// Values of magnitude in [lo, hi] with alternating signs: nothing near 0.
Tensor away_from_zero(Shape shape, double lo, double hi, int salt = 0) {
  Tensor t = spread(std::move(shape), lo, hi, salt);
  float* p = t.data<float>();
  for (std::int64_t i = 0; i < t.size(); ++i)
    if ((i + salt) % 2 == 1) p[i] = -p[i];
  return t;
}

Tensor F(std::vector<float> values, Shape shape) {
  return Tensor::from_vector<float>(values, std::move(shape));
}

}  // namespace

BOOST_AUTO_TEST_CASE(unary_gradients) {
  const Tensor x = away_from_zero({2, 3}, 0.2, 1.6);
  const Tensor positive = spread({2, 3}, 0.5, 2.0);
  for (const char* op : {"Neg", "Abs", "Exp", "Square", "Sign", "Tanh", "Sigmoid", "Relu", "Elu",
                         "Selu", "Softplus", "Softsign", "Erf"})
    check_op_gradient(op, {x});
  for (const char* op : {"Log", "Log1p", "Sqrt", "Rsqrt"}) check_op_gradient(op, {positive});
  for (const char* op : {"Floor", "Ceil"}) check_op_gradient(op, {F({0.3f, 1.4f, -0.6f, 2.5f}, {4})});
  check_op_gradient("LeakyRelu", {x}, Attrs{{"alpha", 0.2}});
  check_op_gradient("ClipByValue", {F({-1.2f, -0.3f, 0.1f, 0.45f, 0.7f, 2.0f}, {2, 3})},
                    Attrs{{"clip_value_min", -0.5}, {"clip_value_max", 0.6}});
}

BOOST_AUTO_TEST_CASE(binary_gradients_undo_broadcasting) {
  const std::vector<std::pair<Shape, Shape>> shapes{
      {{2, 3}, {2, 3}}, {{2, 3}, {3}}, {{2, 1}, {1, 3}}, {{}, {2, 2}}, {{3, 1, 2}, {4, 1}}};
  for (const auto& [sa, sb] : shapes) {
    const Tensor a = away_from_zero(sa, 0.5, 1.5, 1);
    const Tensor b = away_from_zero(sb, 0.6, 1.7, 2);
    for (const char* op :
         {"AddV2", "Sub", "Mul", "RealDiv", "SquaredDifference", "Maximum", "Minimum"})
      check_op_gradient(op, {a, b});
    check_op_gradient("Pow", {spread(sa, 0.5, 2.0, 3), spread(sb, -1.5, 2.0, 4)});
  }
  // Pow with a non-positive base: the exponent gets 0 there, as in TensorFlow, not NaN (finite
  // differences cannot check it: the power of a negative base to a non-integer exponent is NaN).
  // The base's gradient is checked numerically with the exponent held.
  const Tensor base = F({-1.5f, 2.0f}, {2}), exponent = F({2.0f, 1.5f}, {2});
  const Tensor y = run_op("Pow", std::vector<Tensor>{base, exponent})[0];
  const auto grads = ksave::test::op_gradient("Pow")({base, exponent}, y, Tensor::filled(DType::Float32, {2}, 1.0));
  BOOST_TEST(grads.at(1).to_vector<float>()[0] == 0.0f);
  BOOST_TEST(std::isfinite(grads.at(1).to_vector<float>()[1]));
  ksave::test::check_gradients(
      "Pow (base)", [&](const std::vector<Tensor>& in) { return run_op("Pow", std::vector<Tensor>{in[0], exponent})[0]; }, {base},
      [&](const std::vector<Tensor>& in, const Tensor& out, const Tensor& dy) {
        return std::vector<Tensor>{ksave::test::op_gradient("Pow")({in[0], exponent}, out, dy).at(0)};
      });
}

BOOST_AUTO_TEST_CASE(select_gradient) {
  const Tensor cond = F({1, 0, 0, 1, 1, 0}, {2, 3});
  const ksave::test::GradientCheckOptions condition_has_none{.without_gradient = {0}};
  check_op_gradient("SelectV2", {cond, spread({2, 3}, -1, 1), spread({3}, -1, 1, 5)}, {}, condition_has_none);
  check_op_gradient("SelectV2",
                    {F({1, 0}, {2, 1}), spread({1, 3}, -1, 1), spread({2, 3}, -1, 1, 5)}, {}, condition_has_none);
}

BOOST_AUTO_TEST_CASE(matmul_gradients) {
  const Tensor a = spread({2, 3}, -1, 1, 1), at = spread({3, 2}, -1, 1, 2);
  const Tensor b = spread({3, 4}, -1, 1, 3), bt = spread({4, 3}, -1, 1, 4);
  check_op_gradient("MatMul", {a, b});
  check_op_gradient("MatMul", {at, b}, Attrs{{"transpose_a", true}, {"transpose_b", false}});
  check_op_gradient("MatMul", {a, bt}, Attrs{{"transpose_a", false}, {"transpose_b", true}});
  check_op_gradient("MatMul", {at, bt}, Attrs{{"transpose_a", true}, {"transpose_b", true}});
  check_op_gradient("MatMul", {spread({2, 2, 3}, -1, 1, 6), b});
  check_op_gradient("MatMul", {spread({2, 2, 3}, -1, 1, 6), bt}, Attrs{{"transpose_b", true}});
}

BOOST_AUTO_TEST_CASE(batch_matmul_gradients) {
  const Tensor a = spread({2, 2, 3}, -1, 1, 1), at = spread({2, 3, 2}, -1, 1, 2);
  const Tensor b = spread({2, 3, 2}, -1, 1, 3), bt = spread({2, 2, 3}, -1, 1, 4);
  check_op_gradient("BatchMatMulV2", {a, b});
  check_op_gradient("BatchMatMulV2", {at, b}, Attrs{{"adj_x", true}, {"adj_y", false}});
  check_op_gradient("BatchMatMulV2", {a, bt}, Attrs{{"adj_x", false}, {"adj_y", true}});
  check_op_gradient("BatchMatMulV2", {at, bt}, Attrs{{"adj_x", true}, {"adj_y", true}});
  // Broadcast batch axes: (2, 1, 2, 3) x (3, 3, 2) -> (2, 3, 2, 2)
  check_op_gradient("BatchMatMulV2", {spread({2, 1, 2, 3}, -1, 1, 5), spread({3, 3, 2}, -1, 1, 6)});
}

BOOST_AUTO_TEST_CASE(bias_add_gradients) {
  check_op_gradient("BiasAdd", {spread({2, 2, 3}, -1, 1), spread({3}, -1, 1, 2)});
  check_op_gradient("BiasAdd", {spread({2, 3, 2}, -1, 1), spread({3}, -1, 1, 2)},
                    Attrs{{"data_format", std::string("NCHW")}});
}

BOOST_AUTO_TEST_CASE(reduction_gradients) {
  const Tensor x = spread({2, 3, 4}, -2, 2);  // distinct values: no ties for Max/Min
  const std::vector<Ints> axes{{}, {0}, {-1}, {0, 2}, {1}};
  for (const Ints& ax : axes)
    for (bool keep : {false, true})
      for (const char* op : {"Sum", "Mean", "Max", "Min"})
        check_op_gradient(op, {x}, Attrs{{"axis", ax}, {"keep_dims", keep}});
  // Ties share the gradient evenly: d max([1, 1]) = [0.5, 0.5] (checked by value: finite
  // differences are not defined at a tie).
  const OpDef& max = find_op("Max");
  const Tensor in[] = {F({1, 1, 0}, {3})};
  const Tensor out[] = {ops::max(in[0])};
  const Tensor dy[] = {F({2}, {})};
  const Attrs attrs{{"axis", Ints{}}, {"keep_dims", false}};
  const Tensor dx = max.gradient(GradientContext{in, out, dy, attrs})[0];
  BOOST_TEST(dx.item(0) == 1.0);
  BOOST_TEST(dx.item(1) == 1.0);
  BOOST_TEST(dx.item(2) == 0.0);
}

BOOST_AUTO_TEST_CASE(softmax_gradients) {
  const Tensor x = spread({2, 3, 4}, -3, 3);
  for (std::int64_t axis : {-1, 0, 1})
    for (const char* op : {"Softmax", "LogSoftmax"})
      check_op_gradient(op, {x}, Attrs{{"axis", axis}});
}

BOOST_AUTO_TEST_CASE(shape_gradients) {
  const Tensor x = spread({2, 3, 2}, -1, 1);
  check_op_gradient("Reshape", {x}, Attrs{{"shape", Ints{3, -1}}});
  check_op_gradient("Transpose", {x}, Attrs{{"perm", Ints{2, 0, 1}}});
  check_op_gradient("ConcatV2", {x, spread({2, 1, 2}, -1, 1, 3)}, Attrs{{"axis", std::int64_t{1}}});
  check_op_gradient("ConcatV2", {x, spread({2, 3, 3}, -1, 1, 3)},
                    Attrs{{"axis", std::int64_t{-1}}});
  check_op_gradient("Pack", {x, spread({2, 3, 2}, -1, 1, 4)}, Attrs{{"axis", std::int64_t{1}}});
  check_op_gradient("Slice", {x}, Attrs{{"begin", Ints{0, 1, 1}}, {"size", Ints{2, -1, 1}}});
  check_op_gradient("ExpandDims", {x}, Attrs{{"axis", std::int64_t{-1}}});
  check_op_gradient("Squeeze", {spread({2, 1, 3}, -1, 1)}, Attrs{{"squeeze_dims", Ints{1}}});
  check_op_gradient("Tile", {x}, Attrs{{"multiples", Ints{2, 1, 3}}});
  check_op_gradient("PadV2", {x},
                    Attrs{{"paddings", Ints{1, 0, 0, 2, 1, 1}}, {"constant_values", 0.5}});
  check_op_gradient("SumToShape", {x}, Attrs{{"shape", Ints{3, 1}}});
  check_op_gradient("Cast", {x}, Attrs{{"DstT", std::string("float64")}});
}

BOOST_AUTO_TEST_CASE(gather_gradients) {
  const Tensor params = spread({4, 3}, -1, 1);
  // Repeated ids accumulate.
  const Tensor ids = Tensor::from_vector<std::int64_t>({3, 0, 3, 1}, {2, 2});
  const ksave::test::GradientCheckOptions ids_have_none{.without_gradient = {1}};
  check_op_gradient("GatherV2", {params, ids}, Attrs{{"axis", std::int64_t{0}}}, ids_have_none);
  check_op_gradient("GatherV2", {spread({2, 4, 3}, -1, 1), ids}, Attrs{{"axis", std::int64_t{1}}}, ids_have_none);
  check_op_gradient("GatherV2",
                    {spread({2, 4, 3}, -1, 1), Tensor::from_vector<std::int32_t>({2, 2}, {2})},
                    Attrs{{"axis", std::int64_t{-1}}}, ids_have_none);
  check_op_gradient("UnsortedSegmentSum", {spread({2, 2, 3}, -1, 1), ids},
                    Attrs{{"num_segments", std::int64_t{5}}}, ids_have_none);
}

BOOST_AUTO_TEST_CASE(non_differentiable_ops_have_no_gradient) {
  for (const char* op : {"Greater", "Equal", "ArgMax", "OneHot", "ZerosLike", "OnesLike"})
    BOOST_TEST(!find_op(op).gradient, op << " should have no gradient");
}

// Gradients are built from ops, so an observer (the tape, the tracer) sees them.
BOOST_AUTO_TEST_CASE(gradients_are_made_of_observable_ops) {
  struct Recorder : OpObserver {
    std::vector<std::string> names;
    void on_op(const OpDef& op, std::span<const Tensor>, const Attrs&,
               std::span<const Tensor>) override {
      names.push_back(op.name);
    }
  } recorder;
  const Tensor in[] = {spread({2, 3}, -1, 1), spread({3}, -1, 1)};
  const Tensor out[] = {ops::add(in[0], in[1])};
  const Tensor dy[] = {spread({2, 3}, -1, 1, 2)};
  {
    ObserverScope scope(recorder);
    find_op("AddV2").gradient(GradientContext{in, out, dy, Attrs{}});
  }
  const bool recorded =
      std::find(recorder.names.begin(), recorder.names.end(), "SumToShape") != recorder.names.end();
  BOOST_TEST(recorded);
}

// The tape asks only for the gradients it needs (GradientContext::wanted); MatMul and Conv2D then
// skip the input gradient (the first layer's is as costly as the forward op) and still give the
// same weight gradient, bit for bit.
namespace {

struct OpRecorder : OpObserver {
  std::vector<std::string> names;
  std::vector<Attrs> attrs;
  void on_op(const OpDef& op, std::span<const Tensor>, const Attrs& a, std::span<const Tensor>) override {
    names.push_back(op.name);
    attrs.push_back(a);
  }
  long count(const std::string& name) const { return std::count(names.begin(), names.end(), name); }
};

// Runs `forward` (one op call on x and w), then that op's gradient for all inputs and for w alone.
void check_weight_gradient_alone(const Tensor& x, const Tensor& w,
                                 const std::function<Tensor(const Tensor&, const Tensor&)>& forward,
                                 const std::string& op, const std::string& input_gradient_op,
                                 long input_gradient_calls_left) {
  OpRecorder forward_call;
  Tensor y;
  {
    ObserverScope scope(forward_call);
    y = forward(x, w);
  }
  BOOST_REQUIRE(forward_call.names.size() == 1u);
  const Tensor in[] = {x, w};
  const Tensor out[] = {y};
  const Tensor dy[] = {spread(y.shape(), -1, 1, 3)};
  const Attrs& attrs = forward_call.attrs[0];
  const Tensors all = find_op(op).gradient(GradientContext{in, out, dy, attrs});
  const char only_weight[] = {0, 1};
  OpRecorder backward_calls;
  Tensors some;
  {
    ObserverScope scope(backward_calls);
    some = find_op(op).gradient(GradientContext{in, out, dy, attrs, only_weight});
  }
  BOOST_TEST_INFO(op);
  BOOST_TEST(!some[0].defined());
  BOOST_TEST(backward_calls.count(input_gradient_op) == input_gradient_calls_left);
  BOOST_TEST(some[1].to_vector<float>() == all[1].to_vector<float>(), boost::test_tools::per_element());
}

}  // namespace

BOOST_AUTO_TEST_CASE(unwanted_input_gradients_are_skipped) {
  // MatMul's two gradients are both MatMuls: one must remain.
  check_weight_gradient_alone(spread({4, 3}, -1, 1), spread({3, 5}, -1, 1, 1),
                              [](const Tensor& a, const Tensor& b) { return ops::matmul(a, b); },
                              "MatMul", "MatMul", 1);
  check_weight_gradient_alone(spread({2, 6, 6, 3}, -1, 1), spread({3, 3, 3, 4}, -1, 1, 1),
                              [](const Tensor& x, const Tensor& f) { return ops::conv2d(x, f); },
                              "Conv2D", "Conv2DBackpropInput", 0);
}
