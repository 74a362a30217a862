// How every optimizer plugin registers its class: under its Keras class name ("Adam"), the
// lowercase string Keras accepts in compile() ("adam"), and under the package "Custom" so that
// tf.keras >= 2.11's H5 training configs ("Custom>Adam") resolve.
#pragma once

#include <algorithm>
#include <cctype>
#include <string>

#include "ksave/plugin.hpp"

namespace ksave::optimizers {

template <typename T>
void register_optimizer(PluginRegistrar& r, const std::string& class_name) {
  std::string lower = class_name;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  r.optimizer<T>(class_name, lower == class_name ? std::vector<std::string>{} : std::vector<std::string>{lower});
  r.set_package("Custom");
  r.optimizer<T>(class_name);
  r.set_package("");
}

}  // namespace ksave::optimizers
