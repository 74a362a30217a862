// The arguments of a structured call, as tf.keras 2.4+ records them for layers that keep their
// input structure (TFOpLambda, SlicingOpLambda), read back by the plugins that run such calls and
// by those that translate them (the ONNX export). The functional loader holds a call's tensors
// as the layer's flat inputs and its kwargs with placeholders: the first argument's structure
// under "_ksave_args", a tensor as {"_ksave_input": i}, a constant of the first argument as
// {"_ksave_constant": value}. `CallArguments<T>` gives them back as T (a Tensor to compute, an
// ONNX value to translate), with errors naming the call; `slice_spec` reads `x[...]`'s spec.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ksave/error.hpp"
#include "ksave/json.hpp"
#include "ksave/shape.hpp"

namespace ksave::call_arguments {

inline constexpr const char* kArgsKey = "_ksave_args";
inline constexpr const char* kInputKey = "_ksave_input";
inline constexpr const char* kConstantKey = "_ksave_constant";

// The kwargs of a call on a dict of tensors {names[i]: input i} (DenseFeatures' features), for
// C++ callers: the layer reads its features by name and a saved config holds tf-keras's dict node.
inline Json named_inputs(const std::vector<std::string>& names) {
  Json dict = Json::object();
  for (std::size_t i = 0; i < names.size(); ++i) dict[names[i]] = Json{{kInputKey, i}};
  return Json{{kArgsKey, dict}};
}

// A Python constant of a call (a number, a bool, nested lists of numbers) as float32 values.
struct Constant {
  std::vector<float> values;  // row-major
  Shape shape;
};

namespace detail {
// The values, checked against the shape read from the first elements (a ragged list is refused).
inline void collect_numbers(const Json& v, Constant& out, std::size_t depth, const std::string& object) {
  if (v.is_number() || v.is_boolean()) {
    if (depth != out.shape.size()) throw Error(object + ": ragged constant in the call");
    out.values.push_back(v.is_boolean() ? (v.get<bool>() ? 1.0f : 0.0f) : v.get<float>());
    return;
  }
  if (!v.is_array()) throw Error(object + ": expected a number or a list of numbers, found " + v.dump().substr(0, 100));
  if (depth >= out.shape.size() || out.shape[depth] != static_cast<Dim>(v.size()))
    throw Error(object + ": ragged constant in the call");
  for (const auto& item : v) collect_numbers(item, out, depth + 1, object);
}
}  // namespace detail

inline Constant read_constant(const Json& value, const std::string& object) {
  Constant c;
  std::size_t rank = 0;
  for (const Json* v = &value; v && v->is_array(); v = v->empty() ? nullptr : &v->front()) ++rank;
  c.shape.resize(rank);
  const Json* v = &value;
  for (std::size_t d = 0; d < rank; ++d) {
    c.shape[d] = static_cast<Dim>(v->size());
    if (!v->empty()) v = &v->front();
  }
  detail::collect_numbers(value, c, 0, object);
  return c;
}

template <typename T>
class CallArguments {
 public:
  using InputOf = std::function<T(std::size_t)>;             // the call's i-th tensor
  using ConstantOf = std::function<T(const Constant&)>;      // a constant as a T
  // `object` names the call for errors: "layer 'tf.math.add' (TFOpLambda, tf.math.add)".
  CallArguments(const Json* kwargs, std::size_t inputs, std::string object, InputOf input, ConstantOf constant)
      : kwargs_(kwargs && kwargs->is_object() ? *kwargs : Json::object()), inputs_(inputs), object_(std::move(object)),
        input_(std::move(input)), constant_(std::move(constant)) {
    if (kwargs_.contains(kArgsKey)) {
      first_ = kwargs_[kArgsKey];
    } else if (inputs_ == 1) {
      first_ = Json{{kInputKey, 0}};  // called from C++ without a recorded structure: one tensor
    } else {
      for (std::size_t i = 0; i < inputs_; ++i) first_.push_back(Json{{kInputKey, i}});  // or the list of them
    }
  }

  const std::string& object() const { return object_; }
  // The first argument as one tensor.
  T first() const {
    if (first_.is_array())
      throw Error(object_ + ": expected one tensor as the first argument, found a list of " + std::to_string(first_.size()));
    return resolve(first_, "the first argument");
  }
  // The first argument as a list (tf.concat, tf.stack, tf.math.add_n).
  std::vector<T> first_list() const {
    if (!first_.is_array()) return {first()};
    std::vector<T> out;
    for (const auto& item : first_) out.push_back(resolve(item, "the first argument"));
    return out;
  }
  // A keyword argument that TensorFlow converts to a tensor (y of tf.math.add, clip bounds).
  T tensor(std::string_view key) const {
    return resolve(present(key), std::string("argument '") + std::string(key) + "'");
  }
  bool has(std::string_view key) const {
    auto it = kwargs_.find(std::string(key));
    return it != kwargs_.end() && !it->is_null();
  }
  // A keyword argument that must be a plain value (not a tensor computed by the model).
  const Json& value(std::string_view key) const {
    const Json& v = present(key);
    if (v.is_object() && v.contains(kInputKey))
      throw Error(object_ + ": argument '" + std::string(key) + "' is a tensor computed by the model; ksave needs a constant there");
    return v;
  }
  template <typename V>
  V get(std::string_view key, V fallback) const {
    if (!has(key)) return fallback;
    try {
      return value(key).template get<V>();
    } catch (const nlohmann::json::exception&) {
      throw unexpected(key);
    }
  }
  // An int or a list of ints (axis=1, axis=[1, 2]); nullopt when absent or None.
  std::optional<std::vector<std::int64_t>> ints(std::string_view key) const {
    if (!has(key)) return std::nullopt;
    const Json& v = value(key);
    if (v.is_number_integer()) return std::vector<std::int64_t>(1, v.get<std::int64_t>());
    if (!v.is_array() || !std::all_of(v.begin(), v.end(), [](const Json& x) { return x.is_number_integer(); }))
      throw unexpected(key);
    std::vector<std::int64_t> out(v.size());
    std::transform(v.begin(), v.end(), out.begin(), [](const Json& x) { return x.get<std::int64_t>(); });
    return out;
  }
  std::vector<std::int64_t> required_ints(std::string_view key) const {
    auto values = ints(key);
    if (!values) throw missing(key);
    return *values;
  }
  // Rejects keyword arguments the op does not read, so that nothing is silently ignored.
  void allow_only(std::initializer_list<std::string_view> keys) const {
    for (const auto& [k, v] : kwargs_.items()) {
      if (k == "name" || k == kArgsKey) continue;  // change nothing numerically
      if (std::find(keys.begin(), keys.end(), k) == keys.end())
        throw Error(object_ + ": argument '" + k + "' (" + v.dump().substr(0, 80) + ") is not supported by ksave for this op");
    }
  }

