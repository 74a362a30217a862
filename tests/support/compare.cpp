#include "support/compare.hpp"

#include <cmath>
#include <limits>
#include <sstream>

#include "ksave/shape.hpp"

namespace ksave::test {

double deviation(double ours, double expected, double allowed) {
  constexpr double kInfinite = std::numeric_limits<double>::infinity();
  if (std::isnan(ours) || std::isnan(expected)) return std::isnan(ours) && std::isnan(expected) ? 0.0 : kInfinite;
  if (std::isinf(ours) || std::isinf(expected)) return ours == expected ? 0.0 : kInfinite;
  const double difference = std::abs(ours - expected);
  if (difference == 0) return 0.0;
  return allowed > 0 ? difference / allowed : kInfinite;
}

Comparison compare(const std::vector<double>& ours, const std::vector<double>& expected, Tolerance tolerance) {
  Comparison c;
  if (ours.size() != expected.size()) {
    c.same_shape = false;
    return c;
  }
  for (std::size_t i = 0; i < ours.size(); ++i) {
    const double allowed = tolerance.atol + tolerance.rtol * std::abs(expected[i]);
    const double d = deviation(ours[i], expected[i], allowed);
    ++c.compared;
    if (d > 1.0) ++c.mismatched;
    if (d > c.worst || c.worst_at < 0) {
      c.worst = d;
      c.worst_at = static_cast<std::int64_t>(i);
      c.worst_ours = ours[i];
      c.worst_expected = expected[i];
    }
  }
  return c;
}

Comparison compare(const Tensor& ours, const Tensor& expected, Tolerance tolerance) {
  if (ours.shape() != expected.shape()) {
    Comparison c;
    c.same_shape = false;
    return c;
  }
  return compare(ours.cast(DType::Float64).to_vector<double>(), expected.cast(DType::Float64).to_vector<double>(),
                 tolerance);
}

std::string Comparison::describe() const {
  std::ostringstream s;
  if (!same_shape) return "the shapes (or sizes) differ";
  s.precision(9);
  s << (mismatched ? std::to_string(mismatched) + " of " : "all ") << compared << " elements "
    << (mismatched ? "differ" : "match");
  if (worst_at >= 0)
    s << "; worst at " << worst_at << ": " << worst_ours << " vs " << worst_expected << " (" << worst
      << " x the tolerance)";
  return s.str();
}

namespace {

boost::test_tools::predicate_result as_predicate(const Comparison& c) {
  boost::test_tools::predicate_result result(c.ok());
  result.message() << c.describe();
  return result;
}

}  // namespace

boost::test_tools::predicate_result close(const Tensor& ours, const Tensor& expected, Tolerance tolerance) {
  const Comparison c = compare(ours, expected, tolerance);
  if (!c.same_shape) {
    boost::test_tools::predicate_result result(false);
    result.message() << "shape " << shape_to_string(ours.shape()) << " vs expected " << shape_to_string(expected.shape());
    return result;
  }
  return as_predicate(c);
}

boost::test_tools::predicate_result close(const std::vector<double>& ours, const std::vector<double>& expected,
                                          Tolerance tolerance) {
  return as_predicate(compare(ours, expected, tolerance));
}

}  // namespace ksave::test
