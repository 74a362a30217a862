// One ksave op call written as TensorFlow nodes: the op type, TensorFlow's attributes (T,
// transpose_a, data_format, strides, ...) and, where TensorFlow takes a value as an input tensor
// (Reshape's shape, ConcatV2's axis, Sum's reduction indices, Transpose's perm, ...), a Const node
// feeding it. Where ksave and TensorFlow differ (Greater returns float32 0/1 in ksave, bool in
// TensorFlow; MatMul of a rank-3 `a`), the nodes compute ksave's result.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "ksave/op.hpp"
#include "ksave_tf_graph.pb.h"

namespace ksave::plugins::savedmodel {

// What emitting an op needs from the tracer.
class TraceBuilder {
 public:
  virtual ~TraceBuilder() = default;
  // A node named after `base` (made unique, with the trace's scope in front).
  virtual tfproto::NodeDef& add_node(const std::string& base, const std::string& op) = 0;
  // The endpoint of a Const node holding `value`.
  virtual std::string add_const(const std::string& base, const Tensor& value) = 0;
  // The endpoint of an int32 vector; when `batch_leading`, its first value is the batch size of
  // the function's first input, computed at run time (Shape → StridedSlice → Pack).
  virtual std::string add_int_vector(const std::string& base, const std::vector<std::int64_t>& values,
                                     bool batch_leading) = 0;
};

// "name:output_arg:index" for output `index` of a node of TensorFlow type `op`.
std::string output_endpoint(const std::string& node, const std::string& op, std::size_t index);

// Writes the op call and returns the endpoint of each of its outputs.
std::vector<std::string> emit_op(TraceBuilder& builder, const OpDef& op, std::span<const Tensor> inputs,
                                 const std::vector<std::string>& input_endpoints, const Attrs& attrs,
                                 std::span<const Tensor> outputs);

// A Reshape target traced at batch kTraceBatch made valid for any batch: the first dimension
// that holds the batch (a multiple of kTraceBatch: [batch, ...] or TimeDistributed's
// [batch * time, ...]) becomes -1, when `input` carries the batch and the target has no -1 yet.
// Returns true when the target already had a -1 and its first dimension is the batch, which
// must then be read at run time.
bool make_batch_free(std::vector<std::int64_t>& target, const Shape& input);

// "<base>_<n>", the suffix TensorFlow gives repeated names (built by appending: GCC 12 warns,
// falsely, on "literal" + std::string).
std::string numbered(std::string base, std::size_t n);

// A node name as tf.function turns it into an argument name: lowercase, '/' and other
// punctuation as '_' ("MatMul/ReadVariableOp" → "matmul_readvariableop").
std::string lowercase_identifier(const std::string& name);

// Attribute helpers shared with the function library.
void set_type_attr(tfproto::NodeDef& node, const std::string& name, DType dtype);
void set_shapes_attr(tfproto::NodeDef& node, const std::vector<Shape>& shapes);  // _output_shapes
void set_shape(tfproto::TensorShapeProto& proto, const Shape& shape);          // kUnknown → -1
// The shape as written in specs: a leading kTraceBatch (or kUnknown) becomes -1.
Shape symbolic_shape(const Shape& traced);

}  // namespace ksave::plugins::savedmodel
