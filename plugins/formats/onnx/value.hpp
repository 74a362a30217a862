// A Keras tensor as it exists in the ONNX graph being written.
#pragma once

#include <string>

#include "ksave/dtype.hpp"
#include "ksave/shape.hpp"
#include "layout.hpp"

namespace ksave::plugins::onnx_export {

struct Value {
  std::string name;             // the ONNX value that holds it
  Shape shape;                  // the Keras shape (batch first, kUnknown where Keras has None)
  DType dtype = DType::Float32;
  Perm perm;                    // how `name` holds it (layout.hpp); empty: in Keras's own layout
  std::string mask;             // its Keras mask (bool, shape (batch, time)), empty when it has none

  std::size_t rank() const { return shape.size(); }
};

}  // namespace ksave::plugins::onnx_export
