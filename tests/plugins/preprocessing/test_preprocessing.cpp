// Preprocessing plugin: configs of both dialects come back key for key (tf-keras 2.x and Keras 3
// spellings), values against loops written here (Resizing's half-pixel bilinear and nearest,
// CenterCrop, CategoryEncoding, Discretization), the Random* layers are the identity at
// inference and refuse training, bad inputs are refused by name. Real Keras's numbers are in the
// interop suite (tests/interop/test_preprocessing.py).
#define BOOST_TEST_MODULE preprocessing
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "layer_zoo_support/layer_checks.hpp"
#include "support/error_checks.hpp"

using namespace ksave;
using namespace ksave::test::zoo;
using ksave::test::error_of;

namespace {

float at(const Tensor& t, std::int64_t n, std::int64_t h, std::int64_t w, std::int64_t c) {
  const Shape& s = t.shape();
  return t.data<float>()[((n * s[1] + h) * s[2] + w) * s[3] + c];
}

}  // namespace

BOOST_AUTO_TEST_CASE(configs_round_trip_in_both_dialects) {
  check_config_round_trip("Resizing", {{"name", "r"}, {"trainable", true}, {"dtype", "float32"}, {"height", 5}, {"width", 4},
                                       {"interpolation", "bilinear"}, {"crop_to_aspect_ratio", false}});
  // Keras 3 adds data_format, pad_to_aspect_ratio, fill_mode, ...: kept as read.
  check_config_round_trip("Resizing", {{"name", "r3"}, {"trainable", true}, {"dtype", "float32"}, {"height", 5}, {"width", 4},
                                       {"interpolation", "nearest"}, {"data_format", "channels_last"},
                                       {"pad_to_aspect_ratio", false}, {"crop_to_aspect_ratio", true}});
  check_config_round_trip("CenterCrop", {{"name", "c"}, {"trainable", true}, {"dtype", "float32"}, {"height", 2}, {"width", 3}});
  check_config_round_trip("CategoryEncoding", {{"name", "e"}, {"trainable", true}, {"dtype", "float32"}, {"num_tokens", 4},
                                               {"output_mode", "count"}, {"sparse", false}});
  check_config_round_trip("Discretization", {{"name", "d"}, {"trainable", true}, {"dtype", "int64"},
                                             {"bin_boundaries", {0.0, 1.0}}, {"num_bins", nullptr}, {"epsilon", 0.01},
                                             {"output_mode", "int"}, {"sparse", false}});
  check_config_round_trip("RandomFlip", {{"name", "f"}, {"trainable", true}, {"dtype", "float32"}, {"mode", "horizontal"}, {"seed", 3}});
}

