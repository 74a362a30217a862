#include "emitter.hpp"

namespace ksave::plugins::onnx_export {

std::string Emitter::in_layout(const Value& v, const Perm& perm) {
  const Perm rel = relative(v.perm, perm, v.rank());
  if (is_identity(rel)) return v.name;
  const auto key = std::make_pair(v.name, rel);
  if (auto found = layouts_.find(key); found != layouts_.end()) return found->second;
  const std::string out = transpose(v.name, rel, v.name);
  layouts_.emplace(key, out);
  return out;
}

std::string Emitter::float_in_layout(const Value& v, const Perm& perm) {
  const std::string x = in_layout(v, perm);
  if (v.dtype == DType::Float32) return x;
  if (auto found = float_casts_.find(x); found != float_casts_.end()) return found->second;
  const std::string out = cast(x, DType::Float32, x);
  float_casts_.emplace(x, out);
  return out;
}

std::string Emitter::transpose(const std::string& x, const Perm& perm, const std::string& hint) {
  return op("Transpose", {x}, hint, {ints_attr("perm", perm)});
}

std::string Emitter::reshape(const std::string& x, const std::vector<std::int64_t>& shape, const std::string& hint) {
  return op("Reshape", {x, ints(shape)}, hint);
}

std::string Emitter::unsqueeze(const std::string& x, const std::vector<std::int64_t>& axes, const std::string& hint) {
  return op("Unsqueeze", {x, ints(axes)}, hint);  // axes became an input in opset 13
}

std::string Emitter::squeeze(const std::string& x, const std::vector<std::int64_t>& axes, const std::string& hint) {
  return op("Squeeze", {x, ints(axes)}, hint);
}

std::string Emitter::reduce(const std::string& type, const std::string& x, const std::vector<std::int64_t>& axes,
                            bool keepdims, const std::string& hint) {
  // ReduceSum takes its axes as an input from opset 13, the other reductions from opset 18.
  if (type == "ReduceSum" || opset() >= 18)
    return op(type, {x, ints(axes)}, hint, {int_attr("keepdims", keepdims ? 1 : 0)});
  return op(type, {x}, hint, {ints_attr("axes", axes), int_attr("keepdims", keepdims ? 1 : 0)});
}

std::string Emitter::slice(const std::string& x, const std::vector<std::int64_t>& starts,
                           const std::vector<std::int64_t>& ends, const std::vector<std::int64_t>& axes,
                           const std::string& hint, const std::vector<std::int64_t>& steps) {
  std::vector<std::string> inputs{x, ints(starts), ints(ends), ints(axes)};
  if (!steps.empty()) inputs.push_back(ints(steps));
  return op("Slice", inputs, hint);
}

std::string Emitter::cast(const std::string& x, DType to, const std::string& hint) {
  return op("Cast", {x}, hint, {int_attr("to", onnx_type(to))});
}

std::string Emitter::concat(const std::vector<std::string>& xs, std::int64_t axis, const std::string& hint) {
  return op("Concat", xs, hint, {int_attr("axis", axis)});
}

std::string Emitter::dims(const std::string& x, std::int64_t begin, std::int64_t end, const std::string& hint) {
  return slice(op("Shape", {x}, hint), {begin}, {end}, {0}, hint);
}

std::string Emitter::zeros_with_batch(const std::string& like, const std::vector<std::int64_t>& rest,
                                      const std::string& hint) {
  const std::string shape = concat({dims(like, 0, 1, hint), ints(rest)}, 0, hint);
  return op("ConstantOfShape", {shape}, hint, {tensor_attr("value", Tensor::from_vector<float>({0.0f}, {1}))});
}

}  // namespace ksave::plugins::onnx_export
