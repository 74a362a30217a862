// TensorFlow's image resize ops as the graph runtime runs them, against TensorFlow 2.21's own
// results (tf.raw_ops.ResizeBilinear / ResizeNearestNeighbor / ResizeBicubic on a [1, 3, 4, 2]
// image whose values are (i * 7 % 11) - 3 + 0.25 * i): half-pixel centers (tf.image.resize's, what
// Keras emits), align_corners and the legacy rule, down and up, to the bit. Nearest keeps an
// integer dtype, bilinear turns it into float32; both rules at once are refused as TensorFlow does.
#define BOOST_TEST_MODULE tf_graph_image_resize
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "ksave/error.hpp"
#include "ksave/tensor.hpp"
#include "tf_op_import.hpp"

using namespace ksave;
using namespace ksave::plugins::savedmodel;

namespace {

const std::vector<float> kImage = {-3, 4.25, 0.5, 7.75, 4, 0.25, 7.5, 3.75, 0, 7.25, 3.5, -0.25, 7, 3.25, 10.5, 6.75, 3, 10.25, 6.5, 2.75, 10, 6.25, 2.5, 9.75};

// The op run as a graph node would run it: the images and a size input, the rules as attrs.
Tensor resize(const std::string& op, const Tensor& images, std::int32_t height, std::int32_t width, bool align_corners,
              bool half_pixel_centers) {
  tfproto::NodeDef node;
  node.set_name("resize");
  node.set_op(op);
  (*node.mutable_attr())["align_corners"].set_b(align_corners);
  (*node.mutable_attr())["half_pixel_centers"].set_b(half_pixel_centers);
  const Tensors inputs = {images, Tensor::from_vector<std::int32_t>({height, width}, {2})};
  const Attrs attrs = attrs_from_node(node);
  const std::string where = "function f node resize";
  const TfOpImporter* importer = find_tf_op_importer(op);
  BOOST_REQUIRE(importer);
  const Tensors out = importer->run(TfOpCall{node, inputs, attrs, where});
  BOOST_REQUIRE_EQUAL(out.size(), 1u);
  return out[0];
}

struct Case {
  const char* op;
  std::int32_t height, width;
  bool align_corners, half_pixel_centers;
  std::vector<float> expected;
};

}  // namespace