BOOST_AUTO_TEST_CASE(resizing_is_half_pixel_bilinear_and_nearest) {
  const Tensor x = random_tensor({1, 3, 5, 2}, 4);
  const Tensor y = (*layer_from("Resizing", {{"height", 2}, {"width", 7}}))(x);
  BOOST_TEST((y.shape() == Shape{1, 2, 7, 2}));
  auto source = [](Dim out, Dim in, Dim i) { return (static_cast<float>(i) + 0.5f) * (static_cast<float>(in) / static_cast<float>(out)) - 0.5f; };
  for (Dim i = 0; i < 2; ++i)
    for (Dim j = 0; j < 7; ++j)
      for (Dim c = 0; c < 2; ++c) {
        const float sy = source(2, 3, i), sx = source(7, 5, j);
        const auto y0 = static_cast<Dim>(std::max(0.0f, std::floor(sy))), y1 = std::min<Dim>(static_cast<Dim>(std::ceil(sy)), 2);
        const auto x0 = static_cast<Dim>(std::max(0.0f, std::floor(sx))), x1 = std::min<Dim>(static_cast<Dim>(std::ceil(sx)), 4);
        const float ly = sy - std::floor(sy), lx = sx - std::floor(sx);
        const float top = at(x, 0, y0, x0, c) + (at(x, 0, y0, x1, c) - at(x, 0, y0, x0, c)) * lx;
        const float bottom = at(x, 0, y1, x0, c) + (at(x, 0, y1, x1, c) - at(x, 0, y1, x0, c)) * lx;
        BOOST_TEST(at(y, 0, i, j, c) == top + (bottom - top) * ly, boost::test_tools::tolerance(1e-5f));
      }
  const Tensor n = (*layer_from("Resizing", {{"height", 6}, {"width", 2}, {"interpolation", "nearest"}}))(x);
  for (Dim i = 0; i < 6; ++i)
    for (Dim j = 0; j < 2; ++j)
      BOOST_TEST(at(n, 0, i, j, 1) == at(x, 0, std::min<Dim>(static_cast<Dim>(std::floor((i + 0.5f) * 0.5f)), 2),
                                         std::min<Dim>(static_cast<Dim>(std::floor((j + 0.5f) * 2.5f)), 4), 1));
  // Antialiased resizing is TensorFlow's ScaleAndTranslate, which ksave does not compute: refused
  // rather than resized without the filter.
  const std::string antialias = ksave::test::error_of([] { layer_from("Resizing", {{"name", "aa"}, {"height", 2}, {"width", 2}, {"antialias", true}}); });
  BOOST_TEST(antialias.find("'aa'") != std::string::npos);
  BOOST_TEST(antialias.find("antialias is not supported") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(center_crop_takes_the_middle) {
  const Tensor x = random_tensor({2, 5, 6, 1}, 5);
  const Tensor y = (*layer_from("CenterCrop", {{"height", 2}, {"width", 3}}))(x);
  BOOST_TEST((y.shape() == Shape{2, 2, 3, 1}));
  for (Dim n = 0; n < 2; ++n)
    for (Dim i = 0; i < 2; ++i)
      for (Dim j = 0; j < 3; ++j) BOOST_TEST(at(y, n, i, j, 0) == at(x, n, 1 + i, 1 + j, 0));
}

BOOST_AUTO_TEST_CASE(category_encoding_and_discretization_count_as_keras) {
  const Tensor ids = Tensor::from_vector<std::int64_t>({0, 2, 2, 3}, {2, 2});
  const Tensor count = (*layer_from("CategoryEncoding", {{"num_tokens", 4}, {"output_mode", "count"}}))(ids);
  BOOST_TEST(count.to_vector<float>() == (std::vector<float>{1, 0, 1, 0, 0, 0, 1, 1}), boost::test_tools::per_element());
  const Tensor multi = (*layer_from("CategoryEncoding", {{"num_tokens", 4}, {"output_mode", "multi_hot"}}))(
      Tensor::from_vector<std::int64_t>({1, 1, 0, 3}, {2, 2}));
  BOOST_TEST(multi.to_vector<float>() == (std::vector<float>{0, 1, 0, 0, 1, 0, 0, 1}), boost::test_tools::per_element());
  BOOST_TEST(error_of([&] {
               (*layer_from("CategoryEncoding", {{"name", "enc"}, {"num_tokens", 2}}))(ids);
             }).find("enc") != std::string::npos);
  const Tensor buckets = (*layer_from("Discretization", {{"bin_boundaries", {-1.0, 0.0, 2.5}}, {"dtype", "int64"}}))(
      Tensor::from_vector<float>({-3.0f, -1.0f, -0.5f, 0.0f, 2.5f, 9.0f}, {1, 6}));
  BOOST_TEST((buckets.dtype() == DType::Int64));
  BOOST_TEST(buckets.to_vector<std::int64_t>() == (std::vector<std::int64_t>{0, 1, 1, 2, 3, 3}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(random_layers_are_the_identity_at_inference_and_refuse_training) {
  const Tensor x = random_tensor({2, 4, 4, 3}, 6);
  for (const char* cls : {"RandomFlip", "RandomRotation", "RandomZoom", "RandomTranslation", "RandomContrast",
                          "RandomBrightness", "RandomHeight", "RandomWidth",
                          // Keras 3's only
                          "AugMix", "CutMix", "Equalization", "MixUp", "RandAugment", "RandomColorDegeneration",
                          "RandomColorJitter", "RandomElasticTransform", "RandomErasing", "RandomGaussianBlur",
                          "RandomGrayscale", "RandomHue", "RandomInvert", "RandomPerspective", "RandomPosterization",
                          "RandomSaturation", "RandomSharpness", "RandomShear", "Solarization"}) {
    const LayerPtr layer = layer_from(cls, {{"name", "aug"}});
    BOOST_TEST(max_abs_difference((*layer)(x), x) == 0.0, cls);
    CallContext training;
    training.training = true;
    BOOST_TEST(error_of([&] { (*layer)(Tensors{x}, training); }).find("'aug' (" + std::string(cls) + ")") != std::string::npos, cls);
  }
}

// tf-keras smart-resizes at inference (the same numbers as Resizing with crop_to_aspect_ratio);
// Keras 3.15, whose configs carry data_format, returns the images unchanged. Both declare the
// target's shape and refuse training.
BOOST_AUTO_TEST_CASE(random_crop_at_inference_is_each_keras_own) {
  const Tensor x = random_tensor({2, 7, 9, 3}, 7);
  const LayerPtr tf_keras = layer_from("RandomCrop", {{"name", "crop"}, {"height", 4}, {"width", 6}, {"seed", nullptr}});
  const Tensor resized = (*layer_from("Resizing", {{"height", 4}, {"width", 6}, {"crop_to_aspect_ratio", true}}))(x);
  const Tensor y = (*tf_keras)(x);
  BOOST_TEST((y.shape() == Shape{2, 4, 6, 3}));
  BOOST_TEST(max_abs_difference(y, resized) == 0.0);
  const LayerPtr keras3 =
      layer_from("RandomCrop", {{"name", "crop3"}, {"height", 4}, {"width", 6}, {"data_format", "channels_last"}, {"seed", 5}});
  BOOST_TEST(max_abs_difference((*keras3)(x), x) == 0.0);
  for (const LayerPtr& layer : {tf_keras, keras3}) {
    BOOST_TEST((layer->output_shapes({{kUnknown, 7, 9, 3}}).at(0) == Shape{kUnknown, 4, 6, 3}));
    CallContext training;
    training.training = true;
    BOOST_TEST(error_of([&] { (*layer)(Tensors{x}, training); }).find("(RandomCrop)") != std::string::npos);
  }
  check_config_round_trip("RandomCrop", {{"name", "c"}, {"trainable", true}, {"dtype", "float32"}, {"rng_type", "stateful"},
                                         {"height", 4}, {"width", 6}, {"seed", nullptr}});
}

// Keras 3's AutoContrast: each image's channel stretched to the value range (a loop written here);
// a channel whose values are all equal stays as it is.
BOOST_AUTO_TEST_CASE(auto_contrast_stretches_each_channel) {
  Tensor x = random_tensor({2, 3, 4, 2}, 8);
  for (Dim i = 0; i < 12; ++i) x.data<float>()[static_cast<std::size_t>(12 * 2 + i * 2 + 1)] = 0.25f;  // image 1, channel 1
  const Tensor y = (*layer_from("AutoContrast", {{"value_range", {0.0, 1.0}}}))(x);
  for (Dim n = 0; n < 2; ++n)
    for (Dim c = 0; c < 2; ++c) {
      float low = 1e30f, high = -1e30f;
      for (Dim i = 0; i < 3; ++i)
        for (Dim j = 0; j < 4; ++j) low = std::min(low, at(x, n, i, j, c)), high = std::max(high, at(x, n, i, j, c));
      for (Dim i = 0; i < 3; ++i)
        for (Dim j = 0; j < 4; ++j) {
          const float want = high > low ? (at(x, n, i, j, c) - low) / (high - low) : at(x, n, i, j, c);
          BOOST_TEST(at(y, n, i, j, c) == want, boost::test_tools::tolerance(1e-5f));
        }
    }
  BOOST_TEST(error_of([] { layer_from("AutoContrast", {{"value_range", {1.0, 1.0}}}); }).find("value_range") != std::string::npos);
}
