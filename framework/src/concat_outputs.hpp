// The outputs of a model run on consecutive row slices, joined back into whole outputs.
#pragma once

#include <vector>

#include "ksave/op.hpp"

namespace ksave::detail {

// parts[s][k]: output k of slice s. Returns output k of all slices in order, for every k.
inline Tensors concat_outputs(const std::vector<Tensors>& parts) {
  Tensors out;
  for (std::size_t k = 0; k < parts[0].size(); ++k) {
    std::vector<Tensor> pieces;
    for (const auto& p : parts) pieces.push_back(p[k]);
    out.push_back(concat_rows(pieces));
  }
  return out;
}

}  // namespace ksave::detail
