// The arguments of one recorded TensorFlow call (TFOpLambda / SlicingOpLambda) as ONNX values.
// The functional loader keeps a call's tensors as the layer's flat inputs and its kwargs with
// placeholders (the first argument's structure under "_ksave_args", a tensor as
// {"_ksave_input": i}, a constant of the first argument as {"_ksave_constant": v}); this class
// reads them back, constants becoming initializers. The placeholders are the tf_op_lambda
// plugin's contract with the framework, repeated here because a plugin sees only public headers.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "converter.hpp"

namespace ksave::plugins::onnx_export {

class TfOpCall {
 public:
  explicit TfOpCall(Conversion& c);

  Conversion& conversion() const { return c_; }
  Emitter& onnx() const { return c_.onnx; }
  // "layer 'tf.math.add' (TFOpLambda, tf.math.add)", for errors.
  const std::string& object() const { return object_; }
  std::string hint(const std::string& what = "") const { return c_.hint(what); }

  // The first argument as one value (a constant becomes a float32 initializer).
  Value first() const;
  // The first argument as a list (tf.concat, tf.stack, tf.math.add_n).
  std::vector<Value> first_list() const;
  // A keyword argument that TensorFlow converts to a tensor (y of tf.math.add, clip bounds).
  Value tensor(std::string_view key) const;
  bool has(std::string_view key) const;  // present and not None
  // A keyword argument that must be a constant (not a tensor the model computes).
  const Json& value(std::string_view key) const;
  template <typename T>
  T get(std::string_view key, T fallback) const {
    if (!has(key)) return fallback;
    try {
      return value(key).get<T>();
    } catch (const nlohmann::json::exception&) {
      throw unexpected(key);
    }
  }
  // An int or a list of ints; nullopt when absent or None.
  std::optional<std::vector<std::int64_t>> ints(std::string_view key) const;
  std::vector<std::int64_t> required_ints(std::string_view key) const;
  // Refuses keyword arguments the converter does not read, so none is silently dropped.
  void allow_only(std::initializer_list<std::string_view> keys) const;

  // The call's output `index` held in ONNX value `name`, laid out as `perm`.
  Value output(const std::string& name, std::size_t index = 0, const Perm& perm = {}) const {
    return c_.output(name, index, perm);
  }
  std::size_t output_count() const { return c_.call.output_shapes.size(); }

 private:
  Error unexpected(std::string_view key) const;
  Value resolve(const Json& v, std::string_view what) const;

  Conversion& c_;
  Json kwargs_;
  Json first_;
  std::string object_;
};

}  // namespace ksave::plugins::onnx_export
