// TensorFlow functions as tf.keras records them in TFOpLambda configs ("math.multiply",
// "nn.relu6", "reshape", "__operators__.add"), each mapped onto ksave's ops. Only names in this
// table load; nothing from a file is ever run as code. Each function is listed once, by its
// canonical name; the other names recorded for it ("compat.v1.transpose", "__operators__.add")
// are ksave/tf_function_names.hpp's aliases, which find_op looks up through it.
#pragma once

#include <string>
#include <vector>

#include "op_arguments.hpp"

namespace ksave::plugins::tf_op {

using OpFunction = Tensors (*)(const OpArguments&);
using OpEntry = std::pair<const char*, OpFunction>;

// Null when ksave does not know the function (by any of its recorded names).
OpFunction find_op(const std::string& function);
// Every supported recorded name, aliases included, sorted (for the error that refuses an unknown one).
std::vector<std::string> supported_ops();

// The table's parts, one per file.
std::vector<OpEntry> elementwise_ops();
std::vector<OpEntry> shape_ops();
std::vector<OpEntry> reduction_ops();

}  // namespace ksave::plugins::tf_op
