// The one comparison of numbers for the whole C++ suite: NumPy's allclose rule,
// |ours - expected| <= atol + rtol * |expected|, made NaN-safe. A NaN equals a NaN and nothing
// else, an infinity equals the same infinity and nothing else, so a NaN can never hide behind
// std::max or a `<=` that is false for it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "ksave/tensor.hpp"

namespace ksave::test {

struct Tolerance {
  double rtol = 0;
  double atol = 0;
};

// How far `ours` is from `expected` in units of `allowed` (the difference it may have): 0 when
// equal (NaN and NaN, the same infinity), +inf when one is NaN or an infinity and the other is not
// the same, |ours - expected| / allowed otherwise. Never NaN; <= 1 means within tolerance.
double deviation(double ours, double expected, double allowed);

// The outcome of comparing every element of two arrays.
struct Comparison {
  bool same_shape = true;
  std::int64_t compared = 0;    // elements compared
  std::int64_t mismatched = 0;  // elements outside the tolerance
  double worst = 0;             // the largest deviation (see above)
  std::int64_t worst_at = -1;   // its flat index
  double worst_ours = 0, worst_expected = 0;
  bool ok() const { return same_shape && mismatched == 0; }
  // "3 of 120 elements differ; worst at 17: 0.51 vs 0.5 (2.3 x the tolerance)" or "equal ...".
  std::string describe() const;
};

Comparison compare(const std::vector<double>& ours, const std::vector<double>& expected, Tolerance tolerance);
// Any numeric dtypes, compared as float64; shapes must match (a mismatch is reported, not thrown).
Comparison compare(const Tensor& ours, const Tensor& expected, Tolerance tolerance);

// For BOOST_TEST: true when within tolerance, else false with describe() as the message, e.g.
//   BOOST_TEST(test::close(y, expected, {.rtol = 1e-5, .atol = 1e-6}), "output 0");
boost::test_tools::predicate_result close(const Tensor& ours, const Tensor& expected, Tolerance tolerance);
boost::test_tools::predicate_result close(const std::vector<double>& ours, const std::vector<double>& expected,
                                          Tolerance tolerance);

}  // namespace ksave::test
