// Conv3D and Conv1D with groups: values against a direct loop over the 3-D window (TensorFlow's
// SAME rule written out: the smaller half of the padding first), configs, gradients and every
// format. The interop suite's conv3d case compares with real tf-keras and Keras 3.
#include <boost/test/unit_test.hpp>

#include <algorithm>

#include "../layer_checks/layer_checks.hpp"

using ksave::Dim;
using ksave::Json;
using ksave::Tensor;
using ksave::test::layer_from;
using ksave::test::ramp;

namespace {

struct Geometry {
  std::vector<std::int64_t> strides{1, 1, 1}, dilation{1, 1, 1};
  bool same = false;
  std::int64_t groups = 1;
};

// y[n, o0, o1, o2, f] = sum over the window and the group's channels, cell by cell.
Tensor direct_conv3d(const Tensor& x, const Tensor& kernel, const Geometry& g) {
  const std::vector<float> xv = x.to_vector<float>(), kv = kernel.to_vector<float>();
  const Dim n = x.dim(0), c = x.dim(4), f = kernel.dim(4), group_in = kernel.dim(3), group_out = f / g.groups;
  Dim in[3], k[3], out[3], before[3];
  for (int a = 0; a < 3; ++a) {
    in[a] = x.dim(a + 1);
    k[a] = kernel.dim(a);
    const Dim extent = (k[a] - 1) * g.dilation[static_cast<std::size_t>(a)] + 1, s = g.strides[static_cast<std::size_t>(a)];
    out[a] = g.same ? (in[a] + s - 1) / s : (in[a] - extent) / s + 1;
    before[a] = g.same ? std::max<Dim>((out[a] - 1) * s + extent - in[a], 0) / 2 : 0;
  }
  std::vector<float> y(static_cast<std::size_t>(n * out[0] * out[1] * out[2] * f), 0.0f);
  for (Dim b = 0; b < n; ++b)
    for (Dim o0 = 0; o0 < out[0]; ++o0)
      for (Dim o1 = 0; o1 < out[1]; ++o1)
        for (Dim o2 = 0; o2 < out[2]; ++o2)
          for (Dim fo = 0; fo < f; ++fo) {
            double acc = 0;
            const Dim group = fo / group_out;
            for (Dim k0 = 0; k0 < k[0]; ++k0)
              for (Dim k1 = 0; k1 < k[1]; ++k1)
                for (Dim k2 = 0; k2 < k[2]; ++k2) {
                  const Dim i0 = o0 * g.strides[0] + k0 * g.dilation[0] - before[0];
                  const Dim i1 = o1 * g.strides[1] + k1 * g.dilation[1] - before[1];
                  const Dim i2 = o2 * g.strides[2] + k2 * g.dilation[2] - before[2];
                  if (i0 < 0 || i0 >= in[0] || i1 < 0 || i1 >= in[1] || i2 < 0 || i2 >= in[2]) continue;
                  for (Dim ci = 0; ci < group_in; ++ci) {
                    const Dim channel = group * group_in + ci;
                    acc += xv[static_cast<std::size_t>((((b * in[0] + i0) * in[1] + i1) * in[2] + i2) * c + channel)] *
                           kv[static_cast<std::size_t>((((k0 * k[1] + k1) * k[2] + k2) * group_in + ci) * f + fo)];
                  }
                }
            y[static_cast<std::size_t>((((b * out[0] + o0) * out[1] + o1) * out[2] + o2) * f + fo)] = static_cast<float>(acc);
          }
  return Tensor::from_vector<float>(y, {n, out[0], out[1], out[2], f});
}

}  // namespace

BOOST_AUTO_TEST_CASE(conv3d_matches_the_direct_window_loop) {
  struct Case {
    Json config;
    Geometry geometry;
  };
  const std::vector<Case> cases = {
      {{{"filters", 3}, {"kernel_size", 2}}, {}},
      {{{"filters", 2}, {"kernel_size", {3, 2, 2}}, {"strides", {2, 1, 2}}, {"padding", "same"}},
       {.strides = {2, 1, 2}, .same = true}},
      {{{"filters", 2}, {"kernel_size", {2, 3, 1}}, {"dilation_rate", {2, 1, 1}}, {"padding", "same"}},
       {.dilation = {2, 1, 1}, .same = true}},
      {{{"filters", 4}, {"kernel_size", 2}, {"groups", 2}, {"strides", 2}}, {.strides = {2, 2, 2}, .groups = 2}},
  };
  const Tensor x = ramp({2, 5, 4, 5, 4});
  for (const Case& c : cases) {
    Json config = c.config;
    config["use_bias"] = false;
    const auto layer = layer_from("Conv3D", config);
    const Tensor y = (*layer)(x);
    const Tensor expected = direct_conv3d(x, layer->get_weights().at(0), c.geometry);
    BOOST_TEST(y.shape() == expected.shape(), config.dump());
    BOOST_TEST(layer->output_shapes({x.shape()}).at(0) == expected.shape(), config.dump());
    BOOST_TEST(ksave::allclose(y, expected, 1e-5, 1e-6), config.dump());
  }
}

