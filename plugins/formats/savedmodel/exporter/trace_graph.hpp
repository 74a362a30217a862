// Tracing a call into the nodes of a TensorFlow FunctionDef. The call runs on placeholder tensors
// under an OpObserver (ksave's ops all go through run_op), and every op it runs becomes a NodeDef
// with TensorFlow's op type, attributes and "node:output_arg:index" inputs. Variables the call
// reads become resource arguments read with ReadVariableOp, as tf.function captures them.
//
// Symbolic batch: the call runs on a batch of kTraceBatch rows. Values that depend on it (a
// Reshape to [batch, ...], the zero initial states of a recurrent layer) are written as
// TensorFlow writes them: from Shape(input)[0] through StridedSlice/Pack/Fill, so the function
// runs on any batch size. Other unknown dimensions (a variable-length time axis) are traced at
// kTraceUnknownDim and the function is fixed to that length.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "ksave/op.hpp"
#include "ksave/variable.hpp"
#include "ksave_tf_graph.pb.h"

namespace ksave::plugins::savedmodel {

inline constexpr std::int64_t kTraceBatch = 13;       // a size unlikely to be a layer's dimension
inline constexpr std::int64_t kTraceUnknownDim = 4;   // non-batch dimensions declared unknown

struct TraceArg {
  std::string name;  // the FunctionDef input arg ("inputs", "input_1")
  Shape shape;       // declared shape; the batch dimension (first) may be kUnknown
  DType dtype = DType::Float32;
};

struct TracedFunction {
  std::vector<TraceArg> args;
  std::vector<VariablePtr> captures;             // resource inputs, after the args, first-read order
  std::vector<std::string> capture_arg_names;    // "matmul_readvariableop_resource"
  std::vector<tfproto::NodeDef> nodes;
  std::vector<std::string> read_nodes;           // the ReadVariableOps (the function's control outputs)
  std::vector<std::string> outputs;              // endpoints of the call's results
  std::vector<Shape> output_shapes;              // batch dimension kUnknown
  std::vector<DType> output_dtypes;
};

using TracedCall = std::function<Tensors(const Tensors& inputs)>;

// A call that used a value depending on the input's batch that no op computed (a mask computed
// as plain data): a trace would freeze it, so the call has no faithful trace.
class UntraceableCall : public Error {
 public:
  using Error::Error;
};

// Runs `call` on placeholders for `args` and records it. `variables` are those the call may read
// (a layer's weights); `scope` prefixes every node name ("sequential/" in a model's trace).
// Throws naming the op when a call cannot be written as TensorFlow ops.
TracedFunction trace_call(const std::vector<TraceArg>& args, const std::vector<VariablePtr>& variables,
                          const std::string& scope, const TracedCall& call);

// The same function with its arguments renamed (`args` in the same order, shapes and dtypes):
// one trace serves tf.keras's concrete functions that differ only in argument names.
TracedFunction with_arg_names(TracedFunction traced, const std::vector<TraceArg>& args);

// The placeholder tensor of a declared shape (kUnknown batch → kTraceBatch, other unknown
// dimensions → kTraceUnknownDim).
Shape trace_shape(const Shape& declared);

}  // namespace ksave::plugins::savedmodel
