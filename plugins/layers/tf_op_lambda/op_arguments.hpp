// The arguments of one recorded TensorFlow call (TFOpLambda/SlicingOpLambda) as tensors: the
// SDK's reading of structured calls (ksave/call_arguments.hpp) over the layer's inputs, Python
// constants becoming float32 tensors.
#pragma once

#include <string>

#include "ksave/call_arguments.hpp"
#include "ksave/op.hpp"

namespace ksave::plugins::tf_op {

class OpArguments : public call_arguments::CallArguments<Tensor> {
 public:
  // `object` names the layer for errors: "layer 'tf.math.add' (TFOpLambda, tf.math.add)".
  OpArguments(const Tensors& inputs, const Json* kwargs, std::string object);
};

}  // namespace ksave::plugins::tf_op
