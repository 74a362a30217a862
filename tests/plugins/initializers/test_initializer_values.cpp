// The initializers plugin's values: constants, seeded reproducibility, the statistics of every
// random distribution with Keras's fan rules, orthogonality, and shapes/dtypes it refuses.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "ksave/objects.hpp"
#include "support/compare.hpp"

using ksave::DType;
using ksave::Json;
using ksave::Shape;
using ksave::Tensor;

namespace {

Tensor draw(const Json& reference, const Shape& shape, DType dtype = DType::Float32) {
  return (*ksave::get_initializer(reference))(shape, dtype);
}

Json with_config(const char* class_name, const Json& config) {
  return Json{{"class_name", class_name}, {"config", config}};
}

struct Stats {
  double mean = 0, stddev = 0, min = 0, max = 0;
};

Stats stats_of(const Tensor& t) {
  const std::vector<double> v = t.to_vector<double>();
  Stats s;
  s.min = *std::min_element(v.begin(), v.end());
  s.max = *std::max_element(v.begin(), v.end());
  for (double x : v) s.mean += x;
  s.mean /= static_cast<double>(v.size());
  for (double x : v) s.stddev += (x - s.mean) * (x - s.mean);
  s.stddev = std::sqrt(s.stddev / static_cast<double>(v.size()));
  return s;
}

// Entry (i, j) of M^T M for the row-major rows x cols matrix `m`.
double gram(const std::vector<double>& m, std::int64_t rows, std::int64_t cols, std::int64_t i,
            std::int64_t j) {
  double dot = 0;
  for (std::int64_t r = 0; r < rows; ++r) dot += m[r * cols + i] * m[r * cols + j];
  return dot;
}

// Largest deviation of M^T M (or M M^T when `rows_orthonormal`) from gain^2 * I.
double orthogonality_error(const Tensor& t, std::int64_t rows, std::int64_t cols, double gain,
                           bool rows_orthonormal) {
  std::vector<double> m = t.to_vector<double>();
  if (rows_orthonormal) {  // transpose, so the rows become the columns checked below
    std::vector<double> transposed(m.size());
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t c = 0; c < cols; ++c) transposed[c * rows + r] = m[r * cols + c];
    m = std::move(transposed);
    std::swap(rows, cols);
  }
  std::vector<double> found, identity;
  for (std::int64_t i = 0; i < cols; ++i)
    for (std::int64_t j = 0; j < cols; ++j) {
      found.push_back(gram(m, rows, cols, i, j));
      identity.push_back(i == j ? gain * gain : 0.0);
    }
  // The largest |difference| (atol 1 makes deviation the difference itself; a NaN gives +inf).
  return ksave::test::compare(found, identity, {.rtol = 0, .atol = 1}).worst;
}

}  // namespace

