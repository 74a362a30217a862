// Shared helpers of the losses suite: build a loss through the registry as compile does.
#pragma once

#include <string>
#include <vector>

#include "ksave/loss.hpp"
#include "ksave/registry.hpp"

namespace losses_test {

inline ksave::LossPtr make_loss(const std::string& name, const ksave::Json& config = ksave::Json::object()) {
  return ksave::Registry::global().require(ksave::Kind::Loss, name)->as<ksave::LossFactory>()(config);
}

inline ksave::Tensor F(std::vector<float> v, ksave::Shape shape) {
  return ksave::Tensor::from_vector<float>(v, std::move(shape));
}

}  // namespace losses_test
