// The names tf.keras records for TensorFlow functions in TFOpLambda configs ("math.multiply",
// "nn.relu6", "compat.v1.transpose"), as the plugins that read such calls share them: the
// TFOpLambda layer runs them, the ONNX exporter converts them. Several recorded names are one
// function — tf.compat.v1's endpoints whose arguments the TF2 function accepts too, and the twins
// TensorFlow exports under two modules (nn.softplus and math.softplus) — so each plugin
// implements a function once, under its canonical name, and looks recorded names up through
// canonical_tf_function; the names a plugin supports are its canonical ones and their aliases.
#pragma once

#include <algorithm>
#include <map>
#include <string>
#include <vector>

namespace ksave::tf_function_names {

// Recorded name → the canonical name of the same function.
inline const std::map<std::string, std::string>& aliases() {
  static const std::map<std::string, std::string> table = {
      {"compat.v1.transpose", "transpose"},   {"compat.v1.expand_dims", "expand_dims"}, {"compat.v1.squeeze", "squeeze"},
      {"compat.v1.pad", "pad"},               {"compat.v1.gather", "gather"},           {"nn.softplus", "math.softplus"},
      {"math.softsign", "nn.softsign"},       {"nn.swish", "nn.silu"},                  {"math.softmax", "nn.softmax"},
      {"math.log_softmax", "nn.log_softmax"}, {"__operators__.add", "math.add"},        {"math.divide", "math.truediv"},
      {"nn.l2_normalize", "math.l2_normalize"}};
  return table;
}

// The canonical name of a recorded name (the name itself when it is no alias).
inline const std::string& canonical_tf_function(const std::string& recorded) {
  auto it = aliases().find(recorded);
  return it == aliases().end() ? recorded : it->second;
}

// Every recorded name of the given canonical names (each and its aliases), sorted: what a plugin
// implementing them supports, for the error that refuses another name.
inline std::vector<std::string> recorded_names(const std::vector<std::string>& canonical) {
  std::vector<std::string> names = canonical;
  for (const auto& [alias, target] : aliases())
    if (std::find(canonical.begin(), canonical.end(), target) != canonical.end()) names.push_back(alias);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace ksave::tf_function_names
