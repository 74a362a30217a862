// The suite's comparison helper (tests/support/compare.hpp) itself: NaN and infinities can only
// equal themselves, and the worst element is the one reported.
#define BOOST_TEST_MODULE compare_support
#include <boost/test/unit_test.hpp>

#include <limits>

#include "support/compare.hpp"

using ksave::Tensor;
using ksave::test::compare;
using ksave::test::deviation;

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
}  // namespace

BOOST_AUTO_TEST_CASE(nan_equals_nan_only) {
  BOOST_TEST(deviation(kNaN, kNaN, 1e-6) == 0.0);
  BOOST_TEST(deviation(kNaN, 1.0, 1e-6) == kInf);
  BOOST_TEST(deviation(1.0, kNaN, 1e-6) == kInf);
  BOOST_TEST(deviation(kInf, kInf, 1e-6) == 0.0);
  BOOST_TEST(deviation(kInf, -kInf, 1e-6) == kInf);
  BOOST_TEST(deviation(kInf, 1e300, 1e-6) == kInf);
  BOOST_TEST(deviation(1.0, 1.0, 0.0) == 0.0);
  BOOST_TEST(deviation(1.0, 1.5, 0.0) == kInf);
  BOOST_TEST(deviation(1.0, 1.5, 1.0) == 0.5);
}

BOOST_AUTO_TEST_CASE(a_nan_after_a_large_difference_is_still_the_worst) {
  // std::max(worst, NaN) keeps `worst`: the helper must not.
  const auto c = compare({1.0, 2.0, kNaN}, {1.0, 2.5, 3.0}, {.rtol = 0, .atol = 1.0});
  BOOST_TEST(!c.ok());
  BOOST_TEST(c.mismatched == 1);
  BOOST_TEST(c.worst_at == 2);
  BOOST_TEST(c.compared == 3);
  BOOST_TEST(compare({kNaN, 1.0}, {kNaN, 1.0}, {}).ok());
}

BOOST_AUTO_TEST_CASE(the_rule_is_numpy_allclose) {
  // |a - b| <= atol + rtol * |b|: relative to the expected value, not to ours.
  BOOST_TEST(compare({1.05}, {1.0}, {.rtol = 0.1, .atol = 0}).ok());
  BOOST_TEST(!compare({1.0}, {1.1}, {.rtol = 0.05, .atol = 0}).ok());
  BOOST_TEST(!compare({1.0, 2.0}, {1.0}, {}).ok());  // sizes differ
  const Tensor a = Tensor::from_vector<float>({1, 2, 3, 4}, {2, 2});
  const Tensor b = Tensor::from_vector<float>({1, 2, 3, 4}, {4});
  BOOST_TEST(!compare(a, b, {}).same_shape);
  BOOST_TEST(ksave::test::close(a, a, {}));
  const auto c = compare(a, Tensor::from_vector<float>({1, 2, 3, 5}, {2, 2}), {.rtol = 0, .atol = 0.5});
  BOOST_TEST(c.worst_at == 3);
  BOOST_TEST(c.worst == 2.0);
  BOOST_TEST(c.describe().find("1 of 4 elements differ") != std::string::npos, c.describe());
}
