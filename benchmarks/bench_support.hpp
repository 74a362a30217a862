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
#include "ksave/model.hpp"
#include "ksave/ops.hpp"
#include "ksave/serialization.hpp"
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

// An MLP of these layer sizes (relu, softmax last) with small deterministic weights, so softmax
// and the loss stay in range, as glorot initialization would give.
inline ksave::ModelPtr mlp(const std::vector<ksave::Dim>& sizes) {
  std::vector<ksave::LayerPtr> layers{ksave::Input({sizes[0]}).layer()};
  for (std::size_t i = 1; i < sizes.size(); ++i)
    layers.push_back(ksave::make_layer("Dense", {{"units", sizes[i]}, {"activation", i + 1 == sizes.size() ? "softmax" : "relu"}}));
  auto model = std::make_shared<ksave::Sequential>(layers);
  unsigned salt = 1;
  // Small weights (as glorot would give) so softmax and the loss stay in range.
  for (const auto& v : model->weights()) v->assign(ksave::ops::mul(pseudo_random(v->shape(), salt++), 0.05));
  return model;
}

// One-hot rows of `classes` classes, class (7 i) mod classes for row i.
inline ksave::Tensor one_hot_labels(ksave::Dim rows, ksave::Dim classes) {
  ksave::Tensor y(ksave::DType::Float32, {rows, classes});
  for (ksave::Dim i = 0; i < rows; ++i) y.data<float>()[i * classes + (i * 7) % classes] = 1.f;
  return y;
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
