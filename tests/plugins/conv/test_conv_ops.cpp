// The Conv2D, Conv2DBackpropInput, Conv2DBackpropFilter and DepthwiseConv2dNative ops: values
// against hand-computed cases and a direct-loop reference (strides, dilations, SAME/VALID/
// EXPLICIT, groups), TensorFlow's SAME padding rule, and every gradient by finite differences.
#define BOOST_TEST_MODULE conv plugin
#include <boost/test/unit_test.hpp>

#include "../layer_checks/layer_checks.hpp"

using ksave::Tensor;
using ksave::ops::Window2D;
using ksave::test::ramp;

namespace {

Tensor values(std::vector<float> v, ksave::Shape s) { return Tensor::from_vector<float>(v, std::move(s)); }

// Direct-loop Conv2D: NHWC input, HWIO filter with groups, padding before given explicitly.
Tensor reference_conv(const Tensor& x, const Tensor& f, const Window2D& w, std::int64_t pad_top,
                      std::int64_t pad_left, std::int64_t out_h, std::int64_t out_w) {
  const auto n = x.dim(0), h = x.dim(1), wd = x.dim(2), c = x.dim(3);
  const auto kh = f.dim(0), kw = f.dim(1), cg = f.dim(2), o = f.dim(3);
  const auto groups = c / cg, og = o / groups;
  Tensor y(ksave::DType::Float32, {n, out_h, out_w, o});
  const float* px = x.data<float>();
  const float* pf = f.data<float>();
  float* py = y.data<float>();
  for (std::int64_t b = 0; b < n; ++b)
    for (std::int64_t i = 0; i < out_h; ++i)
      for (std::int64_t j = 0; j < out_w; ++j)
        for (std::int64_t oc = 0; oc < o; ++oc) {
          const std::int64_t g = oc / og;
          double acc = 0;
          for (std::int64_t a = 0; a < kh; ++a)
            for (std::int64_t bb = 0; bb < kw; ++bb) {
              const std::int64_t ih = i * w.stride_h - pad_top + a * w.dilation_h;
              const std::int64_t iw = j * w.stride_w - pad_left + bb * w.dilation_w;
              if (ih < 0 || ih >= h || iw < 0 || iw >= wd) continue;
              for (std::int64_t ci = 0; ci < cg; ++ci)
                acc += px[((b * h + ih) * wd + iw) * c + g * cg + ci] * pf[((a * kw + bb) * cg + ci) * o + oc];
            }
          py[((b * out_h + i) * out_w + j) * o + oc] = static_cast<float>(acc);
        }
  return y;
}

// TF's SAME rule for one axis: {output size, padding before}.
std::pair<std::int64_t, std::int64_t> same(std::int64_t in, std::int64_t k, std::int64_t s, std::int64_t d) {
  const std::int64_t out = (in + s - 1) / s;
  const std::int64_t total = std::max<std::int64_t>((out - 1) * s + (k - 1) * d + 1 - in, 0);
  return {out, total / 2};
}

Window2D window(std::string padding, std::int64_t sh, std::int64_t sw, std::int64_t dh = 1, std::int64_t dw = 1) {
  Window2D w;
  w.padding = std::move(padding);
  w.stride_h = sh;
  w.stride_w = sw;
  w.dilation_h = dh;
  w.dilation_w = dw;
  return w;
}

ksave::Attrs attrs_of(const Window2D& w) {
  ksave::Attrs a{{"strides", std::vector<std::int64_t>{1, w.stride_h, w.stride_w, 1}},
                 {"dilations", std::vector<std::int64_t>{1, w.dilation_h, w.dilation_w, 1}},
                 {"padding", w.padding}};
  return a;
}

}  // namespace