BOOST_AUTO_TEST_CASE(constant_initializers) {
  BOOST_TEST(draw("zeros", {2, 3}).to_vector<float>() == std::vector<float>(6, 0.0f),
             boost::test_tools::per_element());
  BOOST_TEST(draw("ones", {4}).to_vector<float>() == std::vector<float>(4, 1.0f),
             boost::test_tools::per_element());
  const Tensor ints = draw("ones", {3}, DType::Int32);
  BOOST_TEST(ksave::dtype_name(ints.dtype()) == "int32");
  BOOST_TEST(ints.to_vector<std::int32_t>() == std::vector<std::int32_t>(3, 1), boost::test_tools::per_element());
  BOOST_TEST(draw(with_config("Constant", {{"value", 3.5}}), {2, 2}).to_vector<float>() ==
                 std::vector<float>(4, 3.5f),
             boost::test_tools::per_element());
  BOOST_TEST(draw(with_config("Constant", {{"value", Json::parse("[[1, 2], [3, 4]]")}}), {2, 2})
                     .to_vector<float>() == std::vector<float>({1, 2, 3, 4}),
             boost::test_tools::per_element());
  BOOST_CHECK_THROW(draw(with_config("Constant", {{"value", Json::parse("[1, 2, 3]")}}), {2, 2}),
                    ksave::Error);
  const Tensor eye = draw(with_config("Identity", {{"gain", 2.0}}), {2, 3});
  BOOST_TEST(eye.to_vector<float>() == std::vector<float>({2, 0, 0, 0, 2, 0}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(seeded_initializers_are_reproducible) {
  for (const char* name : {"RandomUniform", "RandomNormal", "TruncatedNormal", "VarianceScaling",
                           "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform",
                           "LecunNormal", "Orthogonal"}) {
    BOOST_TEST_CONTEXT(name) {
      const Json seeded = with_config(name, {{"seed", 1337}});
      const ksave::InitializerPtr init = ksave::get_initializer(seeded);
      const Tensor first = (*init)({8, 5}, DType::Float32);
      // The same seed gives the same values: from a second instance and from a second call.
      BOOST_TEST(ksave::max_abs_difference(first, draw(seeded, {8, 5})) == 0.0);
      BOOST_TEST(ksave::max_abs_difference(first, (*init)({8, 5}, DType::Float32)) == 0.0);
      BOOST_TEST(ksave::max_abs_difference(first, draw(with_config(name, {{"seed", 1338}}), {8, 5})) > 0.0);
      // Without a seed each call draws fresh values.
      const Json unseeded = with_config(name, Json::object());
      BOOST_TEST(ksave::max_abs_difference(draw(unseeded, {8, 5}), draw(unseeded, {8, 5})) > 0.0);
    }
  }
}

BOOST_AUTO_TEST_CASE(random_distributions_have_their_moments) {
  const Shape shape{400, 250};  // 100k samples: moments within a few hundredths
  const Stats normal = stats_of(draw(with_config("RandomNormal", {{"mean", 1.0}, {"stddev", 2.0}, {"seed", 1}}), shape));
  BOOST_TEST(normal.mean == 1.0, boost::test_tools::tolerance(0.02));
  BOOST_TEST(normal.stddev == 2.0, boost::test_tools::tolerance(0.02));
  BOOST_TEST(normal.max > 1.0 + 2.0 * 3.5);  // untruncated: tails beyond two stddevs

  const Stats uniform = stats_of(draw(with_config("RandomUniform", {{"minval", -1}, {"maxval", 3}, {"seed", 2}}), shape));
  BOOST_TEST(uniform.min >= -1.0);
  BOOST_TEST(uniform.max < 3.0);
  BOOST_TEST(uniform.mean == 1.0, boost::test_tools::tolerance(0.02));
  BOOST_TEST(uniform.stddev == 4.0 / std::sqrt(12.0), boost::test_tools::tolerance(0.02));

  // Truncated to two stddevs, the standard deviation shrinks to 0.8796 of the parameter.
  const Stats truncated = stats_of(draw(with_config("TruncatedNormal", {{"mean", -1.0}, {"stddev", 0.5}, {"seed", 3}}), shape));
  BOOST_TEST(truncated.min >= -2.0);
  BOOST_TEST(truncated.max <= 0.0);
  BOOST_TEST(truncated.mean == -1.0, boost::test_tools::tolerance(0.02));
  BOOST_TEST(truncated.stddev == 0.5 * 0.87962566103423978, boost::test_tools::tolerance(0.02));
}

BOOST_AUTO_TEST_CASE(variance_scaling_follows_keras_fans) {
  struct Case {
    const char* name;
    Shape shape;
    double fan;  // the fan the variance is divided by, worked out by hand
    double scale;
    bool uniform;
  };
  const Case cases[] = {
      {"GlorotUniform", {300, 200}, (300 + 200) / 2.0, 1.0, true},
      {"GlorotNormal", {300, 200}, (300 + 200) / 2.0, 1.0, false},
      // A 3x3 conv kernel 32 -> 64: fan_in 3*3*32 = 288, fan_out 3*3*64 = 576.
      {"HeUniform", {3, 3, 32, 64}, 288, 2.0, true},
      {"HeNormal", {3, 3, 32, 64}, 288, 2.0, false},
      {"LecunUniform", {3, 3, 32, 64}, 288, 1.0, true},
      {"LecunNormal", {3, 3, 32, 64}, 288, 1.0, false},
      {"GlorotUniform", {3, 3, 32, 64}, (288 + 576) / 2.0, 1.0, true},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.name << " " << ksave::shape_to_string(c.shape)) {
      const Stats s = stats_of(draw(with_config(c.name, {{"seed", 11}}), c.shape));
      const double stddev = std::sqrt(c.scale / c.fan);
      BOOST_TEST(std::abs(s.mean) < 0.05 * stddev);
      BOOST_TEST(s.stddev == stddev, boost::test_tools::tolerance(0.03));
      const double bound = c.uniform ? std::sqrt(3.0) * stddev : 2.0 * stddev / 0.87962566103423978;
      BOOST_TEST(std::max(-s.min, s.max) <= bound * (1 + 1e-6));
      BOOST_TEST(std::max(-s.min, s.max) > 0.95 * bound);
    }
  }
  // The generic class with fan_out and the untruncated normal (Dense kernel 400 -> 100).
  const Json untruncated = with_config(
      "VarianceScaling", {{"scale", 3.0}, {"mode", "fan_out"}, {"distribution", "untruncated_normal"}, {"seed", 5}});
  const Stats s = stats_of(draw(untruncated, {400, 250}));
  BOOST_TEST(s.stddev == std::sqrt(3.0 / 250), boost::test_tools::tolerance(0.03));
  BOOST_TEST(s.max > 2.5 * std::sqrt(3.0 / 250));
  // Fans below one are taken as one; a bias-like vector uses its length for both fans.
  BOOST_TEST(stats_of(draw(with_config("LecunUniform", {{"seed", 6}}), {20000})).stddev ==
                 std::sqrt(1.0 / 20000), boost::test_tools::tolerance(0.03));
}

BOOST_AUTO_TEST_CASE(orthogonal_matrices_are_orthogonal) {
  // Tall: orthonormal columns. Wide: orthonormal rows. Rank 4: flattened to (3*3*4, 8).
  BOOST_TEST(orthogonality_error(draw("orthogonal", {50, 30}), 50, 30, 1.0, false) < 1e-5);
  BOOST_TEST(orthogonality_error(draw("orthogonal", {30, 50}), 30, 50, 1.0, true) < 1e-5);
  BOOST_TEST(orthogonality_error(draw("orthogonal", {40, 40}), 40, 40, 1.0, false) < 1e-5);
  BOOST_TEST(orthogonality_error(draw(with_config("Orthogonal", {{"gain", 2.0}, {"seed", 9}}), {3, 3, 4, 8}),
                                 36, 8, 2.0, false) < 1e-4);
  const Tensor wide = draw("orthogonal", {3, 3, 4, 8});
  BOOST_TEST(wide.shape() == Shape({3, 3, 4, 8}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(dtypes_and_shapes) {
  const Tensor doubles = draw(with_config("RandomNormal", {{"seed", 4}}), {10}, DType::Float64);
  BOOST_TEST(ksave::dtype_name(doubles.dtype()) == "float64");
  BOOST_TEST(draw("glorot_uniform", {0, 4}).size() == 0);
  // Random values of an integer dtype, an orthogonal vector and a 3-D identity are refused.
  BOOST_CHECK_THROW(draw("glorot_uniform", {3, 3}, DType::Int32), ksave::Error);
  BOOST_CHECK_THROW(draw("orthogonal", {5}), ksave::Error);
  BOOST_CHECK_THROW(draw("identity", {2, 2, 2}), ksave::Error);
}
