#include "ksave/class_entry.hpp"

namespace ksave {

std::string_view kind_name(Kind kind) {
  switch (kind) {
    case Kind::Layer: return "layer";
    case Kind::Model: return "model";
    case Kind::Activation: return "activation";
    case Kind::Initializer: return "initializer";
    case Kind::Regularizer: return "regularizer";
    case Kind::Constraint: return "constraint";
    case Kind::Optimizer: return "optimizer";
    case Kind::Loss: return "loss";
    case Kind::Metric: return "metric";
    case Kind::Format: return "format";
    case Kind::Op: return "op";
  }
  return "object";
}

}  // namespace ksave
