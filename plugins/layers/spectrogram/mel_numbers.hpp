// Keras 3's MelSpectrogram settings and the constants they fix, shared by the layer and its ONNX
// converter: keras.ops.stft with center=True (the signal reflected by fft_length // 2 at both ends,
// tf.signal's periodic window of sequence_length zero-padded to fft_length in the middle), and the
// HTK mel filter bank of linear_to_mel_weight_matrix (triangles linear in mel, peak 1, the DC bin
// zero; mel(f) = 1127 ln(1 + f / 700)).
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "ksave/config.hpp"
#include "ksave/error.hpp"
#include "stft_numbers.hpp"

namespace ksave::plugins::mel {

struct Settings {
  Dim fft_length = 2048, stride = 512, sequence_length = 2048;
  std::string window = "hann";  // "hann", "hamming" or "" (None: no window)
  double sampling_rate = 16000, min_freq = 20.0, max_freq = 8000;
  Dim mel_bins = 128;
  bool power_to_db = true;
  double top_db = 80.0, mag_exp = 2.0, min_power = 1e-10, ref_power = 1.0;

  Dim bins() const { return fft_length / 2 + 1; }

  // The config as Keras 3.15 writes it (sequence_length and max_freq resolved), checked as
  // Keras checks it; `object` names the layer in errors.
  static Settings from_config(const Json& config, const std::string& object) {
    const ConfigReader r(config, object);
    Settings s;
    s.fft_length = r.get<Dim>("fft_length", 2048);
    s.stride = r.get<Dim>("sequence_stride", 512);
    s.sequence_length = r.get<Dim>("sequence_length", s.fft_length);  // None: fft_length
    if (s.fft_length < 1 || s.fft_length > (Dim{1} << 24) || s.sequence_length < 1 || s.sequence_length > s.fft_length)
      throw Error(object + ": fft_length must be at least sequence_length (both positive), found fft_length " +
                  std::to_string(s.fft_length) + ", sequence_length " + std::to_string(s.sequence_length));
    if (s.stride < 1) throw Error(object + ": sequence_stride must be positive, found " + std::to_string(s.stride));
    const Json window = r.find("window") ? *r.find("window") : Json("hann");  // None is a value of its own
    if (!window.is_null() && window != "hann" && window != "hamming")
      throw Error(object + ": window must be 'hann', 'hamming' or None (a window tensor is not supported), found " + window.dump());
    s.window = window.is_null() ? "" : window.get<std::string>();
    s.sampling_rate = r.get<double>("sampling_rate", 16000);
    s.mel_bins = r.get<Dim>("num_mel_bins", 128);
    if (s.mel_bins < 1 || s.mel_bins > 65536) throw Error(object + ": num_mel_bins must be in [1, 65536], found " + std::to_string(s.mel_bins));
    s.min_freq = r.get<double>("min_freq", 20.0);
    // Keras: max_freq or int(sampling_rate / 2), so 0 counts as None too.
    const double max_freq = r.get<double>("max_freq", 0.0);
    s.max_freq = max_freq == 0 ? std::trunc(s.sampling_rate / 2) : max_freq;
    if (!(s.sampling_rate > 0) || !(s.max_freq > s.min_freq) || s.min_freq < 0)
      throw Error(object + ": expected sampling_rate > 0 and 0 <= min_freq < max_freq, found " + std::to_string(s.sampling_rate) + ", " +
                  std::to_string(s.min_freq) + ", " + std::to_string(s.max_freq));
    s.power_to_db = r.get<bool>("power_to_db", true);
    if (s.power_to_db && r.find("top_db") && r.find("top_db")->is_null())
      throw Error(object + ": top_db None cannot run (Keras subtracts it from the decibels' maximum)");
    s.top_db = r.get<double>("top_db", 80.0);
    s.mag_exp = r.get<double>("mag_exp", 2.0);
    s.min_power = r.get<double>("min_power", 1e-10);
    s.ref_power = r.get<double>("ref_power", 1.0);
    if (s.power_to_db && !(s.min_power > 0)) throw Error(object + ": min_power must be positive, found " + std::to_string(s.min_power));
    for (const char* key : {"fft_length", "sequence_stride", "sequence_length", "window", "sampling_rate", "num_mel_bins", "min_freq",
                            "max_freq", "power_to_db", "top_db", "mag_exp", "min_power", "ref_power"})
      s.keys[key] = r.find(key) ? *r.find(key) : Json(nullptr);
    s.keys["sequence_length"] = s.sequence_length;
    if (!r.find("window")) s.keys["window"] = "hann";
    if (!r.find("sampling_rate")) s.keys["sampling_rate"] = 16000;
    if (!r.find("min_freq")) s.keys["min_freq"] = 20.0;
    if (max_freq == 0) s.keys["max_freq"] = static_cast<std::int64_t>(s.max_freq);
    const std::pair<const char*, Json> defaults[] = {{"fft_length", 2048}, {"sequence_stride", 512}, {"num_mel_bins", 128},
                                                     {"power_to_db", true}, {"top_db", 80.0}, {"mag_exp", 2.0},
                                                     {"min_power", 1e-10}, {"ref_power", 1.0}};
    for (const auto& [key, value] : defaults)
      if (!r.find(key)) s.keys[key] = value;
    return s;
  }

