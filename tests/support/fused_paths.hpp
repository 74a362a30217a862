// Fused and separate op paths of one layer (header only, after <boost/test/unit_test.hpp>).
// Outside any tape Dense, Conv1D/2D, LSTM, GRU and SimpleRNN run fused oneDNN ops (a product with
// its bias and ReLU, a recurrent layer over time); under a tape they run the separate ops a
// gradient needs. Both must give the layer's numbers.
#pragma once

#include <vector>

#include "ksave/autodiff.hpp"
#include "ksave/layer.hpp"

namespace ksave::test {

// The largest difference between the two paths' first output.
inline double fused_vs_separate_difference(const LayerPtr& layer, const Tensors& inputs) {
  const Tensor fused = (*layer)(inputs).at(0);
  GradientTape tape;
  const Tensor separate = (*layer)(inputs).at(0);
  BOOST_TEST_REQUIRE(fused.shape() == separate.shape());
  return max_abs_difference(fused, separate);
}

}  // namespace ksave::test
