// Keras 3's MelSpectrogram: (batch, samples) → (batch, num_mel_bins, frames), no weights. As Keras
// 3.15 computes it (measured): keras.ops.stft with center=True (mel_numbers.hpp: reflect-padded
// signal, periodic window inside an fft_length frame), the magnitude sqrt(re² + im²) raised to
// mag_exp, times the HTK mel matrix, then, with power_to_db, 10 · log10(max(S, min_power)) minus
// the reference's decibels, floored at the maximum minus top_db — the maximum of the whole batch,
// as Keras takes it (one loud sample lifts every other sample's floor). frames = 1 + samples //
// sequence_stride (Keras's compute_output_shape says (samples + stride + 1) // stride, which
// differs when stride divides samples + 1).
#include <numbers>

#include "ksave/conformance.hpp"
#include "ksave/ops.hpp"
#include "ksave/plugin.hpp"
#include "mel_numbers.hpp"

namespace ksave::plugins {
namespace {

class MelSpectrogram : public Layer {
 public:
  explicit MelSpectrogram(const Json& config)
      : Layer(config, "MelSpectrogram"), settings_(mel::Settings::from_config(config, describe())),
        real_(settings_.kernel(true)), imag_(settings_.kernel(false)), mel_(settings_.mel_matrix()) {}

  std::string class_name() const override { return "MelSpectrogram"; }

  Json get_config() const override { return settings_.to_config(Layer::get_config()); }

 protected:
  void build_impl(const std::vector<Shape>& shapes) override {
    if (shapes.size() != 1 || shapes[0].size() != 2)
      throw Error(describe() + " takes one input (batch, samples), found " +
                  (shapes.empty() ? std::string("none") : shape_to_string(shapes[0])));
  }

  Tensors call(const Tensors& inputs, const CallContext&) override {
    const Tensor x = inputs.at(0).as_float();
    if (x.rank() != 2) throw Error(describe() + ": expected (batch, samples), found " + shape_to_string(x.shape()));
    const Tensor padded = ops::gather(x, settings_.reflected_positions(x.dim(1), describe()), 1);
    const Tensor signals = ops::reshape(padded, {-1, 1, padded.dim(1), 1});
    const Tensor re = stft::frames_transform(signals, real_, settings_.stride, false);  // (batch, frames, bins)
    const Tensor im = stft::frames_transform(signals, imag_, settings_.stride, false);
    const Tensor magnitude = ops::sqrt(ops::add(ops::square(re), ops::square(im)));
    Tensor y = ops::matmul(ops::pow(magnitude, ops::constant(settings_.mag_exp)), mel_);  // (batch, frames, mel)
    if (settings_.power_to_db) {
      const Tensor db = ops::sub(ops::mul(ops::log(ops::maximum(y, ops::constant(settings_.min_power))), 10.0 / std::numbers::ln10),
                                 ops::constant(settings_.reference_db()));
      y = ops::maximum(db, ops::sub(ops::max(db), ops::constant(settings_.top_db)));
    }
    return {ops::transpose(y, {0, 2, 1})};
  }

 private:
  std::string describe() const { return "layer '" + name() + "' (MelSpectrogram)"; }

  mel::Settings settings_;
  Tensor real_, imag_, mel_;  // fixed by the config: Keras computes them on each call
};

void register_objects(PluginRegistrar& r) { r.layer<MelSpectrogram>("MelSpectrogram"); }

}  // namespace
}  // namespace ksave::plugins

KSAVE_PLUGIN("mel_spectrogram", "0.1.0", ksave::plugins::register_objects)

// The conformance kit builds it from a short frame: the default (2048 samples) is longer than its
// default inputs.
namespace {

ksave::Json conformance_samples() {
  return ksave::ConformanceSamples()
      .layer("MelSpectrogram", {{"fft_length", 8}, {"sequence_stride", 4}, {"num_mel_bins", 4}, {"sampling_rate", 800}},
             {{.shape = {24}}})
      .json();
}

}  // namespace

KSAVE_CONFORMANCE_SAMPLES(conformance_samples)
