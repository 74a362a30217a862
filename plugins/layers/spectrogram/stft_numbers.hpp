// Keras's short-time Fourier transform as ksave computes it, shared by STFTSpectrogram (its
// kernels' initial values, Keras's STFT initializer) and MelSpectrogram (keras.ops.stft, fixed):
// the window, the DFT's cos and sin rows over a frame times that window, and the strided
// convolution that applies such a kernel to every frame of a signal. The ONNX converters build
// the same kernels from here.
#pragma once

#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "ksave/ops.hpp"

namespace ksave::plugins::stft {

// Hann (a = 0.5) or Hamming (a = 0.54): a − (1 − a) cos(2πt / P), with P = length when periodic
// (TensorFlow's tf.signal windows, scipy's periodic ones) and length − 1 when symmetric (scipy's
// default); an empty name is no window (ones).
inline std::vector<double> window(const std::string& name, Dim length, bool periodic) {
  std::vector<double> w(static_cast<std::size_t>(length), 1.0);
  if (name.empty() || length == 1) return w;
  const double a = name == "hann" ? 0.5 : 0.54;
  const double period = static_cast<double>(periodic ? length : length - 1);
  for (Dim t = 0; t < length; ++t)
    w[static_cast<std::size_t>(t)] = a - (1 - a) * std::cos(2 * std::numbers::pi * static_cast<double>(t) / period);
  return w;
}

// (window size, 1, bins): the window times cos (real) or sin (imaginary part) of −2π · t · f / n,
// over `scale`. n is the DFT's length: fft_length for keras.ops.stft, (bins − 1) · 2 in Keras's STFT
// initializer (which differs for an odd fft_length).
inline Tensor dft_kernel(const std::vector<double>& window, Dim bins, double n, bool real_side, double scale = 1.0) {
  const Dim length = static_cast<Dim>(window.size());
  Tensor k(DType::Float32, {length, 1, bins});
  for (Dim t = 0; t < length; ++t)
    for (Dim f = 0; f < bins; ++f) {
      const double angle = -2.0 * static_cast<double>(t) * (static_cast<double>(f) / n) * std::numbers::pi;
      const double v = real_side ? std::cos(angle) : std::sin(angle);
      k.data<float>()[t * bins + f] = static_cast<float>(v * window[static_cast<std::size_t>(t)] / scale);
    }
  return k;
}

// Each signal of (n, 1, time, 1) convolved with a (frame, 1, bins) kernel every `step` samples
// (TensorFlow's SAME padding when `same`): (n, frames, bins).
inline Tensor frames_transform(const Tensor& signals, const Tensor& kernel, Dim step, bool same) {
  ops::Window2D window;
  window.stride_w = step;
  window.padding = same ? "SAME" : "VALID";
  const Tensor y = ops::conv2d(signals, ops::reshape(kernel, {1, kernel.dim(0), 1, kernel.dim(2)}), window);  // (n, 1, frames, bins)
  return ops::squeeze(y, {1});
}

}  // namespace ksave::plugins::stft
