// `x[...]` on a Keras tensor, recorded by tf.keras as SlicingOpLambda "__operators__.getitem"
// with a slice_spec: {"start", "stop", "step"} dicts for slices, ints for indices, null for
// tf.newaxis and {"class_name": "__ellipsis__"} for `...`. Python's rules for negative and
// out-of-range bounds and negative steps.
#pragma once

#include "op_arguments.hpp"

namespace ksave::plugins::tf_op {

Tensors getitem(const OpArguments& a);

}  // namespace ksave::plugins::tf_op