BOOST_AUTO_TEST_CASE(resize_ops_give_tensorflows_values_to_the_bit) {
  const Tensor image = Tensor::from_vector<float>(kImage, {1, 3, 4, 2});
  const std::vector<Case> cases = {
      {"ResizeBilinear", 5, 3, false, true,
       {-2.41666651f, 4.83333349f, 2.25f, 4.0f, 6.91666698f, 3.16666722f, -1.21666646f, 5.30000019f, 3.45000005f, 3.0f, 8.11666679f, 4.36666727f, 0.583333373f, 6.0f, 5.25f, 1.5f, 9.91666698f, 6.16666698f, 2.38333368f, 7.80000019f, 7.05000019f, 3.30000043f, 6.21666527f, 7.96666718f, 3.58333349f, 9.0f, 8.25f, 4.5f, 3.74999905f, 9.16666698f}},
      {"ResizeBilinear", 5, 3, true, false,
       {-3.0f, 4.25f, 2.25f, 4.0f, 7.5f, 3.75f, -1.5f, 5.75f, 3.75f, 2.75f, 9.0f, 5.25f, 0.0f, 7.25f, 5.25f, 1.5f, 10.5f, 6.75f, 1.5f, 8.75f, 6.75f, 3.0f, 6.5f, 8.25f, 3.0f, 10.25f, 8.25f, 4.5f, 2.5f, 9.75f}},
      {"ResizeBilinear", 2, 6, false, false,
       {-3.0f, 4.25f, -0.666666508f, 6.58333349f, 1.66666675f, 5.25f, 4.0f, 0.25f, 6.33333349f, 2.58333349f, 7.5f, 3.75f, 1.5f, 8.75f, 3.83333349f, 3.75f, 6.16666698f, 2.41666675f, 8.5f, 4.75f, 7.16666698f, 7.08333397f, 6.5f, 8.25f}},
      {"ResizeNearestNeighbor", 5, 7, false, true,
       {-3.0f, 4.25f, -3.0f, 4.25f, 0.5f, 7.75f, 4.0f, 0.25f, 4.0f, 0.25f, 7.5f, 3.75f, 7.5f, 3.75f, -3.0f, 4.25f, -3.0f, 4.25f, 0.5f, 7.75f, 4.0f, 0.25f, 4.0f, 0.25f, 7.5f, 3.75f, 7.5f, 3.75f, 0.0f, 7.25f, 0.0f, 7.25f, 3.5f, -0.25f, 7.0f, 3.25f, 7.0f, 3.25f, 10.5f, 6.75f, 10.5f, 6.75f, 3.0f, 10.25f, 3.0f, 10.25f, 6.5f, 2.75f, 10.0f, 6.25f, 10.0f, 6.25f, 2.5f, 9.75f, 2.5f, 9.75f, 3.0f, 10.25f, 3.0f, 10.25f, 6.5f, 2.75f, 10.0f, 6.25f, 10.0f, 6.25f, 2.5f, 9.75f, 2.5f, 9.75f}},
      {"ResizeNearestNeighbor", 2, 3, false, true,
       {-3.0f, 4.25f, 4.0f, 0.25f, 7.5f, 3.75f, 3.0f, 10.25f, 10.0f, 6.25f, 2.5f, 9.75f}},
      {"ResizeNearestNeighbor", 2, 3, true, false,
       {-3.0f, 4.25f, 4.0f, 0.25f, 7.5f, 3.75f, 3.0f, 10.25f, 10.0f, 6.25f, 2.5f, 9.75f}},
      {"ResizeNearestNeighbor", 5, 3, false, false,
       {-3.0f, 4.25f, 0.5f, 7.75f, 4.0f, 0.25f, -3.0f, 4.25f, 0.5f, 7.75f, 4.0f, 0.25f, 0.0f, 7.25f, 3.5f, -0.25f, 7.0f, 3.25f, 0.0f, 7.25f, 3.5f, -0.25f, 7.0f, 3.25f, 3.0f, 10.25f, 6.5f, 2.75f, 10.0f, 6.25f}},
      {"ResizeBicubic", 5, 6, false, true,
       {-3.45718741f, 3.73807287f, -1.78540015f, 6.55148411f, 0.857895911f, 7.55920362f, 3.1889503f, 0.876206934f, 5.83224678f, 1.38631856f, 7.50403404f, 3.7540338f, -2.31152105f, 5.19301891f, -0.63973403f, 5.21211004f, 1.99783373f, 4.30536079f, 4.30604172f, 1.40093827f, 7.2390132f, 2.80810046f, 9.17538452f, 4.89969969f, -0.230610937f, 7.7441659f, 1.44117653f, 3.51470613f, 4.08447218f, -0.302846521f, 6.41552687f, 2.53776455f, 9.05882359f, 5.30882406f, 10.7306099f, 6.98061085f, 1.85029936f, 9.85757256f, 3.5220871f, 5.33451653f, 6.24827576f, 1.31581271f, 8.90993118f, 4.5534339f, 7.36141968f, 7.41874504f, 5.20446873f, 9.06152058f, 2.99596548f, 10.9707413f, 4.66775322f, 6.74128246f, 7.44846106f, 2.92373013f, 10.3275557f, 5.76434088f, 6.02204514f, 8.53540039f, 1.34688973f, 10.2071857f}},
      {"ResizeBicubic", 2, 3, false, true,
       {-2.13556409f, 4.97417068f, 2.73859501f, 3.32937956f, 7.85626507f, 3.79501677f, 2.85713625f, 8.82235241f, 8.3033762f, 3.17335749f, 4.73970842f, 8.88820934f}},
      {"ResizeBicubic", 4, 5, true, false,
       {-3.0f, 4.25f, -0.662109375f, 7.74804688f, 2.25f, 4.0f, 5.16210938f, 0.251953125f, 7.5f, 3.75f, -1.27671969f, 5.97328091f, 1.06117105f, 2.84356928f, 3.85869741f, 1.24586141f, 7.16229916f, 2.77056432f, 10.4455013f, 5.47328043f, 1.27671969f, 8.52672005f, 3.61461067f, 1.2825799f, 6.85100842f, 1.01977575f, 8.65513039f, 5.81773472f, 8.31763649f, 8.02671909f, 3.0f, 10.25f, 5.33789062f, 4.08007812f, 9.28125f, 3.46875f, 8.66992188f, 7.41210938f, 2.5f, 9.75f}},
      {"ResizeBicubic", 2, 7, false, false,
       {-3.0f, 4.25f, -1.33722043f, 7.06711102f, 1.15195489f, 7.07391596f, 2.84563875f, 2.00283384f, 5.30778122f, 0.354806691f, 7.12319613f, 3.22939777f, 7.86728668f, 4.11728716f, 1.78125f, 9.03125f, 3.44402957f, 3.60745692f, 6.00510454f, 0.330626369f, 8.22837543f, 3.07695794f, 8.63543224f, 6.45180988f, 7.06846571f, 8.16792774f, 6.57137203f, 8.89853668f}},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.op << " to " << c.height << "x" << c.width << " align_corners " << c.align_corners << " half_pixel_centers "
                             << c.half_pixel_centers) {
      const Tensor y = resize(c.op, image, c.height, c.width, c.align_corners, c.half_pixel_centers);
      BOOST_TEST((y.shape() == Shape{1, c.height, c.width, 2}));
      BOOST_TEST((y.dtype() == DType::Float32));
      BOOST_TEST(y.to_vector<float>() == c.expected, boost::test_tools::per_element());
    }
  }
}

