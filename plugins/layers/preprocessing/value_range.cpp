#include "value_range.hpp"

#include <vector>

#include "ksave/ops.hpp"

namespace ksave::plugins::preprocessing {

ValueRange read_value_range(const ConfigReader& reader, const std::string& object) {
  const auto range = reader.get<std::vector<double>>("value_range", {kByteRange.low, kByteRange.high});
  if (range.size() != 2 || range[0] == range[1])
    throw Error(object + ": value_range must be two different numbers, found " + reader.get<Json>("value_range", nullptr).dump());
  return {range[0], range[1]};
}

Tensor in_range(const Tensor& x, ValueRange from, ValueRange to) {
  if (from == to) return x;
  const Tensor unit = ops::div(ops::sub(x, ops::constant(from.low)), ops::constant(from.high - from.low));
  return ops::add(ops::mul(unit, ops::constant(to.high - to.low)), ops::constant(to.low));
}

}  // namespace ksave::plugins::preprocessing
