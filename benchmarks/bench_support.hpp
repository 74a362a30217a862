// Helpers shared by the benchmark programs: deterministic inputs, best-of-N timing, and running
// the numpy counterpart of a benchmark to read its JSON figures.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "ksave/json.hpp"
#include "ksave/tensor.hpp"

namespace bench {

// Values in [-scale, scale) from a xorshift generator: the same for the same salt on every run.
inline ksave::Tensor pseudo_random(ksave::Shape shape, unsigned salt, float scale = 1.f) {
  std::vector<float> v(static_cast<std::size_t>(ksave::num_elements(shape)));
  std::uint32_t s = 2463534242u ^ salt;
  for (float& x : v) {
    s ^= s << 13, s ^= s >> 17, s ^= s << 5;
    x = (static_cast<float>(s % 20000) / 10000.f - 1.f) * scale;
  }
  return ksave::Tensor::from_vector<float>(v, std::move(shape));
}

// The fastest of `repeats` runs, in milliseconds (the least disturbed by a shared machine).
inline double best_ms(const std::function<void()>& fn, int repeats) {
  double best = 1e300;
  for (int i = 0; i < repeats; ++i) {
    const auto start = std::chrono::steady_clock::now();
    fn();
    best = std::min(best, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  return best;
}

// Runs `/usr/bin/python3 script args` and parses what it prints as JSON (null on failure).
inline ksave::Json run_python(const std::string& script, const std::string& args) {
  const std::string command = "/usr/bin/python3 " + script + " " + args;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return nullptr;
  std::string out;
  char buffer[512];
  while (fgets(buffer, sizeof buffer, pipe)) out += buffer;
  if (pclose(pipe) != 0 || out.empty()) return nullptr;
  return ksave::Json::parse(out);
}

}  // namespace bench