BOOST_AUTO_TEST_CASE(nearest_keeps_integers_and_bilinear_returns_float32) {
  std::vector<std::int32_t> values(12);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<std::int32_t>(i);
  const Tensor image = Tensor::from_vector<std::int32_t>(values, {1, 3, 2, 2});
  const Tensor nearest = resize("ResizeNearestNeighbor", image, 2, 3, false, true);
  BOOST_TEST((nearest.dtype() == DType::Int32));
  BOOST_TEST(nearest.to_vector<std::int32_t>() == (std::vector<std::int32_t>{0, 1, 2, 3, 2, 3, 8, 9, 10, 11, 10, 11}),
             boost::test_tools::per_element());
  const Tensor bilinear = resize("ResizeBilinear", image, 2, 3, false, true);
  BOOST_TEST((bilinear.dtype() == DType::Float32));
  BOOST_TEST(bilinear.to_vector<float>() == (std::vector<float>{1, 2, 2, 3, 3, 4, 7, 8, 8, 9, 9, 10}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(bad_rules_and_sizes_are_refused_naming_the_node) {
  const Tensor image = Tensor::from_vector<float>(kImage, {1, 3, 4, 2});
  const auto error_of = [&](std::int32_t height, bool align_corners, bool half_pixel_centers) -> std::string {
    try {
      resize("ResizeBilinear", image, height, 2, align_corners, half_pixel_centers);
    } catch (const Error& e) {
      return e.what();
    }
    return {};
  };
  const std::string both = error_of(2, true, true);
  BOOST_TEST_INFO("error: " << both);
  BOOST_TEST(both.find("node resize (ResizeBilinear)") != std::string::npos);
  BOOST_TEST(both.find("align_corners and half_pixel_centers") != std::string::npos);
  const std::string empty = error_of(0, false, true);
  BOOST_TEST_INFO("error: " << empty);
  BOOST_TEST(empty.find("size must be two positive values") != std::string::npos);
}
