// STFTSpectrogram: the real and imaginary parts against the DFT of each frame written out, the
// magnitude, log and psd modes from them, the windows' defining values (Hann zero at the frame's
// ends, or at its start when periodic; density scaling makes the window's squares sum to 1),
// None kept as None in the config, weights through every format. The interop suite (models.py's
// stft_spectrogram) compares with real Keras 3.15.
#define BOOST_TEST_MODULE spectrogram
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <numbers>

#include "layer_zoo_support/layer_checks.hpp"

using namespace ksave;
using namespace ksave::test::zoo;

namespace {

LayerPtr stft(Json extra) {
  Json config = {{"name", "stft"}, {"frame_length", 6}, {"frame_step", 3}, {"fft_length", 8}};
  config.update(extra);
  return layer_from("STFTSpectrogram", config);
}

}  // namespace

BOOST_AUTO_TEST_CASE(parts_are_the_dft_of_each_frame) {
  const Tensor x = random_tensor({2, 15, 2}, 3);  // 4 frames of 6 samples, step 3
  const Tensor re = (*stft({{"mode", "real"}, {"window", nullptr}, {"scaling", nullptr}}))(x);
  const Tensor im = (*stft({{"mode", "imag"}, {"window", nullptr}, {"scaling", nullptr}}))(x);
  const Dim frames = 4, bins = 5, channels = 2;
  BOOST_TEST_REQUIRE(re.shape() == (Shape{2, frames, channels * bins}));
  double worst = 0;
  for (Dim b = 0; b < 2; ++b)
    for (Dim m = 0; m < frames; ++m)
      for (Dim c = 0; c < channels; ++c)
        for (Dim f = 0; f < bins; ++f) {
          double sum_re = 0, sum_im = 0;
          for (Dim t = 0; t < 6; ++t) {
            const double v = x.data<float>()[(b * 15 + m * 3 + t) * channels + c];
            sum_re += v * std::cos(2 * std::numbers::pi * double(t * f) / 8);
            sum_im -= v * std::sin(2 * std::numbers::pi * double(t * f) / 8);
          }
          const Dim at = (b * frames + m) * channels * bins + c * bins + f;
          worst = std::max({worst, std::abs(re.data<float>()[at] - sum_re), std::abs(im.data<float>()[at] - sum_im)});
        }
  BOOST_TEST(worst < 1e-5);
  const Tensor magnitude = (*stft({{"mode", "magnitude"}, {"window", nullptr}, {"scaling", nullptr}}))(x);
  const Tensor expected = ops::sqrt(ops::maximum(ops::add(ops::square(re), ops::square(im)), ops::constant(1e-7)));
  BOOST_TEST(max_abs_difference(magnitude, expected) < 1e-6);
  const Tensor log = (*stft({{"mode", "log"}, {"window", nullptr}, {"scaling", nullptr}}))(x);
  BOOST_TEST(max_abs_difference(log, ops::log(ops::maximum(expected, ops::constant(1e-7)))) < 1e-5);
}

BOOST_AUTO_TEST_CASE(windows_and_scaling_are_kerass) {
  LayerPtr symmetric = stft({{"mode", "real"}});  // Hann, density
  symmetric->build(Shape{kUnknown, 12, 1});
  const Tensor k = symmetric->get_weights()[0];  // (6, 1, 5)
  BOOST_TEST(k.shape() == (Shape{6, 1, 5}));
  BOOST_TEST(k.data<float>()[0] == 0.0f);
  BOOST_TEST(std::abs(k.data<float>()[5 * 5]) < 1e-7);
  double squares = 0;
  for (Dim t = 0; t < 6; ++t) squares += double(k.data<float>()[t * 5]) * k.data<float>()[t * 5];  // bin 0: the window
  BOOST_TEST(std::abs(squares - 1.0) < 1e-6);
  LayerPtr periodic = stft({{"mode", "real"}, {"periodic", true}, {"window", "hamming"}, {"scaling", "spectrum"}});
  periodic->build(Shape{kUnknown, 12, 1});
  const Tensor p = periodic->get_weights()[0];
  double sum = 0;
  for (Dim t = 0; t < 6; ++t) sum += p.data<float>()[t * 5];
  BOOST_TEST(std::abs(sum - 1.0) < 1e-6);                                  // spectrum: the window sums to 1
  // Periodic Hamming of 6: 0.54 − 0.46 cos(2πt/6), which starts at 0.08 and sums to 3.24.
  BOOST_TEST(std::abs(p.data<float>()[0] - 0.08 / 3.24) < 1e-6);
  BOOST_TEST(stft({{"mode", "stft"}})->weights().empty());  // made by build
}

BOOST_AUTO_TEST_CASE(config_keeps_none_and_refuses_what_it_cannot_compute) {
  check_config_round_trip("STFTSpectrogram", Json::parse(R"({"name": "stft", "trainable": true, "dtype": "float32",
    "mode": "psd", "frame_length": 16, "frame_step": null, "fft_length": null, "window": null, "periodic": false,
    "scaling": null, "padding": "same", "data_format": "channels_last", "expand_dims": true})"));
  BOOST_CHECK_THROW(stft({{"mode", "angle"}}), Error);
  BOOST_CHECK_THROW(stft({{"window", "blackman"}}), Error);
  BOOST_CHECK_THROW(stft({{"frame_step", 7}}), Error);
  BOOST_CHECK_THROW(stft({{"fft_length", 4}}), Error);
}

BOOST_AUTO_TEST_CASE(weights_round_trip_through_every_format) {
  LayerPtr layer = stft({{"mode", "log"}, {"padding", "same"}});
  KerasTensor in = Input(Shape{12, 2}, "signal");
  const auto model = std::make_shared<Functional>(KerasTensors{in}, KerasTensors{(*layer)(in)});
  check_weight_round_trips(model, {random_tensor({2, 12, 2}, 4)}, "stft_spectrogram");
}
