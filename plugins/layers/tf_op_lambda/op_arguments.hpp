// The arguments of one recorded TensorFlow call (TFOpLambda/SlicingOpLambda), as tf.keras 2.4+
// writes them into a functional config: the first argument (a tensor, or a list of tensors and
// constants) and keyword arguments that are tensors or plain JSON values. The functional
// loader hands them over as a flat list of tensors plus kwargs with placeholders (see the
// framework's structured calls); this class puts them back together for the op table.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ksave/json.hpp"
#include "ksave/op.hpp"

namespace ksave::plugins::tf_op {

class OpArguments {
 public:
  // `object` names the layer for errors: "layer 'tf.math.add' (TFOpLambda, tf.math.add)".
  OpArguments(const Tensors& inputs, const Json* kwargs, std::string object);

  const std::string& object() const { return object_; }
  // The first argument as one tensor (a constant becomes a float32 tensor).
  Tensor first() const;
  // The first argument as a list (tf.concat, tf.stack, tf.add_n).
  Tensors first_list() const;
  // A keyword argument that TensorFlow converts to a tensor (y of tf.math.add, clip bounds).
  Tensor tensor(std::string_view key) const;
  bool has(std::string_view key) const;  // present and not null
  // A keyword argument that must be a plain value (not a tensor computed by the model).
  const Json& value(std::string_view key) const;
  template <typename T>
  T get(std::string_view key, T fallback) const {
    if (!has(key)) return fallback;
    try {
      return value(key).get<T>();
    } catch (const nlohmann::json::exception&) {
      throw_unexpected(key);
    }
  }
  // An int or a list of ints (axis=1, axis=[1, 2]); nullopt when absent or None.
  std::optional<std::vector<std::int64_t>> ints(std::string_view key) const;
  // Rejects keyword arguments the op does not understand, so nothing is silently ignored.
  void allow_only(std::initializer_list<std::string_view> keys) const;

 private:
  [[noreturn]] void throw_unexpected(std::string_view key) const;
  Tensor resolve_tensor(const Json& v, std::string_view what) const;
  const Tensors& inputs_;
  Json kwargs_;
  Json first_;
  std::string object_;
};

// A JSON number or nested list of numbers as a float32 tensor (Python constants in calls).
Tensor constant_tensor(const Json& value, const std::string& object);

}  // namespace ksave::plugins::tf_op
