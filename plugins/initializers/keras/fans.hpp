// fan_in and fan_out of a weight shape, computed as Keras's _compute_fans does: a convolution
// kernel (kh, kw, ..., in, out) counts its receptive field in both fans.
#pragma once

#include "ksave/shape.hpp"

namespace ksave::initializers {

struct Fans {
  double in = 1.0;
  double out = 1.0;
};

Fans compute_fans(const Shape& shape);

}  // namespace ksave::initializers
