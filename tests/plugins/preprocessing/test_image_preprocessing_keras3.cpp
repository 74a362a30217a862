// Keras 3's ContrastLimitedAdaptiveHistogramEqualization against numbers Keras 3.15 computed (a
// 5x6 image on a 2x3 grid: tiles of 3x2 with one mirrored row of padding, clip_limit 2), the same
// equalization for channels_first images and for other value ranges, a model after it trains,
// refusals named (a grid that
// pads more than the image, rank 3); MaxNumBoundingBoxes on images: the images as float32, a dict
// of images and bounding boxes refused by name. The interop suite runs both in real Keras
// (tests/interop/test_preprocessing.py).
#include <boost/test/unit_test.hpp>

#include "ksave/ops.hpp"
#include "layer_zoo_support/layer_checks.hpp"
#include "support/error_checks.hpp"

using namespace ksave;
using namespace ksave::test::zoo;
using ksave::test::error_of;

namespace {

constexpr const char* kClahe = "ContrastLimitedAdaptiveHistogramEqualization";

// The measured image: (i * 37) mod 256 at position i, its first three values 200.5.
Tensor measured_image() {
  std::vector<float> values;
  for (int i = 0; i < 30; ++i) values.push_back(static_cast<float>((i * 37) % 256));
  for (int i = 0; i < 3; ++i) values[static_cast<std::size_t>(i)] = 200.5f;
  return Tensor::from_vector(values, {1, 5, 6, 1});
}

// Keras 3.15's predict of CLAHE(clip_limit=2.0, tile_grid_size=(2, 3)) on it.
const std::vector<float> kKerasEqualized = {
    198.1571502685547f,  198.1571502685547f,  200.37245178222656f, 115.77558898925781f, 150.034912109375f,
    188.29351806640625f, 221.29421997070312f, 4.8820648193359375f, 41.2742805480957f,   81.37566375732422f,
    115.63499450683594f, 153.89358520507812f, 185.2069549560547f,  226.1370849609375f,  7.419367790222168f,
    46.421600341796875f, 81.27754974365234f,  118.13316345214844f, 151.5650634765625f,  190.25897216796875f,
    228.50579833984375f, 10.646808624267578f, 47.19590759277344f,  84.74494171142578f,  118.07868957519531f,
    157.20260620117188f, 193.70004272460938f, 231.81558227539062f, 13.425310134887695f, 52.334259033203125f};

const Json kMeasuredSettings = {{"clip_limit", 2.0}, {"tile_grid_size", {2, 3}}};

}  // namespace

