#include "tf_op_call.hpp"

#include <algorithm>

namespace ksave::plugins::onnx_export {
namespace {

constexpr const char* kArgsKey = "_ksave_args";
constexpr const char* kInputKey = "_ksave_input";
constexpr const char* kConstantKey = "_ksave_constant";
// Keys every recorded call may carry that change nothing numerically.
constexpr std::string_view kIgnoredKeys[] = {"name", kArgsKey};

void collect_numbers(const Json& v, std::vector<float>& values, Shape& shape, std::size_t depth, const std::string& object) {
  if (v.is_number() || v.is_boolean()) {
    if (depth != shape.size()) throw Error(object + ": ragged constant in the call");
    values.push_back(v.is_boolean() ? (v.get<bool>() ? 1.0f : 0.0f) : v.get<float>());
    return;
  }
  if (!v.is_array()) throw Error(object + ": expected a number or a list of numbers, found " + v.dump().substr(0, 100));
  if (depth == shape.size()) shape.push_back(static_cast<Dim>(v.size()));
  else if (shape[depth] != static_cast<Dim>(v.size())) throw Error(object + ": ragged constant in the call");
  for (const auto& item : v) collect_numbers(item, values, shape, depth + 1, object);
}

}  // namespace

TfOpCall::TfOpCall(Conversion& c)
    : c_(c), kwargs_(c.call.kwargs.is_object() ? c.call.kwargs : Json::object()) {
  object_ = "layer '" + c.layer().name() + "' (" + c.layer().class_name() + ", tf." +
            c.config().value("function", std::string()) + ")";
  if (kwargs_.contains(kArgsKey)) {
    first_ = kwargs_[kArgsKey];
  } else if (c.call.inputs.size() == 1) {
    first_ = Json{{kInputKey, 0}};  // called from C++ on one tensor
  } else {
    for (std::size_t i = 0; i < c.call.inputs.size(); ++i) first_.push_back(Json{{kInputKey, i}});
  }
}

Value TfOpCall::resolve(const Json& v, std::string_view what) const {
  if (v.is_object() && v.contains(kInputKey)) {
    const auto i = v[kInputKey].get<std::size_t>();
    if (i >= c_.call.inputs.size())
      throw Error(object_ + ": " + std::string(what) + " refers to input " + std::to_string(i) + " of " +
                  std::to_string(c_.call.inputs.size()));
    return c_.call.inputs[i];
  }
  const Json& constant = v.is_object() && v.contains(kConstantKey) ? v[kConstantKey] : v;
  std::vector<float> values;
  Shape shape;
  collect_numbers(constant, values, shape, 0, object_ + " (" + std::string(what) + ")");
  const Tensor t = values.empty() ? Tensor(DType::Float32, shape) : Tensor::from_vector(values, shape);
  Value out;
  out.name = c_.onnx.graph().constant(t, c_.hint("const"));
  out.shape = shape;  // no batch axis: it broadcasts from the right, as in TensorFlow
  return out;
}

Value TfOpCall::first() const {
  if (first_.is_array())
    throw Error(object_ + ": expected one tensor as the first argument, found a list of " + std::to_string(first_.size()));
  return resolve(first_, "the first argument");
}

std::vector<Value> TfOpCall::first_list() const {
  if (!first_.is_array()) return {first()};
  std::vector<Value> out;
  for (const auto& item : first_) out.push_back(resolve(item, "the first argument"));
  return out;
}

bool TfOpCall::has(std::string_view key) const {
  auto it = kwargs_.find(std::string(key));
  return it != kwargs_.end() && !it->is_null();
}

Value TfOpCall::tensor(std::string_view key) const {
  if (!has(key)) throw Error(object_ + ": the call has no argument '" + std::string(key) + "'");
  return resolve(kwargs_.at(std::string(key)), "argument '" + std::string(key) + "'");
}

const Json& TfOpCall::value(std::string_view key) const {
  if (!has(key)) throw Error(object_ + ": the call has no argument '" + std::string(key) + "'");
  const Json& v = kwargs_.at(std::string(key));
  if (v.is_object() && v.contains(kInputKey))
    throw Error(object_ + ": argument '" + std::string(key) + "' is a tensor computed by the model; ONNX export needs a constant there");
  return v;
}

std::optional<std::vector<std::int64_t>> TfOpCall::ints(std::string_view key) const {
  if (!has(key)) return std::nullopt;
  const Json& v = value(key);
  std::vector<std::int64_t> out;
  if (v.is_number_integer()) out.push_back(v.get<std::int64_t>());
  else if (v.is_array() && std::all_of(v.begin(), v.end(), [](const Json& x) { return x.is_number_integer(); }))
    for (const auto& x : v) out.push_back(x.get<std::int64_t>());
  else throw unexpected(key);
  return out;
}

std::vector<std::int64_t> TfOpCall::required_ints(std::string_view key) const {
  auto values = ints(key);
  if (!values) throw Error(object_ + ": the call has no argument '" + std::string(key) + "'");
  return *values;
}

void TfOpCall::allow_only(std::initializer_list<std::string_view> keys) const {
  for (const auto& [k, v] : kwargs_.items()) {
    if (std::find(std::begin(kIgnoredKeys), std::end(kIgnoredKeys), k) != std::end(kIgnoredKeys)) continue;
    if (std::find(keys.begin(), keys.end(), k) == keys.end())
      throw Error(object_ + ": argument '" + k + "' (" + v.dump().substr(0, 80) + ") has no ONNX form for this function");
  }
}

Error TfOpCall::unexpected(std::string_view key) const {
  return Error(object_ + ": argument '" + std::string(key) + "' has an unexpected value " +
               kwargs_.at(std::string(key)).dump().substr(0, 100));
}

}  // namespace ksave::plugins::onnx_export
