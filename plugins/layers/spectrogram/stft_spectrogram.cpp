// Keras 3's STFTSpectrogram: the short-time Fourier transform as Keras computes it, a strided
// 1-D convolution of each channel with the weights real_kernel and imag_kernel (frame_length, 1,
// fft_length // 2 + 1) — the DFT's cos and sin rows times the window, over its scaling (Keras's
// STFT initializer; a file's kernels are read like any weights) — then the mode: real, imag,
// stft (both, stacked on the frequency axis), psd (power, the inner bins doubled), magnitude
// (sqrt(max(power, ε))) or log (its log, floored at ε), ε = 1e-7. The output is (batch, time,
// channels · freq) in channels_last, (batch, time, freq, channels) with expand_dims, or the
// channels_first transposes. mode "angle" (atan2) is refused: ksave has no atan2 op.
#include <cmath>

#include "ksave/config.hpp"
#include "ksave/conformance.hpp"
#include "ksave/ops.hpp"
#include "ksave/plugin.hpp"
#include "stft_numbers.hpp"

namespace ksave::plugins {
namespace {

constexpr double kEpsilon = 1e-7;  // keras.backend.epsilon()

// A key that is None (Keras's default from frame_length) or an int.
Json optional_int(const ConfigReader& r, const char* key) {
  const Json value = r.get<Json>(key, nullptr);
  if (!value.is_null() && !value.is_number_integer())
    throw Error(r.object() + ": " + key + " must be None or an int, found " + value.dump());
  return value;
}

class STFTSpectrogram : public Layer {
 public:
  explicit STFTSpectrogram(const Json& config) : Layer(config, "STFTSpectrogram") {
    const ConfigReader r(config, describe());
    mode_ = r.get<std::string>("mode", "log");
    if (mode_ == "angle") throw Error(describe() + ": mode 'angle' (atan2) is not supported");
    if (mode_ != "log" && mode_ != "magnitude" && mode_ != "psd" && mode_ != "real" && mode_ != "imag" && mode_ != "stft")
      throw Error(describe() + ": mode must be one of log, magnitude, psd, real, imag, stft, found '" + mode_ + "'");
    frame_length_ = r.get<std::int64_t>("frame_length", 256);
    if (frame_length_ < 1) throw Error(describe() + ": frame_length must be positive, found " + std::to_string(frame_length_));
    frame_step_ = optional_int(r, "frame_step");
    fft_length_ = optional_int(r, "fft_length");
    step_ = frame_step_.is_null() ? std::max<std::int64_t>(1, frame_length_ / 2) : frame_step_.get<std::int64_t>();
    if (step_ < 1 || step_ > frame_length_)
      throw Error(describe() + ": frame_step must be in [1, frame_length], found " + frame_step_.dump());
    fft_ = fft_length_.is_null() ? std::int64_t{1} << static_cast<int>(std::ceil(std::log2(static_cast<double>(frame_length_))))
                                 : fft_length_.get<std::int64_t>();
    if (fft_ < frame_length_ || fft_ > (std::int64_t{1} << 24))
      throw Error(describe() + ": fft_length must be at least frame_length, found " + std::to_string(fft_));
    // None (no window, no scaling) is a value of its own here, not the default.
    const Json* window = r.find("window");
    window_ = window ? *window : Json("hann");
    if (!window_.is_null() && window_ != "hann" && window_ != "hamming")
      throw Error(describe() + ": window must be 'hann', 'hamming' or None, found " + window_.dump());
    periodic_ = r.get<bool>("periodic", false);
    const Json* scaling = r.find("scaling");
    scaling_ = scaling ? *scaling : Json("density");
    if (!scaling_.is_null() && scaling_ != "density" && scaling_ != "spectrum")
      throw Error(describe() + ": scaling must be 'density', 'spectrum' or None, found " + scaling_.dump());
    padding_ = r.get<std::string>("padding", "valid");
    if (padding_ != "valid" && padding_ != "same")
      throw Error(describe() + ": padding must be 'valid' or 'same', found '" + padding_ + "'");
    expand_dims_ = r.get<bool>("expand_dims", false);
    data_format_ = r.get<Json>("data_format", nullptr).is_string() ? r.get<std::string>("data_format", "") : "channels_last";
    if (data_format_ != "channels_last" && data_format_ != "channels_first")
      throw Error(describe() + ": data_format must be channels_last or channels_first, found '" + data_format_ + "'");
  }

  std::string class_name() const override { return "STFTSpectrogram"; }

  // Keras 3.15's key order.
  Json get_config() const override {
    Json c = Layer::get_config();
    c["mode"] = mode_;
    c["frame_length"] = frame_length_;
    c["frame_step"] = frame_step_;
    c["fft_length"] = fft_length_;
    c["window"] = window_;
    c["periodic"] = periodic_;
    c["scaling"] = scaling_;
    c["padding"] = padding_;
    c["data_format"] = data_format_;
    c["expand_dims"] = expand_dims_;
    return c;
  }

