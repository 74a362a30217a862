// Conv3DTranspose: values against a direct loop that scatters every input cell through the kernel
// (output cell i·stride + k·dilation − before, `before` being what the forward convolution of the
// output pads first with TensorFlow's SAME), Keras's deconv output sizes, config, gradients and
// every format. The interop suite's conv3d case compares with real tf-keras and Keras 3.
#include <boost/test/unit_test.hpp>

#include <algorithm>

#include "../layer_checks/layer_checks.hpp"

using ksave::Dim;
using ksave::Json;
using ksave::Tensor;
using ksave::test::layer_from;
using ksave::test::ramp;

namespace {

Tensor direct_conv3d_transpose(const Tensor& x, const Tensor& kernel, const ksave::Shape& out, const std::vector<std::int64_t>& strides,
                               bool same) {
  const std::vector<float> xv = x.to_vector<float>(), kv = kernel.to_vector<float>();
  const Dim n = x.dim(0), c = x.dim(4), f = kernel.dim(3);
  Dim in[3], k[3], o[3], before[3];
  for (int a = 0; a < 3; ++a) {
    in[a] = x.dim(a + 1);
    k[a] = kernel.dim(a);
    o[a] = out[static_cast<std::size_t>(a) + 1];
    const Dim s = strides[static_cast<std::size_t>(a)];
    before[a] = same ? std::max<Dim>((in[a] - 1) * s + k[a] - o[a], 0) / 2 : 0;
  }
  std::vector<double> y(static_cast<std::size_t>(n * o[0] * o[1] * o[2] * f), 0.0);
  for (Dim b = 0; b < n; ++b)
    for (Dim i0 = 0; i0 < in[0]; ++i0)
      for (Dim i1 = 0; i1 < in[1]; ++i1)
        for (Dim i2 = 0; i2 < in[2]; ++i2)
          for (Dim k0 = 0; k0 < k[0]; ++k0)
            for (Dim k1 = 0; k1 < k[1]; ++k1)
              for (Dim k2 = 0; k2 < k[2]; ++k2) {
                const Dim p0 = i0 * strides[0] + k0 - before[0], p1 = i1 * strides[1] + k1 - before[1],
                          p2 = i2 * strides[2] + k2 - before[2];
                if (p0 < 0 || p0 >= o[0] || p1 < 0 || p1 >= o[1] || p2 < 0 || p2 >= o[2]) continue;
                for (Dim fo = 0; fo < f; ++fo)
                  for (Dim ci = 0; ci < c; ++ci)
                    y[static_cast<std::size_t>((((b * o[0] + p0) * o[1] + p1) * o[2] + p2) * f + fo)] +=
                        xv[static_cast<std::size_t>((((b * in[0] + i0) * in[1] + i1) * in[2] + i2) * c + ci)] *
                        kv[static_cast<std::size_t>((((k0 * k[1] + k1) * k[2] + k2) * f + fo) * c + ci)];
              }
  return Tensor::from_vector<float>(std::vector<float>(y.begin(), y.end()), out);
}

}  // namespace

BOOST_AUTO_TEST_CASE(conv3d_transpose_matches_the_direct_scatter) {
  struct Case {
    Json config;
    std::vector<std::int64_t> strides;
    bool same;
    ksave::Shape expected_shape;  // Keras's deconv_output_length on (2, 3, 4, 3, 2)
  };
  const std::vector<Case> cases = {
      {{{"filters", 3}, {"kernel_size", 2}}, {1, 1, 1}, false, {2, 4, 5, 4, 3}},
      {{{"filters", 2}, {"kernel_size", {3, 2, 2}}, {"strides", {2, 1, 2}}}, {2, 1, 2}, false, {2, 7, 5, 6, 2}},
      {{{"filters", 2}, {"kernel_size", 3}, {"strides", {2, 2, 1}}, {"padding", "same"}}, {2, 2, 1}, true, {2, 6, 8, 3, 2}},
      {{{"filters", 2}, {"kernel_size", 3}, {"strides", 2}, {"padding", "same"}, {"output_padding", {1, 0, 1}}}, {2, 2, 2}, true,
       {2, 6, 7, 6, 2}},
  };
  const Tensor x = ramp({2, 3, 4, 3, 2});
  for (const Case& c : cases) {
    Json config = c.config;
    config["use_bias"] = false;
    const auto layer = layer_from("Conv3DTranspose", config);
    const Tensor y = (*layer)(x);
    BOOST_TEST(y.shape() == c.expected_shape, config.dump());
    BOOST_TEST(layer->output_shapes({{ksave::kUnknown, 3, 4, 3, 2}}).at(0).at(1) == c.expected_shape[1], config.dump());
    const Tensor expected = direct_conv3d_transpose(x, layer->get_weights().at(0), c.expected_shape, c.strides, c.same);
    BOOST_TEST(ksave::allclose(y, expected, 1e-5, 1e-6), config.dump());
  }
}

BOOST_AUTO_TEST_CASE(conv3d_transpose_config_gradients_and_formats) {
  const auto layer = layer_from("Conv3DTranspose", {{"filters", 2}, {"kernel_size", {2, 3, 1}}, {"strides", 2}});
  ksave::test::config_round_trips(layer);
  BOOST_TEST(layer->get_config()["output_padding"].is_null());
  layer->build(ksave::Shape{ksave::kUnknown, 2, 2, 2, 3});
  BOOST_TEST(layer->weights().at(0)->value().shape() == (ksave::Shape{2, 3, 1, 2, 3}));
  BOOST_CHECK_THROW(layer_from("Conv3DTranspose", {{"filters", 2}, {"kernel_size", 2}, {"groups", 2}}), ksave::Error);
  ksave::test::layer_gradients_match(
      layer_from("Conv3DTranspose", {{"filters", 2}, {"kernel_size", 2}, {"strides", {2, 1, 1}}, {"padding", "same"},
                                     {"bias_initializer", "ones"}}),
      {ramp({1, 2, 2, 2, 2})});
  ksave::test::check_weight_round_trips(
      ksave::test::sequential_of("Conv3DTranspose", {{"filters", 2}, {"kernel_size", 2}, {"strides", {2, 1, 2}}, {"padding", "same"}},
                                 {ksave::kUnknown, 2, 3, 2, 2}),
      {ramp({2, 2, 3, 2, 2})}, "conv3d_transpose");
}
