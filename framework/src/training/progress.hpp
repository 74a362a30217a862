// Keras's Progbar as fit and evaluate print it (tf.keras 2.x, keras/utils/generic_utils.py):
//   verbose 1: "4/4 [==============================] - 0s 2ms/step - loss: 0.5884", redrawn in place
//              with \r on a terminal, else only the final line;
//   verbose 2: "4/4 - 0s - loss: 0.5884 - 12ms/epoch - 3ms/step" once per epoch;
//   verbose 0: nothing.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace ksave {

class ProgressBar {
 public:
  ProgressBar(std::int64_t target, int verbose, std::FILE* out = stdout);
  // Shows step `current` (1-based) with these values; `finalize` ends the line.
  void update(std::int64_t current, const std::vector<std::pair<std::string, double>>& values, bool finalize = false);

 private:
  std::string bar(std::int64_t current) const;
  static std::string format_value(double v, bool signed_rule);
  static std::string format_time(double seconds, const char* unit);
  std::int64_t target_;
  int verbose_;
  std::FILE* out_;
  bool dynamic_;
  std::size_t total_width_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_update_;
};

}  // namespace ksave
