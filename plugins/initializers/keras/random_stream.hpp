// The random numbers behind every random initializer.
//
// std::mt19937_64 is used because the C++ standard fixes its output sequence, so a seeded
// initializer gives the same values with every compiler and standard library. The standard
// distributions (std::normal_distribution, ...) are not specified that precisely, so the
// conversions to uniform and normal variates are written out here. The values are not
// TensorFlow's: TF's Philox streams are not reproduced, only the distributions are.
#pragma once

#include <cstdint>
#include <optional>
#include <random>

namespace ksave::initializers {

class RandomStream {
 public:
  explicit RandomStream(std::uint64_t seed) : engine_(seed) {}

  // The stream a config's seed asks for: that seed when there is one; otherwise a fresh seed
  // drawn from one process-wide generator (Keras's unseeded initializers also draw from global
  // state, so two unseeded calls differ).
  static RandomStream for_seed(const std::optional<std::int64_t>& seed);

  // Uniform in [0, 1) from the top 53 bits of one engine output.
  double uniform();
  double uniform(double low, double high) { return low + (high - low) * uniform(); }
  // Standard normal by the Box-Muller transform (two uniforms give two variates).
  double normal();
  // Standard normal redrawn until it lies within two standard deviations of the mean, as
  // TensorFlow's truncated_normal does.
  double truncated_normal();

 private:
  std::mt19937_64 engine_;
  std::optional<double> spare_normal_;
};

}  // namespace ksave::initializers
