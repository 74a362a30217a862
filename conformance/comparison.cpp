#include "comparison.hpp"

#include <cmath>
#include <cstring>

namespace ksave::conformance {

std::string config_difference(const Json& expected, const Json& found) {
  if (expected == found) return "";
  if (expected.is_object() && found.is_object()) {
    for (const auto& [key, value] : expected.items()) {
      if (!found.contains(key)) return "key '" + key + "' is missing (expected " + value.dump() + ")";
      if (std::string why = config_difference(value, found[key]); !why.empty()) return "'" + key + "': " + why;
    }
    for (const auto& [key, value] : found.items())
      if (!expected.contains(key)) return "key '" + key + "' is new (" + value.dump() + ")";
    return "the keys are in another order: " + found.dump();
  }
  return expected.dump() + " became " + found.dump();
}

bool same_bytes(const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype() || a.shape() != b.shape()) return false;
  if (a.dtype() == DType::String) return a.string_values() == b.string_values();
  return a.nbytes() == 0 || std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0;
}

std::string weights_difference(const Model& expected, const Model& found) {
  const auto want = expected.weights(), got = found.weights();
  if (want.size() != got.size())
    return std::to_string(want.size()) + " weights written, " + std::to_string(got.size()) + " read";
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (want[i]->name() != got[i]->name())
      return "weight " + std::to_string(i) + " is '" + got[i]->name() + "', expected '" + want[i]->name() + "'";
    if (!same_bytes(want[i]->value(), got[i]->value()))
      return "weight '" + want[i]->name() + "' differs (shape " + shape_to_string(got[i]->shape()) +
             ", expected " + shape_to_string(want[i]->shape()) + "; largest difference " +
             std::to_string(max_abs_difference(want[i]->value(), got[i]->value())) + ")";
  }
  return "";
}

std::string outputs_difference(const Tensors& expected, const Tensors& found) {
  if (expected.size() != found.size())
    return std::to_string(found.size()) + " outputs, expected " + std::to_string(expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i)
    if (!same_bytes(expected[i], found[i]))
      return "output " + std::to_string(i) + " differs (shape " + shape_to_string(found[i].shape()) + ", expected " +
             shape_to_string(expected[i].shape()) + "; largest difference " +
             std::to_string(max_abs_difference(expected[i], found[i])) + ")";
  return "";
}

std::string outputs_close(const Tensors& expected, const Tensors& found) {
  if (expected.size() != found.size())
    return std::to_string(found.size()) + " outputs, expected " + std::to_string(expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    if (expected[i].shape() != found[i].shape())
      return "output " + std::to_string(i) + " has shape " + shape_to_string(found[i].shape()) + ", expected " +
             shape_to_string(expected[i].shape());
    const Tensor a = expected[i].cast(DType::Float64), b = found[i].cast(DType::Float64);
    for (std::int64_t j = 0; j < a.size(); ++j) {
      const double want = a.data<double>()[j], got = b.data<double>()[j];
      if (!(std::fabs(want - got) <= 1e-5 + 1e-4 * std::fabs(want)))
        return "output " + std::to_string(i) + " element " + std::to_string(j) + " is " + std::to_string(got) +
               ", expected " + std::to_string(want);
    }
  }
  return "";
}

void shift_weights(Model& model) {
  const auto weights = model.weights();
  for (std::size_t k = 0; k < weights.size(); ++k) {
    if (weights[k]->dtype() != DType::Float32) continue;
    Tensor value = weights[k]->value().clone();
    for (float& v : value.values<float>()) v = 0.75f * v + 0.125f * static_cast<float>(k + 1);
    weights[k]->assign(value);
  }
}

}  // namespace ksave::conformance
