// STFTSpectrogram: each channel a signal (batch · channels, 1, time), one Conv per kernel
// (real_kernel, imag_kernel as (freq, 1, frame_length)) strided by the frame step, SAME_UPPER
// for padding "same" (TensorFlow's SAME); then the mode and Keras's arrangement of (batch,
// channels, freq, frames), as the layer computes them (plugins/layers/spectrogram).
// MelSpectrogram: the reflected signal as a Gather, the same Conv with the layer's fixed kernels,
// the magnitude to mag_exp, MatMul by the mel matrix, the decibels floored at the whole batch's
// maximum minus top_db (ReduceMax over every axis), as the layer computes them.
#include <numbers>

#include "../../layers/spectrogram/mel_numbers.hpp"
#include "converter.hpp"
#include "ksave/ops.hpp"

namespace ksave::plugins::onnx_export {
namespace {

// Each signal of (n, 1, time) convolved with a (freq, 1, frame) kernel every `step` samples:
// (n, freq, frames).
std::string frames_conv(Conversion& c, const std::string& signals, const std::string& kernel, Dim frame, Dim step, bool same,
                        const std::string& hint) {
  Attributes attrs{ints_attr("strides", {step}), ints_attr("kernel_shape", {frame})};
  if (same) attrs.push_back(string_attr("auto_pad", "SAME_UPPER"));
  return c.onnx.op("Conv", {signals, kernel}, hint, std::move(attrs));
}

std::vector<Value> stft_spectrogram(Conversion& c) {
  auto& onnx = c.onnx;
  const Json& config = c.config();
  const Value& x = c.input();
  const bool last = config.value("data_format", "channels_last") == "channels_last";
  const Dim channels = last ? x.shape.at(2) : x.shape.at(1), time = last ? x.shape.at(1) : x.shape.at(2);
  if (channels < 0 || time < 0) throw Error(c.describe() + ": time and channel axes must be known");
  const std::string mode = config.value("mode", "log");
  const Dim frame_length = config.at("frame_length").get<Dim>();
  const Dim step = config.value("frame_step", Json()).is_number_integer() ? config["frame_step"].get<Dim>() : std::max<Dim>(1, frame_length / 2);
  const bool same = config.value("padding", "valid") == "same";
  const Dim frames = ((same ? time : time - frame_length + 1) + step - 1) / step;
  std::string signals = onnx.float_in_layout(x, {});
  if (last) signals = onnx.transpose(signals, {0, 2, 1}, c.hint());
  signals = onnx.reshape(signals, {-1, 1, time}, c.hint());
  Dim bins = 0;
  auto transform = [&](const char* weight) {
    const VariablePtr kernel = c.weight(weight);
    bins = kernel->shape().at(2);
    const std::string w = c.weight_value(kernel, "oiw", [](const Tensor& t) { return ops::transpose(t, {2, 1, 0}); });
    const std::string y = frames_conv(c, signals, w, frame_length, step, same, c.hint(weight));  // (B·C, freq, frames)
    return onnx.reshape(y, {-1, channels, bins, frames}, c.hint());  // (B, C, freq, frames)
  };
  std::string real, imag;
  if (mode != "imag") real = transform("real_kernel");
  if (mode != "real") imag = transform("imag_kernel");
  std::string y;
  if (mode == "real") y = real;
  else if (mode == "imag") y = imag;
  else if (mode == "stft") y = onnx.concat({real, imag}, 2, c.hint());
  else {
    const std::string power = onnx.op("Add", {onnx.op("Mul", {real, real}, c.hint()), onnx.op("Mul", {imag, imag}, c.hint())}, c.hint());
    if (mode == "psd") {
      Tensor twice(DType::Float32, {1, 1, bins, 1});
      for (Dim f = 0; f < bins; ++f) twice.data<float>()[f] = f == 0 || f == bins - 1 ? 1.0f : 2.0f;
      y = onnx.op("Mul", {power, onnx.graph().constant(twice, c.hint("inner_bins"))}, c.hint());
    } else {
      y = onnx.op("Sqrt", {onnx.op("Max", {power, onnx.scalar(1e-7f)}, c.hint())}, c.hint());
      if (mode == "log") y = onnx.op("Log", {onnx.op("Max", {y, onnx.scalar(1e-7f)}, c.hint())}, c.hint());
    }
  }
  const Dim freq = mode == "stft" ? 2 * bins : bins;
  const bool expand = config.value("expand_dims", false);
  if (last) y = expand ? onnx.transpose(y, {0, 3, 2, 1}, c.hint()) : onnx.transpose(onnx.reshape(y, {-1, channels * freq, frames}, c.hint()), {0, 2, 1}, c.hint());
  else y = expand ? onnx.transpose(y, {0, 1, 3, 2}, c.hint()) : onnx.reshape(y, {-1, channels * freq, frames}, c.hint());
  return {c.output(y)};
}

std::vector<Value> mel_spectrogram(Conversion& c) {
  auto& onnx = c.onnx;
  const mel::Settings s = mel::Settings::from_config(c.config(), c.describe());
  const Value& x = c.input();
  if (x.shape.size() != 2 || x.shape[1] < 0) throw Error(c.describe() + ": expected (batch, samples) with a known number of samples");
  const std::string padded =
      onnx.op("Gather", {onnx.float_in_layout(x, {}), onnx.graph().constant(s.reflected_positions(x.shape[1], c.describe()), c.hint("reflected"))},
              c.hint(), {int_attr("axis", 1)});
  const std::string signals = onnx.unsqueeze(padded, {1}, c.hint());  // (B, 1, time)
  auto part = [&](bool real_side, const char* what) {
    const std::string kernel = onnx.graph().constant(ops::transpose(s.kernel(real_side), {2, 1, 0}), c.hint(what));
    const std::string y = frames_conv(c, signals, kernel, s.fft_length, s.stride, false, c.hint(what));  // (B, bins, frames)
    return onnx.op("Mul", {y, y}, c.hint());
  };
  const std::string power = onnx.op("Add", {part(true, "real"), part(false, "imag")}, c.hint());
  const std::string spectrum = onnx.op("Pow", {onnx.op("Sqrt", {power}, c.hint()), onnx.scalar(static_cast<float>(s.mag_exp))}, c.hint());
  // (mel, bins) · (B, bins, frames): Keras's (B, frames, mel) already swapped.
  const std::string mel_t = onnx.graph().constant(ops::transpose(s.mel_matrix(), {1, 0}), c.hint("mel_matrix"));
  std::string y = onnx.op("MatMul", {mel_t, spectrum}, c.hint());
  if (s.power_to_db) {
    const std::string log = onnx.op("Log", {onnx.op("Max", {y, onnx.scalar(static_cast<float>(s.min_power))}, c.hint())}, c.hint());
    const std::string db = onnx.op("Sub", {onnx.op("Mul", {log, onnx.scalar(static_cast<float>(10.0 / std::numbers::ln10))}, c.hint()),
                                           onnx.scalar(static_cast<float>(s.reference_db()))}, c.hint());
    const std::string floor =
        onnx.op("Sub", {onnx.reduce("ReduceMax", db, {0, 1, 2}, false, c.hint()), onnx.scalar(static_cast<float>(s.top_db))}, c.hint());
    y = onnx.op("Max", {db, floor}, c.hint());
  }
  return {c.output(y)};
}

}  // namespace

void add_spectrogram_converters(ConverterTable& t) {
  t["STFTSpectrogram"] = {stft_spectrogram, {}};
  t["MelSpectrogram"] = {mel_spectrogram, {}};
}

}  // namespace ksave::plugins::onnx_export
