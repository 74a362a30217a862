// Forward values of the core ops on hand-computed cases: broadcasting, axes (negative too),
// numerically hard inputs, dtypes, and the error messages for bad shapes and indices.
#define BOOST_TEST_MODULE core ops
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "ksave/ops.hpp"
#include "support/compare.hpp"

using namespace ksave;
namespace o = ksave::ops;

namespace {

Tensor F(std::vector<float> values, Shape shape) {
  return Tensor::from_vector<float>(values, std::move(shape));
}
Tensor I64(std::vector<std::int64_t> values, Shape shape) {
  return Tensor::from_vector<std::int64_t>(values, std::move(shape));
}

// Checks shape and values (float32 tolerance).
void expect(const Tensor& t, const Shape& shape, const std::vector<double>& values,
            double tol = 1e-5) {
  BOOST_TEST_REQUIRE(shape_to_string(t.shape()) == shape_to_string(shape));
  BOOST_TEST_REQUIRE(t.size() == static_cast<std::int64_t>(values.size()));
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double got = t.item(static_cast<std::int64_t>(i));
    BOOST_TEST(std::fabs(got - values[i]) <= tol * std::max(1.0, std::fabs(values[i])),
               "element " << i << ": got " << got << ", expected " << values[i]);
  }
}

// Runs `fn`, expecting a ksave::Error whose message contains every fragment.
template <typename Fn>
void expect_error(Fn&& fn, const std::vector<std::string>& fragments) {
  try {
    fn();
    BOOST_ERROR("expected an error mentioning '" << fragments.front() << "'");
  } catch (const Error& e) {
    const std::string msg = e.what();
    for (const auto& f : fragments)
      BOOST_TEST(msg.find(f) != std::string::npos, "message '" << msg << "' lacks '" << f << "'");
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(elementwise)

BOOST_AUTO_TEST_CASE(add_broadcasts_like_numpy) {
  const Tensor a = F({1, 2, 3, 4, 5, 6}, {2, 3});
  expect(o::add(a, F({10, 20, 30}, {3})), {2, 3}, {11, 22, 33, 14, 25, 36});
  expect(o::add(F({1, 2}, {2, 1}), F({10, 20, 30}, {1, 3})), {2, 3}, {11, 21, 31, 12, 22, 32});
  expect(o::add(a, o::constant(1)), {2, 3}, {2, 3, 4, 5, 6, 7});
  expect(o::add(o::constant(1), a), {2, 3}, {2, 3, 4, 5, 6, 7});
  // (3, 1, 2) + (4, 1) -> (3, 4, 2)
  const Tensor b = F({0, 1, 2, 3, 4, 5}, {3, 1, 2});
  const Tensor c = F({0, 10, 20, 30}, {4, 1});
  const Tensor r = o::add(b, c);
  BOOST_TEST(shape_to_string(r.shape()) == "(3, 4, 2)");
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 4; ++j)
      for (int k = 0; k < 2; ++k) BOOST_TEST(r.item(i * 8 + j * 2 + k) == (i * 2 + k) + 10.0 * j);
}

BOOST_AUTO_TEST_CASE(binary_ops) {
  const Tensor a = F({1, -2, 3, 4}, {2, 2});
  const Tensor b = F({2, 4}, {2});
  expect(o::sub(a, b), {2, 2}, {-1, -6, 1, 0});
  expect(o::mul(a, b), {2, 2}, {2, -8, 6, 16});
  expect(o::div(a, b), {2, 2}, {0.5, -0.5, 1.5, 1});
  expect(o::maximum(a, b), {2, 2}, {2, 4, 3, 4});
  expect(o::minimum(a, b), {2, 2}, {1, -2, 2, 4});
  expect(o::pow(F({2, 3, 4}, {3}), F({3, 2, 0.5}, {3})), {3}, {8, 9, 2});
  expect(o::squared_difference(a, b), {2, 2}, {1, 36, 1, 0});
  expect(o::greater(a, b), {2, 2}, {0, 0, 1, 0});
  expect(o::equal(a, b), {2, 2}, {0, 0, 0, 1});
  expect(o::select(F({1, 0}, {2, 1}), a, F({-9}, {})), {2, 2}, {1, -2, -9, -9});
  expect(o::add(a, 1.5), {2, 2}, {2.5, -0.5, 4.5, 5.5});
  expect(o::mul(a, -2.0), {2, 2}, {-2, 4, -6, -8});
}

BOOST_AUTO_TEST_CASE(integer_inputs_compute_in_float32) {
  const Tensor a = Tensor::from_vector<std::int32_t>({1, 2, 3}, {3});
  const Tensor r = o::add(a, F({0.5f}, {}));
  BOOST_TEST(dtype_name(r.dtype()) == "float32");
  expect(r, {3}, {1.5, 2.5, 3.5});
  expect(o::square(I64({3, -4}, {2})), {2}, {9, 16});
}

BOOST_AUTO_TEST_CASE(bad_broadcast_names_both_shapes) {
  expect_error(
      [] {
        o::add(F({1, 2, 3, 4, 5, 6}, {2, 3}), F({1, 2, 3, 4}, {4}));
      },
      {"AddV2", "(2, 3)", "(4,)"});
  expect_error(
      [] {
        o::select(F({1, 0}, {2}), F({1, 2, 3}, {3}), F({1}, {1}));
      },
      {"SelectV2", "(2,)", "(3,)"});
}

BOOST_AUTO_TEST_CASE(unary_ops_match_std) {
  const std::vector<float> xs{-3.5f, -1.0f, -0.25f, 0.0f, 0.3f, 1.0f, 2.5f};
  const Tensor x = F(xs, {7});
  const auto check = [&](const Tensor& y, double (*ref)(double), const char* name) {
    for (std::size_t i = 0; i < xs.size(); ++i) {
      const double want = ref(xs[i]);
      BOOST_TEST(std::fabs(y.item(static_cast<std::int64_t>(i)) - want) <=
                     2e-6 * std::max(1.0, std::fabs(want)),
                 name << "(" << xs[i] << ") = " << y.item(static_cast<std::int64_t>(i))
                      << ", expected " << want);
    }
  };
  check(
      o::neg(x), [](double v) { return -v; }, "neg");
  check(
      o::abs(x), [](double v) { return std::fabs(v); }, "abs");
  check(
      o::exp(x), [](double v) { return std::exp(v); }, "exp");
  check(
      o::square(x), [](double v) { return v * v; }, "square");
  check(
      o::sign(x), [](double v) { return double((v > 0) - (v < 0)); }, "sign");
  check(
      o::floor(x), [](double v) { return std::floor(v); }, "floor");
  check(
      run_op("Ceil", std::vector<Tensor>{x}, Attrs{})[0], [](double v) { return std::ceil(v); }, "Ceil");
  check(
      o::tanh(x), [](double v) { return std::tanh(v); }, "tanh");
  check(
      o::sigmoid(x), [](double v) { return 1 / (1 + std::exp(-v)); }, "sigmoid");
  check(
      o::relu(x), [](double v) { return std::max(v, 0.0); }, "relu");
  check(
      o::elu(x), [](double v) { return v > 0 ? v : std::expm1(v); }, "elu");
  check(
      o::selu(x),
      [](double v) {
        return 1.0507009873554805 * (v > 0 ? v : 1.6732632423543772 * std::expm1(v));
      },
      "selu");
  check(
      o::softplus(x), [](double v) { return std::log1p(std::exp(v)); }, "softplus");
  check(
      o::softsign(x), [](double v) { return v / (1 + std::fabs(v)); }, "softsign");
  check(
      o::erf(x), [](double v) { return std::erf(v); }, "erf");
  check(
      o::leaky_relu(x, 0.2), [](double v) { return v > 0 ? v : 0.2 * v; }, "leaky_relu");
  check(
      o::clip(x, -1.0, 1.0), [](double v) { return std::clamp(v, -1.0, 1.0); }, "clip");
  const Tensor p = F({0.25f, 1.0f, 4.0f, 9.0f}, {4});
  expect(o::sqrt(p), {4}, {0.5, 1, 2, 3});
  expect(o::rsqrt(p), {4}, {2, 1, 0.5, 1.0 / 3});
  expect(o::log(p), {4}, {std::log(0.25), 0, std::log(4.0), std::log(9.0)});
  expect(o::log1p(F({0.0f, 1e-6f, 1.0f}, {3})), {3}, {0, 1e-6 - 0.5e-12, std::log(2.0)});
}

BOOST_AUTO_TEST_CASE(softplus_and_sigmoid_are_stable_on_large_inputs) {
  const Tensor x = F({-100, 100}, {2});
  expect(o::softplus(x), {2}, {0, 100});
  expect(o::sigmoid(x), {2}, {0, 1});
  BOOST_TEST(std::isfinite(o::softplus(F({1000}, {1})).item()));
}

BOOST_AUTO_TEST_CASE(clip_rejects_inverted_bounds) {
  expect_error([] { o::clip(F({1}, {1}), 2.0, 1.0); }, {"ClipByValue", "clip_value_min"});
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(linalg)

BOOST_AUTO_TEST_CASE(matmul_and_transposes) {
  const Tensor a = F({1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor b = F({7, 8, 9, 10, 11, 12}, {3, 2});
  const std::vector<double> ab{58, 64, 139, 154};
  expect(o::matmul(a, b), {2, 2}, ab);
  const Tensor at = F({1, 4, 2, 5, 3, 6}, {3, 2});  // a transposed
  const Tensor bt = F({7, 9, 11, 8, 10, 12}, {2, 3});
  expect(o::matmul(at, b, true, false), {2, 2}, ab);
  expect(o::matmul(a, bt, false, true), {2, 2}, ab);
  expect(o::matmul(at, bt, true, true), {2, 2}, ab);
}

BOOST_AUTO_TEST_CASE(matmul_contracts_last_axis_of_rank3) {
  const Tensor a = F({1, 2, 3, 4, 5, 6, 7, 8}, {2, 2, 2});
  const Tensor b = F({1, 0, 2, 0, 1, 3}, {2, 3});
  expect(o::matmul(a, b), {2, 2, 3}, {1, 2, 8, 3, 4, 18, 5, 6, 28, 7, 8, 38});
}

BOOST_AUTO_TEST_CASE(matmul_errors_name_both_shapes) {
  expect_error(
      [] {
        o::matmul(Tensor(DType::Float32, {2, 3}), Tensor(DType::Float32, {4, 5}));
      },
      {"MatMul: inner dimensions differ", "a is (2, 3)", "b is (4, 5)"});
  expect_error(
      [] {
        o::matmul(Tensor(DType::Float32, {3}), Tensor(DType::Float32, {3, 5}));
      },
      {"MatMul", "(3,)", "(3, 5)"});
}

BOOST_AUTO_TEST_CASE(large_matmul_matches_naive_product) {
  // Big enough to take the multi-threaded path.
  const std::int64_t m = 96, k = 300, n = 200;
  std::vector<float> av(static_cast<std::size_t>(m * k)), bv(static_cast<std::size_t>(k * n));
  for (std::size_t i = 0; i < av.size(); ++i)
    av[i] = static_cast<float>((i * 7) % 13) / 13.0f - 0.5f;
  for (std::size_t i = 0; i < bv.size(); ++i)
    bv[i] = static_cast<float>((i * 5) % 11) / 11.0f - 0.5f;
  for (bool tb : {false, true}) {
    const Tensor a = F(av, {m, k});
    const Tensor b = tb ? F(bv, {n, k}) : F(bv, {k, n});
    const Tensor c = o::matmul(a, b, false, tb);
    BOOST_TEST_REQUIRE(shape_to_string(c.shape()) == "(96, 200)");
    std::vector<double> expected;
    for (std::int64_t i = 0; i < m; ++i)
      for (std::int64_t j = 0; j < n; ++j) {
        double s = 0;
        for (std::int64_t p = 0; p < k; ++p)
          s += double(av[static_cast<std::size_t>(i * k + p)]) *
               bv[static_cast<std::size_t>(tb ? j * k + p : p * n + j)];
        expected.push_back(s);
      }
    BOOST_TEST(ksave::test::close(c.to_vector<double>(), expected, {.rtol = 0, .atol = 1e-3}));
  }
}

BOOST_AUTO_TEST_CASE(batch_matmul_broadcasts_batch_axes) {
  const Tensor a = F({1, 2, 3, 4, 5, 6, 7, 8}, {2, 2, 2});  // two 2x2
  const Tensor b = F({1, 0, 0, 2}, {1, 2, 2});              // one diag(1, 2), broadcast
  expect(o::batch_matmul(a, b), {2, 2, 2}, {1, 4, 3, 8, 5, 12, 7, 16});
  expect(o::batch_matmul(a, b, true, false), {2, 2, 2}, {1, 6, 2, 8, 5, 14, 6, 16});
  expect(o::batch_matmul(b, a, false, true), {2, 2, 2}, {1, 3, 4, 8, 5, 7, 12, 16});
  expect_error(
      [] {
        o::batch_matmul(Tensor(DType::Float32, {2, 2, 3}), Tensor(DType::Float32, {2, 2, 3}));
      },
      {"BatchMatMulV2", "(2, 2, 3)"});
  expect_error(
      [] {
        o::batch_matmul(Tensor(DType::Float32, {2, 2, 3}), Tensor(DType::Float32, {3, 3, 1}));
      },
      {"BatchMatMulV2", "(2,)", "(3,)"});
}

BOOST_AUTO_TEST_CASE(bias_add_last_axis) {
  expect(o::bias_add(F({1, 2, 3, 4, 5, 6}, {2, 3}), F({10, 20, 30}, {3})), {2, 3},
         {11, 22, 33, 14, 25, 36});
  expect_error(
      [] {
        o::bias_add(F({1, 2, 3, 4, 5, 6}, {2, 3}), F({1, 2}, {2}));
      },
      {"BiasAdd", "(2,)", "(2, 3)"});
}

BOOST_AUTO_TEST_CASE(bias_add_channels_first) {
  const Tensor x = F({1, 2, 3, 4, 5, 6, 7, 8}, {1, 2, 2, 2});
  const Tensor r = run_op("BiasAdd", std::vector<Tensor>{x, F({10, 20}, {2})},
                          Attrs{{"data_format", std::string("NCHW")}})[0];
  expect(r, {1, 2, 2, 2}, {11, 12, 13, 14, 25, 26, 27, 28});
}

BOOST_AUTO_TEST_CASE(empty_tensors) {
  expect(o::add(Tensor(DType::Float32, {0, 3}), F({1, 2, 3}, {3})), {0, 3}, {});
  expect(o::sum(Tensor(DType::Float32, {0, 3}), {0}), {3}, {0, 0, 0});
  // An empty inner dimension gives a zero product.
  expect(o::matmul(Tensor(DType::Float32, {2, 0}), Tensor(DType::Float32, {0, 2})), {2, 2},
         {0, 0, 0, 0});
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(reductions)

BOOST_AUTO_TEST_CASE(sum_mean_max_min_over_axes) {
  const Tensor x = F({1, 2, 3, 4, 5, 6}, {2, 3});
  expect(o::sum(x), {}, {21});
  expect(o::sum(x, {0}), {3}, {5, 7, 9});
  expect(o::sum(x, {-1}), {2}, {6, 15});
  expect(o::sum(x, {1}, true), {2, 1}, {6, 15});
  expect(o::sum(x, {0, 1}, true), {1, 1}, {21});
  expect(o::mean(x, {0}), {3}, {2.5, 3.5, 4.5});
  expect(o::mean(x), {}, {3.5});
  expect(o::max(x, {1}), {2}, {3, 6});
  expect(o::min(x, {-2}), {3}, {1, 2, 3});
  expect(o::max(x), {}, {6});
  // Non-adjacent axes of a rank-3 tensor: (2, 3, 2) reduced over axes 0 and 2.
  const Tensor y = F({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, {2, 3, 2});
  expect(o::sum(y, {0, -1}), {3}, {0 + 1 + 6 + 7, 2 + 3 + 8 + 9, 4 + 5 + 10 + 11});
  expect(o::max(y, {0, 2}, true), {1, 3, 1}, {7, 9, 11});
}

BOOST_AUTO_TEST_CASE(bad_axes_are_reported) {
  const Tensor x = F({1, 2, 3, 4, 5, 6}, {2, 3});
  expect_error([&] { o::sum(x, {2}); }, {"Sum", "axis 2", "(2, 3)"});
  expect_error([&] { o::mean(x, {-3}); }, {"Mean", "axis -3"});
  expect_error([&] { o::sum(x, {1, -1}); }, {"Sum", "twice"});
}

BOOST_AUTO_TEST_CASE(argmax_along_axes) {
  const Tensor x = F({1, 9, 3, 7, 5, 6}, {2, 3});
  const Tensor r = o::argmax(x);
  BOOST_TEST(dtype_name(r.dtype()) == "int64");
  expect(r, {2}, {1, 0});
  expect(o::argmax(x, 0), {3}, {1, 0, 1});
  expect(o::argmax(F({2, 2, 1}, {3})), {}, {0});  // first maximum wins
}

BOOST_AUTO_TEST_CASE(reduce_to_shape_undoes_broadcasting) {
  const Tensor g = F({1, 2, 3, 4, 5, 6}, {2, 3});
  expect(o::reduce_to_shape(g, {3}), {3}, {5, 7, 9});
  expect(o::reduce_to_shape(g, {2, 1}), {2, 1}, {6, 15});
  expect(o::reduce_to_shape(g, {}), {}, {21});
  expect(o::reduce_to_shape(g, {1, 3}), {1, 3}, {5, 7, 9});
  expect_error([&] { o::reduce_to_shape(g, {2}); }, {"SumToShape", "(2, 3)", "(2,)"});
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(normalisation)

BOOST_AUTO_TEST_CASE(softmax_is_stable_on_large_logits) {
  const Tensor y = o::softmax(F({1000, 1001, 1002, -1000, 0, 1000}, {2, 3}));
  const double e0 = std::exp(-2.0), e1 = std::exp(-1.0), z = e0 + e1 + 1;
  expect(y, {2, 3}, {e0 / z, e1 / z, 1 / z, 0, 0, 1});
  const Tensor ly = o::log_softmax(F({1000, 1001, 1002}, {3}));
  expect(ly, {3}, {-2 - std::log(z), -1 - std::log(z), -std::log(z)});
}

BOOST_AUTO_TEST_CASE(softmax_on_other_axes) {
  // axis 0 of (2, 3): each column is a softmax pair.
  const Tensor x = F({0, 1, 1, 1, 1, 0}, {2, 3});
  const double s = 1 / (1 + std::exp(1.0));  // softmax([0, 1])[0]
  expect(o::softmax(x, 0), {2, 3}, {s, 0.5, 1 - s, 1 - s, 0.5, s});
  expect(o::softmax(x, -2), {2, 3}, {s, 0.5, 1 - s, 1 - s, 0.5, s});
  expect(
      o::log_softmax(x, 0), {2, 3},
      {std::log(s), std::log(0.5), std::log(1 - s), std::log(1 - s), std::log(0.5), std::log(s)});
  expect_error([&] { o::softmax(x, 2); }, {"Softmax", "axis 2", "(2, 3)"});
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(shape)

BOOST_AUTO_TEST_CASE(reshape_transpose) {
  const Tensor x = F({1, 2, 3, 4, 5, 6}, {2, 3});
  expect(o::reshape(x, {3, -1}), {3, 2}, {1, 2, 3, 4, 5, 6});
  expect_error([&] { o::reshape(x, {4, -1}); }, {"Reshape", "(2, 3)", "(4, -1)"});
  expect(o::transpose(x, {1, 0}), {3, 2}, {1, 4, 2, 5, 3, 6});
  const Tensor y = F({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, {2, 3, 2});
  expect(o::transpose(y, {2, 0, 1}), {2, 2, 3}, {0, 2, 4, 6, 8, 10, 1, 3, 5, 7, 9, 11});
  expect_error([&] { o::transpose(y, {0, 0, 1}); }, {"Transpose", "(2, 3, 2)"});
  // Shape ops keep integer dtypes.
  const Tensor t = o::transpose(I64({1, 2, 3, 4, 5, 6}, {2, 3}), {1, 0});
  BOOST_TEST(dtype_name(t.dtype()) == "int64");
  expect(t, {3, 2}, {1, 4, 2, 5, 3, 6});
}

BOOST_AUTO_TEST_CASE(concat_and_stack) {
  const Tensor a = F({1, 2, 3, 4}, {2, 2});
  const Tensor b = F({5, 6}, {2, 1});
  expect(o::concat({a, b}, -1), {2, 3}, {1, 2, 5, 3, 4, 6});
  expect(o::concat({a, F({7, 8}, {1, 2})}, 0), {3, 2}, {1, 2, 3, 4, 7, 8});
  expect_error([&] { o::concat({a, b}, 0); }, {"ConcatV2", "(2, 2)", "(2, 1)"});
  expect(o::stack({F({1, 2}, {2}), F({3, 4}, {2})}), {2, 2}, {1, 2, 3, 4});
  expect(o::stack({F({1, 2}, {2}), F({3, 4}, {2})}, -1), {2, 2}, {1, 3, 2, 4});
  expect_error([&] { o::stack({F({1, 2}, {2}), F({3}, {1})}); }, {"Pack", "(2,)", "(1,)"});
}

BOOST_AUTO_TEST_CASE(slice_pad_tile) {
  const Tensor x = F({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, {3, 4});
  expect(o::slice(x, {1, 1}, {2, -1}), {2, 3}, {5, 6, 7, 9, 10, 11});
  expect_error([&] { o::slice(x, {2, 0}, {2, 4}); }, {"Slice", "axis 0", "(3, 4)"});
  expect(o::pad(F({1, 2, 3, 4}, {2, 2}), {{1, 0}, {0, 2}}, -1.0), {3, 4},
         {-1, -1, -1, -1, 1, 2, -1, -1, 3, 4, -1, -1});
  expect(o::tile(F({1, 2}, {1, 2}), {2, 3}), {2, 6}, {1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2});
  expect(o::tile(F({1, 2}, {2, 1}), {1, 2}), {2, 2}, {1, 1, 2, 2});
  expect_error([&] { o::tile(x, {2}); }, {"Tile", "(3, 4)"});
}

BOOST_AUTO_TEST_CASE(expand_and_squeeze) {
  const Tensor x = F({1, 2, 3}, {3});
  expect(o::expand_dims(x, 0), {1, 3}, {1, 2, 3});
  expect(o::expand_dims(x, -1), {3, 1}, {1, 2, 3});
  expect(o::squeeze(F({1, 2, 3}, {1, 3, 1})), {3}, {1, 2, 3});
  expect(o::squeeze(F({1, 2, 3}, {1, 3, 1}), {-1}), {1, 3}, {1, 2, 3});
  expect_error(
      [&] {
        o::squeeze(F({1, 2, 3}, {1, 3, 1}), {1});
      },
      {"Squeeze", "(1, 3, 1)", "size 3"});
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(indexing)

BOOST_AUTO_TEST_CASE(gather_rows_and_columns) {
  const Tensor params = F({0, 1, 2, 10, 11, 12, 20, 21, 22}, {3, 3});
  expect(o::gather(params, I64({2, 0, 2}, {3})), {3, 3}, {20, 21, 22, 0, 1, 2, 20, 21, 22});
  expect(o::gather(params, Tensor::from_vector<std::int32_t>({1, 0, 2, 2}, {2, 2})), {2, 2, 3},
         {10, 11, 12, 0, 1, 2, 20, 21, 22, 20, 21, 22});
  expect(o::gather(params, Tensor::from_vector<std::uint16_t>({1}, {1})), {1, 3}, {10, 11, 12});
  expect(o::gather(params, F({2.0f, 1.0f}, {2})), {2, 3}, {20, 21, 22, 10, 11, 12});
  expect(o::gather(params, I64({2, 0}, {2}), 1), {3, 2}, {2, 0, 12, 10, 22, 20});
  expect(o::gather(params, I64({1}, {}), -1), {3}, {1, 11, 21});
}

BOOST_AUTO_TEST_CASE(gather_rejects_out_of_range_ids) {
  const Tensor params = F({0, 1, 2, 3, 4, 5}, {3, 2});
  expect_error([&] { o::gather(params, I64({0, 3}, {2})); }, {"GatherV2", "index 3", "[0, 3)"});
  expect_error([&] { o::gather(params, I64({-1}, {1})); }, {"GatherV2", "index -1", "[0, 3)"});
  expect_error([&] { o::gather(params, I64({2}, {1}), 1); }, {"GatherV2", "index 2", "[0, 2)"});
  expect_error([&] { o::gather(params, F({std::numeric_limits<float>::quiet_NaN()}, {1})); },
               {"GatherV2"});
}

BOOST_AUTO_TEST_CASE(one_hot_cast_fill) {
  expect(o::one_hot(I64({0, 2, -1, 3}, {4}), 3), {4, 3}, {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0});
  expect(o::one_hot(F({1.0f}, {1, 1}), 2), {1, 1, 2}, {0, 1});
  const Tensor c = o::cast(F({1.7f, -2.7f}, {2}), DType::Int32);
  BOOST_TEST(dtype_name(c.dtype()) == "int32");
  expect(c, {2}, {1, -2});
  expect(o::cast(I64({3, 4}, {2}), DType::Float32), {2}, {3, 4});
  const Tensor z = o::zeros_like(I64({3, 4}, {2}));
  BOOST_TEST(dtype_name(z.dtype()) == "int64");
  expect(z, {2}, {0, 0});
  expect(o::ones_like(F({3, 4, 5}, {3, 1})), {3, 1}, {1, 1, 1});
}

BOOST_AUTO_TEST_SUITE_END()
