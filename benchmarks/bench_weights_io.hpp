// Helpers of the format benchmarks (bench_h5, bench_formats): a stack of Dense layers holding
// distinct weight values, and the raw-file baseline (every weight's bytes written or read with
// plain write()/read(), straight from/into the variables' storage).
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "ksave/error.hpp"
#include "ksave/model.hpp"
#include "ksave/serialization.hpp"

namespace bench {

// InputLayer(units) then `layers` Dense(units) layers, weights 0.001, 0.002, ... in order. Zeros
// initializers keep the build cost to allocating memory, so the figures are about I/O.
inline ksave::ModelPtr dense_stack(int layers, int units) {
  using namespace ksave;
  std::vector<LayerPtr> stack{make_layer("InputLayer", {{"batch_input_shape", Json::array({nullptr, units})}})};
  for (int i = 0; i < layers; ++i)
    stack.push_back(make_layer("Dense", {{"units", units}, {"kernel_initializer", "zeros"}}));
  auto model = std::make_shared<Sequential>(stack, "bench");
  float value = 0.0f;
  for (const auto& v : model->weights()) {
    Tensor t = v->value().clone();
    for (float& x : t.values<float>()) x = (value += 0.001f);
    v->assign_shared(t);
  }
  return model;
}

inline void write_all(int fd, const void* data, std::size_t n) {
  auto* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w <= 0) throw ksave::Error("plain write failed: " + std::string(std::strerror(errno)));
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

inline void read_all(int fd, void* data, std::size_t n) {
  auto* p = static_cast<char*>(data);
  while (n > 0) {
    const ssize_t r = ::read(fd, p, n);
    if (r <= 0) throw ksave::Error("plain read failed");
    p += r;
    n -= static_cast<std::size_t>(r);
  }
}

// Every weight of `model`, in order, into one file, then fsync().
inline void raw_save_weights(const ksave::Model& model, const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) throw ksave::Error("cannot create " + path.string());
  for (const auto& v : model.weights()) write_all(fd, v->value().raw_data(), v->value().nbytes());
  ::fsync(fd);
  ::close(fd);
}

// The file raw_save_weights wrote, back into the variables' own storage.
inline void raw_load_weights(ksave::Model& model, const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw ksave::Error("cannot open " + path.string());
  for (const auto& v : model.weights()) {
    ksave::Tensor t = v->value();
    read_all(fd, t.raw_data(), t.nbytes());
  }
  ::close(fd);
}

}  // namespace bench
