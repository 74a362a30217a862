#include "gradient_clipping.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ksave::optimizers {
namespace {

// Sum of squares; accumulated in double so the result does not depend on the length of the
// tensor's rounding history (TensorFlow's reduction order is not reproducible anyway).
double sum_of_squares(const Tensor& t) {
  double sum = 0.0;
  for (float x : t.values<float>()) sum += static_cast<double>(x) * x;
  return sum;
}

void clip_by_value(Tensor& t, float limit) {
  for (float& x : t.values<float>()) x = std::clamp(x, -limit, limit);
}

// tf.clip_by_norm: t * c / max(||t||, c); a zero tensor stays zero.
void clip_by_norm(Tensor& t, float clip_norm) {
  const float norm = static_cast<float>(std::sqrt(sum_of_squares(t)));
  const float divisor = std::max(norm, clip_norm);
  for (float& x : t.values<float>()) x = x * clip_norm / divisor;
}

// tf.clip_by_global_norm: every tensor times c * min(1 / global_norm, 1 / c).
void clip_by_global_norm(std::vector<Tensor>& ts, float clip_norm) {
  double total = 0.0;
  for (const Tensor& t : ts) total += sum_of_squares(t);
  const float norm = static_cast<float>(std::sqrt(total));
  const float scale = std::isfinite(norm) ? clip_norm * std::min(1.0f / norm, 1.0f / clip_norm)
                                          : std::numeric_limits<float>::quiet_NaN();
  for (Tensor& t : ts)
    for (float& x : t.values<float>()) x = x * scale;
}

}  // namespace

std::vector<Tensor> clip_gradients(const std::vector<Tensor>& gradients, const ClipOptions& options) {
  std::vector<Tensor> out;
  out.reserve(gradients.size());
  for (const Tensor& g : gradients) out.push_back(options.any() ? g.as_float().clone() : g.as_float());
  if (options.clipvalue)
    for (Tensor& t : out) clip_by_value(t, *options.clipvalue);
  if (options.clipnorm)
    for (Tensor& t : out) clip_by_norm(t, *options.clipnorm);
  if (options.global_clipnorm) clip_by_global_norm(out, *options.global_clipnorm);
  return out;
}

}  // namespace ksave::optimizers
