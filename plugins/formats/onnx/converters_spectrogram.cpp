// STFTSpectrogram: each channel a signal (batch · channels, 1, time), one Conv per kernel
// (real_kernel, imag_kernel as (freq, 1, frame_length)) strided by the frame step, SAME_UPPER
// for padding "same" (TensorFlow's SAME); then the mode and Keras's arrangement of (batch,
// channels, freq, frames), as the layer computes them (plugins/layers/spectrogram).
#include "converter.hpp"
#include "ksave/ops.hpp"

namespace ksave::plugins::onnx_export {
namespace {

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
    Attributes attrs{ints_attr("strides", {step}), ints_attr("kernel_shape", {frame_length})};
    if (same) attrs.push_back(string_attr("auto_pad", "SAME_UPPER"));
    const std::string y = onnx.op("Conv", {signals, w}, c.hint(weight), std::move(attrs));  // (B·C, freq, frames)
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

}  // namespace

void add_spectrogram_converters(ConverterTable& t) { t["STFTSpectrogram"] = {stft_spectrogram, {}}; }

}  // namespace ksave::plugins::onnx_export
