// The ONNX operators converters write, with the details every converter would otherwise repeat:
// values fetched in the layout an operator needs (one Transpose per value and layout, shared),
// opset-dependent input forms (reduction axes), constants, shapes computed from a tensor's
// dynamic batch.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "graph_builder.hpp"
#include "value.hpp"

namespace ksave::plugins::onnx_export {

class Emitter {
 public:
  explicit Emitter(GraphBuilder& graph) : graph_(graph) {}

  GraphBuilder& graph() { return graph_; }
  int opset() const { return graph_.opset(); }

  // `v` held in layout `perm` (relative to Keras's); a Transpose the first time it is asked for.
  std::string in_layout(const Value& v, const Perm& perm);
  std::string in_keras_layout(const Value& v) { return in_layout(v, {}); }
  // The same, cast to float32 where the Keras tensor is not (layers compute in float32).
  std::string float_in_layout(const Value& v, const Perm& perm);

  std::string op(const std::string& type, const std::vector<std::string>& inputs, const std::string& hint,
                 Attributes attributes = {}) {
    return graph_.add(type, inputs, std::move(attributes), hint);
  }
  std::string transpose(const std::string& x, const Perm& perm, const std::string& hint);
  // Reshape to `shape` (0 copies the input's dimension, one -1 is inferred).
  std::string reshape(const std::string& x, const std::vector<std::int64_t>& shape, const std::string& hint);
  std::string unsqueeze(const std::string& x, const std::vector<std::int64_t>& axes, const std::string& hint);
  std::string squeeze(const std::string& x, const std::vector<std::int64_t>& axes, const std::string& hint);
  // ReduceSum, ReduceMean, ReduceMax, ... over `axes` (ONNX axes of x).
  std::string reduce(const std::string& type, const std::string& x, const std::vector<std::int64_t>& axes, bool keepdims,
                     const std::string& hint);
  std::string slice(const std::string& x, const std::vector<std::int64_t>& starts, const std::vector<std::int64_t>& ends,
                    const std::vector<std::int64_t>& axes, const std::string& hint, const std::vector<std::int64_t>& steps = {});
  std::string cast(const std::string& x, DType to, const std::string& hint);
  std::string concat(const std::vector<std::string>& xs, std::int64_t axis, const std::string& hint);
  // Dimensions [begin, end) of x's shape, as a 1-D int64 tensor computed when the graph runs.
  std::string dims(const std::string& x, std::int64_t begin, std::int64_t end, const std::string& hint);
  // Zeros of shape (batch of `like`, rest...), batch read from `like`'s first axis when the graph runs.
  std::string zeros_with_batch(const std::string& like, const std::vector<std::int64_t>& rest, const std::string& hint);

  std::string scalar(float value) { return graph_.scalar(value); }
  std::string ints(const std::vector<std::int64_t>& values) { return graph_.ints(values); }

 private:
  GraphBuilder& graph_;
  std::map<std::pair<std::string, Perm>, std::string> layouts_;
  std::map<std::string, std::string> float_casts_;
};

}  // namespace ksave::plugins::onnx_export
