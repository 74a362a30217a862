#include "power_iteration.hpp"

#include <cmath>

namespace ksave::plugins::spectral {
namespace {

// tf.math.l2_normalize: x / sqrt(max(sum(x²), 1e-12)) (Keras 3's normalize bounds the norm by
// 1e-7 instead: the two differ only for vectors of norm below 1e-6, which a kernel with any
// non-zero entry and a random u do not reach).
void l2_normalize(std::vector<double>& x) {
  double sum = 0.0;
  for (const double value : x) sum += value * value;
  const double inverse = 1.0 / std::sqrt(std::max(sum, 1e-12));
  for (double& value : x) value *= inverse;
}

}  // namespace

Normalized normalize(const std::vector<float>& kernel, std::int64_t rows, std::int64_t columns,
                     const std::vector<float>& vector_u, std::int64_t iterations) {
  const auto at = [&](std::int64_t r, std::int64_t c) { return static_cast<double>(kernel[static_cast<std::size_t>(r * columns + c)]); };
  std::vector<double> u(vector_u.begin(), vector_u.end()), v(static_cast<std::size_t>(rows));
  for (std::int64_t step = 0; step < iterations; ++step) {
    for (std::int64_t r = 0; r < rows; ++r) {  // v = u Wᵀ
      double sum = 0.0;
      for (std::int64_t c = 0; c < columns; ++c) sum += u[static_cast<std::size_t>(c)] * at(r, c);
      v[static_cast<std::size_t>(r)] = sum;
    }
    l2_normalize(v);
    for (std::int64_t c = 0; c < columns; ++c) {  // u = v W
      double sum = 0.0;
      for (std::int64_t r = 0; r < rows; ++r) sum += v[static_cast<std::size_t>(r)] * at(r, c);
      u[static_cast<std::size_t>(c)] = sum;
    }
    l2_normalize(u);
  }
  double sigma = 0.0;  // (v W) uᵀ
  for (std::int64_t c = 0; c < columns; ++c) {
    double vw = 0.0;
    for (std::int64_t r = 0; r < rows; ++r) vw += v[static_cast<std::size_t>(r)] * at(r, c);
    sigma += vw * u[static_cast<std::size_t>(c)];
  }
  Normalized out;
  // Keras divides in float32: the kernel's float values by sigma rounded to float32.
  const auto sigma32 = static_cast<float>(sigma);
  out.kernel.reserve(kernel.size());
  for (const float value : kernel) out.kernel.push_back(value / sigma32);
  out.vector_u.assign(u.begin(), u.end());
  return out;
}

}  // namespace ksave::plugins::spectral
