#include "random_stream.hpp"

#include <cmath>
#include <mutex>
#include <numbers>

namespace ksave::initializers {

RandomStream RandomStream::for_seed(const std::optional<std::int64_t>& seed) {
  if (seed) return RandomStream(static_cast<std::uint64_t>(*seed));
  // Layers may be built from several threads; the shared generator is guarded.
  static std::mutex mutex;
  static std::mt19937_64 process_generator{std::random_device{}()};
  std::lock_guard lock(mutex);
  return RandomStream(process_generator());
}

double RandomStream::uniform() {
  return static_cast<double>(engine_() >> 11) * 0x1.0p-53;
}

double RandomStream::normal() {
  if (spare_normal_) {
    const double z = *spare_normal_;
    spare_normal_.reset();
    return z;
  }
  const double u1 = 1.0 - uniform();  // in (0, 1], so the logarithm is finite
  const double u2 = uniform();
  const double radius = std::sqrt(-2.0 * std::log(u1));
  const double angle = 2.0 * std::numbers::pi * u2;
  spare_normal_ = radius * std::sin(angle);
  return radius * std::cos(angle);
}

double RandomStream::truncated_normal() {
  for (;;) {
    const double z = normal();
    if (std::abs(z) <= 2.0) return z;
  }
}

}  // namespace ksave::initializers
