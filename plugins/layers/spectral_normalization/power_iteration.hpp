// The spectral normalization step of Keras's SpectralNormalization, on plain values: the kernel
// as a matrix W of (all but its last axis) x (its last axis), `u` a 1 x n row; each iteration
// v = l2_normalize(u Wᵀ), u = l2_normalize(v W); then sigma = v W uᵀ, the estimate of W's largest
// singular value. Not recorded on any tape: Keras stops the gradient there and assigns the
// results to the variables before the wrapped layer runs.
#pragma once

#include <cstdint>
#include <vector>

namespace ksave::plugins::spectral {

struct Normalized {
  std::vector<float> kernel;    // W / sigma, in W's layout
  std::vector<float> vector_u;  // the new u
};

// `kernel` holds rows x columns floats (row-major), `vector_u` columns floats.
Normalized normalize(const std::vector<float>& kernel, std::int64_t rows, std::int64_t columns,
                     const std::vector<float>& vector_u, std::int64_t iterations);

}  // namespace ksave::plugins::spectral