BOOST_AUTO_TEST_CASE(conv3d_config_weights_and_channels_first) {
  const auto layer = layer_from("Conv3D", {{"filters", 2}, {"kernel_size", {2, 3, 1}}, {"bias_initializer", "ones"}});
  ksave::test::config_round_trips(layer);
  BOOST_TEST(layer->get_config()["kernel_size"].dump() == "[2,3,1]");
  layer->build(ksave::Shape{ksave::kUnknown, 4, 4, 4, 3});
  BOOST_TEST(layer->weights().at(0)->value().shape() == (ksave::Shape{2, 3, 1, 3, 2}));
  BOOST_CHECK_THROW(layer_from("Conv3D", {{"filters", 2}, {"kernel_size", 2}, {"padding", "causal"}}), ksave::Error);
  BOOST_CHECK_THROW(layer_from("Conv3D", {{"filters", 2}, {"kernel_size", {2, 2}}}), ksave::Error);
  const auto first = layer_from("Conv3D", {{"filters", 2}, {"kernel_size", {2, 3, 1}}, {"bias_initializer", "ones"},
                                           {"data_format", "channels_first"}});
  const Tensor x = ramp({1, 4, 4, 4, 3});
  first->build(ksave::Shape{1, 3, 4, 4, 4});
  first->set_weights(layer->get_weights());
  const Tensor expected = ksave::ops::transpose((*layer)(x), {0, 4, 1, 2, 3});
  BOOST_TEST(ksave::allclose((*first)(ksave::ops::transpose(x, {0, 4, 1, 2, 3})), expected, 1e-6, 1e-6));
}

BOOST_AUTO_TEST_CASE(conv3d_and_grouped_conv1d_gradients_match_finite_differences) {
  ksave::test::layer_gradients_match(
      layer_from("Conv3D", {{"filters", 2}, {"kernel_size", 2}, {"strides", {2, 1, 1}}, {"padding", "same"},
                            {"bias_initializer", "ones"}}),
      {ramp({1, 3, 3, 3, 2})});
  ksave::test::layer_gradients_match(layer_from("Conv1D", {{"filters", 4}, {"kernel_size", 2}, {"groups", 2}}),
                                     {ramp({2, 5, 4})});
}

BOOST_AUTO_TEST_CASE(grouped_conv1d_keeps_each_group_to_its_channels) {
  // Two groups: outputs 0-1 read input channels 0-1 only, so changing channels 2-3 leaves them.
  const auto layer = layer_from("Conv1D", {{"filters", 4}, {"kernel_size", 2}, {"groups", 2}});
  const Tensor x = ramp({1, 5, 4});
  const Tensor y = (*layer)(x);
  BOOST_TEST(layer->weights().at(0)->value().shape() == (ksave::Shape{2, 2, 4}));
  const Tensor changed = ksave::ops::concat({ksave::ops::slice(x, {0, 0, 0}, {1, 5, 2}), ksave::ops::mul(ksave::ops::slice(x, {0, 0, 2}, {1, 5, 2}), 3.0)}, 2);
  const Tensor z = (*layer)(changed);
  BOOST_TEST(ksave::allclose(ksave::ops::slice(y, {0, 0, 0}, {1, 4, 2}), ksave::ops::slice(z, {0, 0, 0}, {1, 4, 2}), 0, 0));
  BOOST_TEST(!ksave::allclose(ksave::ops::slice(y, {0, 0, 2}, {1, 4, 2}), ksave::ops::slice(z, {0, 0, 2}, {1, 4, 2}), 1e-3, 1e-3));
}

BOOST_AUTO_TEST_CASE(conv3d_weights_round_trip_through_every_format) {
  const auto model = ksave::test::sequential_of(
      "Conv3D", {{"filters", 3}, {"kernel_size", 2}, {"padding", "same"}, {"strides", {1, 2, 1}}, {"bias_initializer", "ones"}},
      {ksave::kUnknown, 3, 4, 3, 2});
  ksave::test::check_weight_round_trips(model, {ramp({2, 3, 4, 3, 2})}, "conv3d");
}