BOOST_AUTO_TEST_CASE(conv2d_valid_hand_computed) {
  // 3x3 image 1..9, 2x2 kernel of ones: each output is the sum of a 2x2 block.
  const Tensor x = values({1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 3, 3, 1});
  const Tensor f = values({1, 1, 1, 1}, {2, 2, 1, 1});
  const Tensor y = ksave::ops::conv2d(x, f);
  BOOST_TEST(y.shape() == (ksave::Shape{1, 2, 2, 1}));
  BOOST_TEST(y.to_vector<float>() == (std::vector<float>{12, 16, 24, 28}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(conv2d_same_pads_the_odd_unit_bottom_right) {
  // 4x4 input, 3x3 kernel, stride 2: total padding 1, all of it at the bottom/right, so the
  // first output's window starts at (0, 0).
  std::vector<float> v(16);
  for (int i = 0; i < 16; ++i) v[static_cast<std::size_t>(i)] = static_cast<float>(i + 1);
  const Tensor x = values(v, {1, 4, 4, 1});
  const Tensor f = values(std::vector<float>(9, 1.0f), {3, 3, 1, 1});
  const Tensor y = ksave::ops::conv2d(x, f, window("SAME", 2, 2));
  // Windows: rows 0-2 x cols 0-2; rows 0-2 x cols 2-3 (+pad); rows 2-3 x cols 0-2; rows 2-3 x cols 2-3.
  BOOST_TEST(y.to_vector<float>() == (std::vector<float>{54, 45, 72, 54}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(conv2d_matches_the_direct_reference) {
  struct Case {
    ksave::Shape x, f;
    Window2D w;
  };
  const std::vector<Case> cases = {
      {{2, 7, 6, 3}, {3, 3, 3, 4}, window("VALID", 1, 1)},
      {{2, 7, 6, 3}, {3, 2, 3, 5}, window("SAME", 2, 3)},
      {{1, 8, 8, 2}, {4, 4, 2, 3}, window("SAME", 2, 2)},            // even kernel
      {{1, 9, 7, 2}, {3, 3, 2, 2}, window("SAME", 1, 1, 2, 3)},      // dilation
      {{2, 6, 6, 4}, {3, 3, 2, 6}, window("SAME", 1, 2)},            // 2 groups
      {{1, 5, 5, 3}, {3, 3, 1, 6}, window("VALID", 2, 1)},           // depthwise-like groups
      {{3, 4, 5, 2}, {1, 1, 2, 3}, window("VALID", 1, 1)},           // 1x1
  };
  for (const auto& c : cases) {
    const Tensor x = ramp(c.x, 1.0f, 3), f = ramp(c.f, 0.5f, 11);
    const Tensor y = ksave::ops::conv2d(x, f, c.w);
    std::int64_t oh, ow, pt = 0, pl = 0;
    if (c.w.padding == "SAME") {
      std::tie(oh, pt) = same(c.x[1], c.f[0], c.w.stride_h, c.w.dilation_h);
      std::tie(ow, pl) = same(c.x[2], c.f[1], c.w.stride_w, c.w.dilation_w);
    } else {
      oh = (c.x[1] - (c.f[0] - 1) * c.w.dilation_h - 1) / c.w.stride_h + 1;
      ow = (c.x[2] - (c.f[1] - 1) * c.w.dilation_w - 1) / c.w.stride_w + 1;
    }
    const Tensor expected = reference_conv(x, f, c.w, pt, pl, oh, ow);
    BOOST_TEST_CONTEXT(ksave::shape_to_string(c.x) << " * " << ksave::shape_to_string(c.f) << " " << c.w.padding) {
      BOOST_TEST(y.shape() == expected.shape());
      BOOST_TEST(ksave::allclose(y, expected, 1e-5, 1e-5), "max difference " << ksave::max_abs_difference(y, expected));
    }
  }
}

BOOST_AUTO_TEST_CASE(explicit_padding_equals_padding_first) {
  const Tensor x = ramp({1, 5, 4, 2}), f = ramp({3, 2, 2, 3}, 0.5f, 5);
  Window2D w = window("EXPLICIT", 2, 1);
  w.explicit_paddings = {1, 2, 0, 3};
  const Tensor padded = ksave::ops::pad(x, {{0, 0}, {1, 2}, {0, 3}, {0, 0}});
  BOOST_TEST(ksave::allclose(ksave::ops::conv2d(x, f, w), ksave::ops::conv2d(padded, f, window("VALID", 2, 1)), 1e-6, 1e-6));
}

BOOST_AUTO_TEST_CASE(depthwise_equals_per_channel_convolutions) {
  const Tensor x = ramp({2, 6, 5, 3}), f = ramp({3, 3, 3, 2}, 0.7f, 9);
  const Tensor y = ksave::ops::depthwise_conv2d(x, f, window("SAME", 1, 2));
  BOOST_TEST(y.shape() == (ksave::Shape{2, 6, 3, 6}));
  for (std::int64_t c = 0; c < 3; ++c) {
    const Tensor xc = ksave::ops::slice(x, {0, 0, 0, c}, {-1, -1, -1, 1});
    const Tensor fc = ksave::ops::reshape(ksave::ops::slice(f, {0, 0, c, 0}, {-1, -1, 1, -1}), {3, 3, 1, 2});
    const Tensor expected = ksave::ops::conv2d(xc, fc, window("SAME", 1, 2));
    const Tensor got = ksave::ops::slice(y, {0, 0, 0, 2 * c}, {-1, -1, -1, 2});
    BOOST_TEST(ksave::allclose(got, expected, 1e-5, 1e-6), "channel " << c);
  }
}

BOOST_AUTO_TEST_CASE(conv_op_gradients_match_finite_differences) {
  const std::vector<std::pair<Window2D, ksave::Shape>> setups = {
      {window("VALID", 1, 1), {3, 3, 2, 3}},
      {window("SAME", 2, 2), {3, 2, 2, 2}},
      {window("SAME", 1, 1, 2, 1), {2, 3, 2, 2}},
      {window("VALID", 1, 2), {2, 2, 1, 4}},  // 2 groups
  };
  for (const auto& [w, fshape] : setups) {
    const Tensor x = ramp({2, 6, 5, 2}), f = ramp(fshape, 0.5f, 13);
    const ksave::Attrs a = attrs_of(w);
    BOOST_TEST_CONTEXT(w.padding << " filter " << ksave::shape_to_string(fshape)) {
      ksave::test::check_op_gradient("Conv2D", {x, f}, a);
      const Tensor y = ksave::ops::conv2d(x, f, w);
      const Tensor dy = ramp(y.shape(), 1.0f, 17);
      ksave::Attrs in_attrs = a;
      in_attrs.set("input_sizes", std::vector<std::int64_t>{2, 6, 5, 2});
      ksave::test::check_op_gradient("Conv2DBackpropInput", {f, dy}, in_attrs);
      ksave::Attrs filter_attrs = a;
      filter_attrs.set("filter_sizes", std::vector<std::int64_t>(fshape.begin(), fshape.end()));
      ksave::test::check_op_gradient("Conv2DBackpropFilter", {x, dy}, filter_attrs);
    }
  }
  ksave::test::check_op_gradient("DepthwiseConv2dNative", {ramp({1, 5, 5, 2}), ramp({3, 3, 2, 2}, 0.5f, 3)},
                                 attrs_of(window("SAME", 2, 1)));
}

// A stride-1 depthwise convolution's input gradient runs as a forward depthwise convolution of dy
// with the turned filter (off the tape): against central differences and against
// Conv2DBackpropInput, for symmetric, asymmetric (an even kernel's SAME), valid and dilated
// windows.
BOOST_AUTO_TEST_CASE(stride_one_depthwise_input_gradient_matches_backprop_input) {
  const std::vector<std::pair<Window2D, ksave::Shape>> setups = {
      {window("SAME", 1, 1), {3, 3, 3, 1}},     {window("VALID", 1, 1), {3, 3, 3, 1}},
      {window("SAME", 1, 1), {2, 4, 3, 1}},     {window("SAME", 1, 1, 2, 2), {3, 3, 3, 1}},
      {window("VALID", 1, 1, 1, 2), {2, 3, 3, 1}},
  };
  for (const auto& [w, fshape] : setups) {
    const Tensor x = ramp({2, 7, 6, 3}), f = ramp(fshape, 0.5f, 13);
    const ksave::Attrs a = attrs_of(w);
    BOOST_TEST_CONTEXT(w.padding << " filter " << ksave::shape_to_string(fshape) << " dilation " << w.dilation_h
                                 << "x" << w.dilation_w) {
      ksave::test::check_op_gradient("DepthwiseConv2dNative", {x, f}, a);
      const Tensor y = ksave::run_op("DepthwiseConv2dNative", std::vector<Tensor>{x, f}, a)[0];
      const Tensor dy = ramp(y.shape(), 1.0f, 17);
      const Tensor outputs[] = {y};
      const Tensor output_grads[] = {dy};
      const Tensor inputs[] = {x, f};
      const Tensor dx = ksave::find_op("DepthwiseConv2dNative").gradient(ksave::GradientContext{inputs, outputs, output_grads, a})[0];
      ksave::Attrs in_attrs = a;
      in_attrs.set("input_sizes", std::vector<std::int64_t>{2, 7, 6, 3});
      const Tensor grouped = ksave::ops::reshape(f, {fshape[0], fshape[1], 1, 3});
      const Tensor expected = ksave::run_op("Conv2DBackpropInput", std::vector<Tensor>{grouped, dy}, in_attrs)[0];
      BOOST_TEST(ksave::allclose(dx, expected, 1e-5, 1e-6));
    }
  }
}

BOOST_AUTO_TEST_CASE(bad_arguments_throw_with_the_op_name) {
  const Tensor x = ramp({1, 4, 4, 3});
  BOOST_CHECK_THROW(ksave::ops::conv2d(x, ramp({3, 3, 2, 4})), ksave::Error);  // 2 does not divide 3
  BOOST_CHECK_THROW(ksave::ops::conv2d(ramp({4, 4, 3}), ramp({3, 3, 3, 4})), ksave::Error);
  BOOST_CHECK_THROW(ksave::ops::conv2d(x, ramp({3, 3, 3, 4}), window("FULL", 1, 1)), ksave::Error);
  BOOST_CHECK_THROW(ksave::ops::conv2d(x, ramp({3, 3, 3, 4}), window("VALID", 0, 1)), ksave::Error);
  try {
    ksave::ops::conv2d(x, ramp({3, 3, 2, 4}));
  } catch (const ksave::Error& e) {
    BOOST_TEST(std::string(e.what()).find("Conv2D") != std::string::npos);
  }
}