BOOST_AUTO_TEST_CASE(clahe_gives_keras_numbers) {
  const Tensor y = (*layer_from(kClahe, kMeasuredSettings))(measured_image());
  BOOST_TEST(y.shape() == (Shape{1, 5, 6, 1}));
  BOOST_TEST(y.to_vector<float>() == kKerasEqualized, boost::test_tools::tolerance(1e-6f) << boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(clahe_in_other_layouts_and_ranges_is_the_same_equalization) {
  const Tensor image = measured_image();
  const Tensor expected = Tensor::from_vector(kKerasEqualized, {1, 5, 6, 1});
  // Channels first: (1, 1, 5, 6) holds the same image.
  Json channels_first = kMeasuredSettings;
  channels_first["data_format"] = "channels_first";
  const Tensor first = (*layer_from(kClahe, channels_first))(ops::reshape(image, {1, 1, 5, 6}));
  BOOST_TEST(allclose(ops::reshape(first, {1, 5, 6, 1}), expected, 0.0, 0.0));
  // value_range (0, 1): the image divided by 255 comes out divided by 255 (up to the float32
  // rounding of the two mappings).
  Json unit = kMeasuredSettings;
  unit["value_range"] = {0, 1};
  const Tensor scaled = (*layer_from(kClahe, unit))(ops::div(image, ops::constant(255.0)));
  BOOST_TEST(allclose(scaled, ops::div(expected, ops::constant(255.0)), 1e-5, 1e-6));
}

// A model that equalizes its images first trains, as Keras's does (the equalized images are a
// constant to the tape: Keras's CLAHE has no gradient, its pixels pass through integer casts).
BOOST_AUTO_TEST_CASE(a_model_after_clahe_trains) {
  const KerasTensor images = Input({5, 6, 1}, "images");
  const LayerPtr dense = layer_from("Dense", {{"units", 1}});
  const KerasTensor equalized = (*layer_from(kClahe, kMeasuredSettings))(images);
  const auto model = std::make_shared<Functional>(KerasTensors{images},
                                                  KerasTensors{(*dense)((*layer_from("Flatten", Json::object()))(equalized))}, "m");
  model->compile("sgd", "mse");
  const Tensor before = dense->weights()[0]->value().clone();
  model->train_on_batch({measured_image()}, {Tensor::from_vector(std::vector<float>{1.0f}, {1, 1})});
  BOOST_TEST(!allclose(dense->weights()[0]->value(), before, 0.0, 0.0));
}

BOOST_AUTO_TEST_CASE(clahe_refuses_what_keras_cannot_run) {
  // A 8x8 grid on 3x3 images pads 5 rows: TensorFlow's symmetric MirrorPad refuses (measured).
  const std::string padding = error_of([] { (*layer_from(kClahe, {{"name", "eq"}}))(Tensor::zeros(DType::Float32, {1, 3, 3, 1})); });
  BOOST_TEST(padding.find("layer 'eq' (ContrastLimitedAdaptiveHistogramEqualization)") != std::string::npos);
  BOOST_TEST(padding.find("tile_grid_size") != std::string::npos);
  BOOST_TEST(error_of([] { (*layer_from(kClahe, Json::object()))(Tensor::zeros(DType::Float32, {4, 8, 8})); }).find("rank 4") !=
             std::string::npos);
  BOOST_TEST(error_of([] { layer_from(kClahe, {{"tile_grid_size", {0, 2}}}); }).find("tile_grid_size") != std::string::npos);
  BOOST_TEST(error_of([] { layer_from(kClahe, {{"value_range", {3, 3}}}); }).find("value_range") != std::string::npos);
  check_config_round_trip(kClahe, {{"name", "eq"}, {"trainable", true}, {"dtype", "float32"}, {"data_format", "channels_last"},
                                   {"value_range", {0, 255}}, {"clip_limit", 4.0}, {"tile_grid_size", {8, 8}}});
}

BOOST_AUTO_TEST_CASE(max_num_bounding_boxes_passes_images_as_float32) {
  const Tensor pixels = Tensor::from_vector(std::vector<std::int32_t>{0, 7, 255, 3, 9, 12}, {1, 1, 2, 3});
  const Tensor y = (*layer_from("MaxNumBoundingBoxes", {{"max_number", 4}}))(pixels);
  BOOST_TEST((y.dtype() == DType::Float32));
  BOOST_TEST(y.to_vector<float>() == (std::vector<float>{0, 7, 255, 3, 9, 12}), boost::test_tools::per_element());
  const LayerPtr layer = layer_from("MaxNumBoundingBoxes", {{"name", "boxes"}, {"max_number", 4}});
  const std::string dict = error_of([&] { (*layer)(Tensors{pixels, pixels}); });
  BOOST_TEST(dict.find("layer 'boxes' (MaxNumBoundingBoxes)") != std::string::npos);
  BOOST_TEST(dict.find("bounding_boxes") != std::string::npos);
  BOOST_TEST(error_of([&] { (*layer)(Tensor::zeros(DType::Float32, {2, 4})); }).find("rank 3 or 4") != std::string::npos);
  BOOST_TEST(error_of([] { layer_from("MaxNumBoundingBoxes", {{"max_number", 0}}); }).find("max_number") != std::string::npos);
  check_config_round_trip("MaxNumBoundingBoxes", {{"name", "m"}, {"trainable", true}, {"dtype", "float32"},
                                                  {"data_format", "channels_last"}, {"max_number", 4}});
}
