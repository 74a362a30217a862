// A layer's gradients (with respect to its float inputs and trainable weights, from the tape)
// against central finite differences of L = sum(outputs * fixed random weights), in double.
#pragma once

#include <string>

#include "layer_subject.hpp"

namespace ksave::conformance {

struct GradientFindings {
  std::size_t sources = 0;   // inputs and weights checked
  std::size_t elements = 0;  // elements compared
  std::string problem;       // "" when every element agrees
};

GradientFindings check_layer_gradients(const LayerSubject& subject);

}  // namespace ksave::conformance
