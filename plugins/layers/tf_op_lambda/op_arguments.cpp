#include "op_arguments.hpp"

#include <algorithm>

#include "ksave/error.hpp"

namespace ksave::plugins::tf_op {
namespace {

// The framework's placeholders (framework/src/structured_call.hpp): repeated here because
// plugins see only public headers.
constexpr const char* kArgsKey = "_ksave_args";
constexpr const char* kInputKey = "_ksave_input";
constexpr const char* kConstantKey = "_ksave_constant";
// Keys every recorded call may carry that change nothing numerically.
constexpr std::string_view kIgnoredKeys[] = {"name", kArgsKey};

void collect_numbers(const Json& v, std::vector<float>& values, Shape& shape, std::size_t depth,
                     const std::string& object) {
  if (v.is_number()) {
    if (depth != shape.size()) throw Error(object + ": ragged constant in the call");
    values.push_back(v.get<float>());
    return;
  }
  if (!v.is_array()) throw Error(object + ": expected a number or a list of numbers, found " + v.dump().substr(0, 100));
  if (depth == shape.size()) shape.push_back(static_cast<Dim>(v.size()));
  else if (shape[depth] != static_cast<Dim>(v.size())) throw Error(object + ": ragged constant in the call");
  for (const auto& item : v) collect_numbers(item, values, shape, depth + 1, object);
}

}  // namespace

Tensor constant_tensor(const Json& value, const std::string& object) {
  if (value.is_boolean()) return Tensor::scalar<float>(value.get<bool>() ? 1.0f : 0.0f);
  std::vector<float> values;
  Shape shape;
  collect_numbers(value, values, shape, 0, object);
  if (values.empty() && !shape.empty() && shape[0] == 0) return Tensor(DType::Float32, shape);
  return Tensor::from_vector(values, shape);
}

OpArguments::OpArguments(const Tensors& inputs, const Json* kwargs, std::string object)
    : inputs_(inputs), kwargs_(kwargs && kwargs->is_object() ? *kwargs : Json::object()), object_(std::move(object)) {
  if (kwargs_.contains(kArgsKey)) {
    first_ = kwargs_[kArgsKey];
  } else {
    // Called from C++ without a recorded structure: one tensor, or the list of inputs.
    if (inputs_.size() == 1) first_ = Json{{kInputKey, 0}};
    else
      for (std::size_t i = 0; i < inputs_.size(); ++i) first_.push_back(Json{{kInputKey, i}});
  }
}

Tensor OpArguments::resolve_tensor(const Json& v, std::string_view what) const {
  if (v.is_object() && v.contains(kInputKey)) {
    auto i = v[kInputKey].get<std::size_t>();
    if (i >= inputs_.size())
      throw Error(object_ + ": " + std::string(what) + " refers to input " + std::to_string(i) + " of " +
                  std::to_string(inputs_.size()));
    return inputs_[i];
  }
  if (v.is_object() && v.contains(kConstantKey)) return constant_tensor(v[kConstantKey], object_);
  return constant_tensor(v, object_ + " (" + std::string(what) + ")");
}

Tensor OpArguments::first() const {
  if (first_.is_array())
    throw Error(object_ + ": expected one tensor as the first argument, found a list of " + std::to_string(first_.size()));
  return resolve_tensor(first_, "the first argument");
}

Tensors OpArguments::first_list() const {
  if (!first_.is_array()) return {first()};
  Tensors out;
  for (const auto& item : first_) out.push_back(resolve_tensor(item, "the first argument"));
  return out;
}

bool OpArguments::has(std::string_view key) const {
  auto it = kwargs_.find(std::string(key));
  return it != kwargs_.end() && !it->is_null();
}

Tensor OpArguments::tensor(std::string_view key) const {
  if (!has(key)) throw Error(object_ + ": the call has no argument '" + std::string(key) + "'");
  return resolve_tensor(kwargs_.at(std::string(key)), std::string("argument '") + std::string(key) + "'");
}

const Json& OpArguments::value(std::string_view key) const {
  if (!has(key)) throw Error(object_ + ": the call has no argument '" + std::string(key) + "'");
  const Json& v = kwargs_.at(std::string(key));
  if (v.is_object() && v.contains(kInputKey))
    throw Error(object_ + ": argument '" + std::string(key) +
                "' is a tensor computed by the model; ksave needs a constant there");
  return v;
}

std::optional<std::vector<std::int64_t>> OpArguments::ints(std::string_view key) const {
  if (!has(key)) return std::nullopt;
  const Json& v = value(key);
  std::vector<std::int64_t> out;
  if (v.is_number_integer()) out.push_back(v.get<std::int64_t>());
  else if (v.is_array() && std::all_of(v.begin(), v.end(), [](const Json& x) { return x.is_number_integer(); }))
    for (const auto& x : v) out.push_back(x.get<std::int64_t>());
  else throw_unexpected(key);
  return out;
}

void OpArguments::allow_only(std::initializer_list<std::string_view> keys) const {
  for (const auto& [k, v] : kwargs_.items()) {
    if (std::find(std::begin(kIgnoredKeys), std::end(kIgnoredKeys), k) != std::end(kIgnoredKeys)) continue;
    if (std::find(keys.begin(), keys.end(), k) == keys.end())
      throw Error(object_ + ": argument '" + k + "' (" + v.dump().substr(0, 80) + ") is not supported by ksave for this op");
  }
}

void OpArguments::throw_unexpected(std::string_view key) const {
  throw Error(object_ + ": argument '" + std::string(key) + "' has an unexpected value " +
              kwargs_.at(std::string(key)).dump().substr(0, 100));
}

}  // namespace ksave::plugins::tf_op