 protected:
  void build_impl(const std::vector<Shape>& shapes) override {
    if (shapes.size() != 1 || shapes[0].size() != 3)
      throw Error(describe() + " takes one input (batch, time, channels), found " +
                  (shapes.empty() ? std::string("none") : shape_to_string(shapes[0])));
    const Shape shape{frame_length_, 1, fft_ / 2 + 1};
    // Keras's order: real_kernel, then imag_kernel; both trainable, as add_weight makes them.
    if (mode_ != "imag") {
      real_ = add_weight({.name = "real_kernel", .shape = shape});
      real_->assign(kernel(true));
    }
    if (mode_ != "real") {
      imag_ = add_weight({.name = "imag_kernel", .shape = shape});
      imag_->assign(kernel(false));
    }
  }

  Tensors call(const Tensors& inputs, const CallContext&) override {
    const Tensor x = inputs.at(0).as_float();
    if (x.rank() != 3) throw Error(describe() + ": expected (batch, time, channels), found " + shape_to_string(x.shape()));
    const bool last = data_format_ == "channels_last";
    const Dim channels = last ? x.dim(2) : x.dim(1), time = last ? x.dim(1) : x.dim(2);
    // (batch · channels, 1, time, 1): each channel a signal of its own.
    const Tensor signals = ops::reshape(last ? ops::transpose(x, {0, 2, 1}) : x, {-1, 1, time, 1});
    Tensor real, imag;
    if (real_) real = transform(signals, real_->value(), channels);
    if (imag_) imag = transform(signals, imag_->value(), channels);
    if (mode_ == "real") return {arrange(real)};
    if (mode_ == "imag") return {arrange(imag)};
    if (mode_ == "stft") return {arrange(ops::concat({real, imag}, 2))};
    const Tensor power = ops::add(ops::square(real), ops::square(imag));
    if (mode_ == "psd") {
      // power + pad(power[:, :, 1:-1]): the bins between the first and the last count twice.
      Tensor twice(DType::Float32, {1, 1, fft_ / 2 + 1, 1});
      for (Dim f = 0; f <= fft_ / 2; ++f) twice.data<float>()[f] = f == 0 || f == fft_ / 2 ? 1.0f : 2.0f;
      return {arrange(ops::mul(power, twice))};
    }
    const Tensor magnitude = arrange(ops::sqrt(ops::maximum(power, ops::constant(kEpsilon))));
    if (mode_ == "magnitude") return {magnitude};
    return {ops::log(ops::maximum(magnitude, ops::constant(kEpsilon)))};
  }

 private:
  std::string describe() const { return "layer '" + name() + "' (STFTSpectrogram)"; }

  // Keras's STFT initializer: scipy's window of frame_length (symmetric, or periodic) over its
  // scaling, times the DFT's rows of length (bins − 1) · 2.
  Tensor kernel(bool real_side) const {
    const Dim bins = fft_ / 2 + 1;
    const std::vector<double> window = stft::window(window_.is_null() ? "" : window_.get<std::string>(), frame_length_, periodic_);
    double scale = 1.0;
    if (!window_.is_null()) {
      double squares = 0, sum = 0;
      for (double w : window) squares += w * w, sum += std::abs(w);
      scale = scaling_ == "density" ? std::sqrt(squares) : scaling_ == "spectrum" ? sum : 1.0;
    }
    return stft::dft_kernel(window, bins, static_cast<double>((bins - 1) * 2), real_side, scale);
  }

  // The strided convolution of each signal with a kernel, as (batch, channels, freq, frames).
  Tensor transform(const Tensor& signals, const Tensor& kernel, Dim channels) const {
    const Tensor y = stft::frames_transform(signals, kernel, step_, padding_ == "same");  // (B·C, frames, freq)
    return ops::reshape(ops::transpose(y, {0, 2, 1}), {-1, channels, kernel.dim(2), y.dim(1)});
  }

  // Keras's _adjust_shapes of (batch, channels, freq, frames).
  Tensor arrange(const Tensor& y) const {
    const Dim channels = y.dim(1), bins = y.dim(2), frames = y.dim(3);
    if (data_format_ == "channels_last")
      return expand_dims_ ? ops::transpose(y, {0, 3, 2, 1}) : ops::transpose(ops::reshape(y, {-1, channels * bins, frames}), {0, 2, 1});
    return expand_dims_ ? ops::transpose(y, {0, 1, 3, 2}) : ops::reshape(y, {-1, channels * bins, frames});
  }

  std::string mode_, padding_, data_format_;
  std::int64_t frame_length_ = 256, step_ = 128, fft_ = 256;
  Json frame_step_, fft_length_, window_, scaling_;
  bool periodic_ = false, expand_dims_ = false;
  VariablePtr real_, imag_;
};

void register_objects(PluginRegistrar& r) {
  r.layer<STFTSpectrogram>("STFTSpectrogram");
}

}  // namespace
}  // namespace ksave::plugins

KSAVE_PLUGIN("spectrogram", "0.1.0", ksave::plugins::register_objects)

// What the conformance kit (ksave conform) builds these classes from: the default frame (256
// samples) is longer than its default inputs.
namespace {

ksave::Json conformance_samples() {
  return ksave::ConformanceSamples()
      .layer("STFTSpectrogram", {{"frame_length", 4}, {"frame_step", 2}, {"mode", "magnitude"}}, {{.shape = {9, 2}}})
      .json();
}

}  // namespace

KSAVE_CONFORMANCE_SAMPLES(conformance_samples)