  // Keras 3.15's keys in its order, each as the config held it (an int stays an int), with
  // sequence_length and max_freq resolved as Keras resolves them.
  Json keys = Json::object();

  Json to_config(Json c) const {
    for (const auto& [key, value] : keys.items()) c[key] = value;
    return c;
  }

  // (fft_length, 1, bins): keras.ops.stft's kernel, the window in the middle of the frame.
  // tf.signal's "periodic" windows are periodic only for an even length: of an odd length they are
  // symmetric (its period is length + periodic · even − 1; measured with TF 2.21).
  Tensor kernel(bool real_side) const {
    std::vector<double> w(static_cast<std::size_t>(fft_length), 0.0);
    const std::vector<double> inner = stft::window(window, sequence_length, sequence_length % 2 == 0);
    const Dim left = (fft_length - sequence_length) / 2;
    for (std::size_t t = 0; t < inner.size(); ++t) w[static_cast<std::size_t>(left) + t] = inner[t];
    return stft::dft_kernel(w, bins(), static_cast<double>(fft_length), real_side);
  }

  // The positions of the reflected signal (numpy's "reflect": the edge sample not repeated), for
  // `time` samples; Keras's padding needs more samples than fft_length // 2.
  Tensor reflected_positions(Dim time, const std::string& object) const {
    const Dim half = fft_length / 2;
    if (time <= half)
      throw Error(object + ": the signal must be longer than fft_length // 2 = " + std::to_string(half) +
                  " samples (Keras reflects it by that much at both ends), found " + std::to_string(time));
    Tensor at(DType::Int64, {time + 2 * half});
    for (Dim i = 0; i < time + 2 * half; ++i) {
      const Dim j = i - half;
      at.data<std::int64_t>()[i] = j < 0 ? -j : j >= time ? 2 * (time - 1) - j : j;
    }
    return at;
  }

  // (bins, mel_bins): linear_to_mel_weight_matrix, in double (Keras computes it in float32).
  Tensor mel_matrix() const {
    auto to_mel = [](double hz) { return 1127.0 * std::log(1.0 + hz / 700.0); };
    const Dim n = bins();
    const double low = to_mel(min_freq), high = to_mel(max_freq);
    std::vector<double> edges(static_cast<std::size_t>(mel_bins + 2));
    for (Dim i = 0; i < mel_bins + 2; ++i) edges[static_cast<std::size_t>(i)] = low + (high - low) * static_cast<double>(i) / static_cast<double>(mel_bins + 1);
    Tensor m(DType::Float32, {n, mel_bins});
    for (Dim f = 0; f < n; ++f)
      for (Dim b = 0; b < mel_bins; ++b) {
        double v = 0;  // bin 0 (DC) stays zero, as HTK's
        if (f > 0 && n > 1) {
          const double mel = to_mel(sampling_rate / 2 * static_cast<double>(f) / static_cast<double>(n - 1));
          const double lower = edges[static_cast<std::size_t>(b)], center = edges[static_cast<std::size_t>(b) + 1],
                       upper = edges[static_cast<std::size_t>(b) + 2];
          v = std::max(0.0, std::min((mel - lower) / (center - lower), (upper - mel) / (upper - center)));
        }
        m.data<float>()[f * mel_bins + b] = static_cast<float>(v);
      }
    return m;
  }

  // 10 · log10(max(|ref_power|, min_power)): what the decibels are relative to.
  double reference_db() const { return 10.0 * std::log10(std::max(std::abs(ref_power), min_power)); }
};

}  // namespace ksave::plugins::mel