 private:
  const Json& present(std::string_view key) const {
    if (!has(key)) throw missing(key);
    return kwargs_.at(std::string(key));
  }
  Error missing(std::string_view key) const { return Error(object_ + ": the call has no argument '" + std::string(key) + "'"); }
  Error unexpected(std::string_view key) const {
    return Error(object_ + ": argument '" + std::string(key) + "' has an unexpected value " +
                 kwargs_.at(std::string(key)).dump().substr(0, 100));
  }
  T resolve(const Json& v, const std::string& what) const {
    if (v.is_object() && v.contains(kInputKey)) {
      const auto i = v[kInputKey].get<std::size_t>();
      if (i >= inputs_)
        throw Error(object_ + ": " + what + " refers to input " + std::to_string(i) + " of " + std::to_string(inputs_));
      return input_(i);
    }
    const Json& c = v.is_object() && v.contains(kConstantKey) ? v[kConstantKey] : v;
    return constant_(read_constant(c, object_ + " (" + what + ")"));
  }

  Json kwargs_;
  std::size_t inputs_;
  std::string object_;
  InputOf input_;
  ConstantOf constant_;
  Json first_;
};

// `x[...]`'s slice_spec: ints, slices {"start", "stop", "step"}, None (tf.newaxis) and one
// {"class_name": "__ellipsis__"}.
namespace slice_spec {

inline bool is_ellipsis(const Json& e) { return e.is_object() && e.value("class_name", "") == "__ellipsis__"; }
inline bool is_slice(const Json& e) { return e.is_object() && !is_ellipsis(e); }
inline bool consumes_axis(const Json& e) { return e.is_number_integer() || is_slice(e); }

// An optional int bound of a slice; a tensor computed by the model is refused.
inline std::optional<std::int64_t> bound(const Json& slice, const char* key, const std::string& object) {
  if (!slice.contains(key) || slice[key].is_null()) return std::nullopt;
  if (!slice[key].is_number_integer())
    throw Error(object + ": slice " + key + " must be a constant integer, found " + slice[key].dump().substr(0, 80));
  return slice[key].get<std::int64_t>();
}

struct Indices {
  std::int64_t start = 0, stop = 0, step = 1;
};
// Python's slice.indices(n): the positions are start, start + step, ... before stop.
inline Indices indices(const Json& slice, std::int64_t n, const std::string& object) {
  Indices s;
  s.step = bound(slice, "step", object).value_or(1);
  if (s.step == 0) throw Error(object + ": slice step cannot be zero");
  const std::int64_t lower = s.step > 0 ? 0 : -1, upper = s.step > 0 ? n : n - 1;
  auto clamp = [&](std::optional<std::int64_t> v, std::int64_t fallback) {
    if (!v) return fallback;
    return *v < 0 ? std::max(*v + n, lower) : std::min(*v, upper);
  };
  s.start = clamp(bound(slice, "start", object), s.step > 0 ? lower : upper);
  s.stop = clamp(bound(slice, "stop", object), s.step > 0 ? upper : lower);
  return s;
}

// The spec for a tensor of `rank` axes with its ellipsis (or the trailing axes it leaves out)
// spelled out as full slices.
inline Json expanded(Json spec, std::int64_t rank, const std::string& object) {
  if (!spec.is_array()) spec = Json::array({spec});
  const auto consumed = std::count_if(spec.begin(), spec.end(), consumes_axis);
  if (std::count_if(spec.begin(), spec.end(), is_ellipsis) > 1) throw Error(object + ": more than one ellipsis");
  if (consumed > rank)
    throw Error(object + ": " + std::to_string(consumed) + " indices for a tensor of rank " + std::to_string(rank));
  const Json full = Json{{"start", nullptr}, {"stop", nullptr}, {"step", nullptr}};
  Json out = Json::array();
  bool saw_ellipsis = false;
  for (const auto& e : spec) {
    if (!is_ellipsis(e)) {
      out.push_back(e);
      continue;
    }
    saw_ellipsis = true;
    for (auto i = consumed; i < rank; ++i) out.push_back(full);
  }
  if (!saw_ellipsis)
    for (auto i = consumed; i < rank; ++i) out.push_back(full);
  return out;
}

}  // namespace slice_spec
}  // namespace ksave::call_arguments
