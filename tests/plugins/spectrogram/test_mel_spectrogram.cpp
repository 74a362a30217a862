// MelSpectrogram against Keras 3.15's own numbers (keras_mel_numbers.hpp, measured): the windows
// and the mel matrix mel_numbers.hpp builds, the outputs of the defaults, of top_db flooring the
// quiet row at the loud row's maximum (Keras floors at the whole batch's maximum), of the mel power
// without decibels, of Hamming inside a longer FFT with mag_exp and ref_power, and without a
// window, and of an odd window length (symmetric in tf.signal); the config as Keras writes it (sequence_length and max_freq resolved); what it refuses.
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "keras_mel_numbers.hpp"
#include "layer_zoo_support/layer_checks.hpp"
#include "mel_numbers.hpp"

using namespace ksave;
using namespace ksave::test::zoo;

namespace {

Json mel_config(Json extra) {
  Json config = {{"name", "mel"}, {"fft_length", 16}, {"sequence_stride", 4}, {"sampling_rate", 8000},
                 {"num_mel_bins", 5}, {"min_freq", 100.0}, {"max_freq", 3000.0}};
  if (extra.is_object()) config.update(extra);  // {} is null
  return config;
}

// The measured signal: sin(0.7 t), and a second row 100 times quieter.
Tensor signal() {
  Tensor x(DType::Float32, {2, 40});
  for (Dim t = 0; t < 40; ++t) {
    const float v = std::sin(static_cast<float>(t) * 0.7f);
    x.data<float>()[t] = v;
    x.data<float>()[40 + t] = v * 0.01f;
  }
  return x;
}

double worst_relative(const Tensor& got, const std::vector<float>& expected) {
  BOOST_TEST_REQUIRE(static_cast<std::size_t>(got.size()) == expected.size());
  double worst = 0;
  for (std::size_t i = 0; i < expected.size(); ++i)
    worst = std::max(worst, std::abs(got.data<float>()[i] - expected[i]) / (std::abs(expected[i]) + 1e-3));
  return worst;
}

Tensor mel_of(Json extra) { return (*layer_from("MelSpectrogram", mel_config(std::move(extra))))(signal()); }

}  // namespace

BOOST_AUTO_TEST_CASE(windows_and_mel_matrix_are_kerass) {
  const auto hann = plugins::stft::window("hann", 8, true), hamming = plugins::stft::window("hamming", 8, true);
  for (std::size_t t = 0; t < 8; ++t) {
    BOOST_TEST(std::abs(hann[t] - keras_mel::kHann8[t]) < 1e-6);
    BOOST_TEST(std::abs(hamming[t] - keras_mel::kHamming8[t]) < 1e-6);
  }
  const auto settings = plugins::mel::Settings::from_config(mel_config({}), "mel");
  const Tensor m = settings.mel_matrix();
  BOOST_TEST_REQUIRE(m.shape() == (Shape{9, 5}));
  for (std::size_t i = 0; i < keras_mel::kMelMatrix.size(); ++i) BOOST_TEST(std::abs(m.data<float>()[i] - keras_mel::kMelMatrix[i]) < 1e-6);
}

BOOST_AUTO_TEST_CASE(outputs_are_kerass) {
  const Tensor defaults = mel_of({});
  BOOST_TEST_REQUIRE(defaults.shape() == (Shape{2, 5, 11}));  // 1 + 40 // 4 frames
  BOOST_TEST(worst_relative(defaults, keras_mel::kDefaults) < 1e-4);
  const Tensor floored = mel_of({{"top_db", 20.0}});
  BOOST_TEST(worst_relative(floored, keras_mel::kTopDb20) < 1e-4);
  BOOST_TEST(floored.data<float>()[55] == floored.data<float>()[109]);  // the quiet row: all at the floor
  BOOST_TEST(worst_relative(mel_of({{"power_to_db", false}}), keras_mel::kPower) < 1e-4);
  BOOST_TEST(worst_relative(mel_of({{"mag_exp", 1.0}, {"ref_power", 3.0}, {"min_power", 1e-4}, {"window", "hamming"},
                                    {"sequence_length", 10}}),
                            keras_mel::kHammingMagnitude) < 1e-4);
  BOOST_TEST(worst_relative(mel_of({{"window", nullptr}}), keras_mel::kNoWindow) < 1e-4);
  BOOST_TEST(worst_relative(mel_of({{"sequence_length", 9}}), keras_mel::kOddHann9) < 1e-4);
}

BOOST_AUTO_TEST_CASE(config_is_kerass_and_bad_values_are_refused) {
  const Json written = layer_from("MelSpectrogram", {{"name", "mel"}})->get_config();
  BOOST_TEST(written["sequence_length"] == 2048);
  BOOST_TEST(written["max_freq"] == 8000);
  BOOST_TEST(written["max_freq"].is_number_integer());  // int(sampling_rate / 2), as Keras writes it
  BOOST_TEST(written["min_freq"] == 20.0);
  check_config_round_trip("MelSpectrogram", Json::parse(R"({"name": "mel", "trainable": true, "dtype": "float32",
    "fft_length": 10, "sequence_stride": 3, "sequence_length": 7, "window": null, "sampling_rate": 1000,
    "num_mel_bins": 4, "min_freq": 0.0, "max_freq": 400.5, "power_to_db": false, "top_db": 60.0, "mag_exp": 1.0,
    "min_power": 1e-5, "ref_power": 2.0})"));
  BOOST_CHECK_THROW(layer_from("MelSpectrogram", mel_config({{"sequence_length", 17}})), Error);
  BOOST_CHECK_THROW(layer_from("MelSpectrogram", mel_config({{"window", "blackman"}})), Error);
  BOOST_CHECK_THROW(layer_from("MelSpectrogram", mel_config({{"min_freq", 5000.0}})), Error);
  BOOST_CHECK_THROW(layer_from("MelSpectrogram", mel_config({{"top_db", nullptr}})), Error);
  // Keras reflects the signal by fft_length // 2 = 8 samples, so 8 are too few.
  BOOST_CHECK_THROW((*layer_from("MelSpectrogram", mel_config({})))(random_tensor({1, 8}, 1)), Error);
}

BOOST_AUTO_TEST_CASE(model_round_trips_through_every_format) {
  LayerPtr layer = layer_from("MelSpectrogram", mel_config({{"top_db", 30.0}}));
  KerasTensor in = Input(Shape{24}, "audio");
  const auto model = std::make_shared<Functional>(KerasTensors{in}, KerasTensors{(*layer)(in)});
  check_weight_round_trips(model, {random_tensor({2, 24}, 4)}, "mel_spectrogram");
}
