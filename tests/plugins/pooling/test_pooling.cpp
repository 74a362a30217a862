// MaxPooling1D/2D/3D, AveragePooling1D/2D/3D and Keras 3's adaptive pooling: configs (key order,
// Keras 1 spellings), hand cases (SAME averages count only the in-bounds cells, as TensorFlow),
// the tfjs oracle's avgpool_valid_and_same, op and layer gradients, and round trips through every
// format.
#define BOOST_TEST_MODULE pooling plugin
#include <boost/test/unit_test.hpp>

#include "../layer_checks/layer_checks.hpp"

using ksave::Json;
using ksave::Tensor;
using ksave::test::layer_from;
using ksave::test::ramp;

namespace {
std::vector<std::string> keys_of(const Json& c) {
  std::vector<std::string> keys;
  for (auto it = c.begin(); it != c.end(); ++it) keys.push_back(it.key());
  return keys;
}
Tensor grid(int h, int w) {
  std::vector<float> v;
  for (int i = 0; i < h * w; ++i) v.push_back(static_cast<float>(i + 1));
  return Tensor::from_vector<float>(v, {1, h, w, 1});
}
}  // namespace

BOOST_AUTO_TEST_CASE(configs_keys_defaults_and_round_trip) {
  const auto p2 = layer_from("MaxPooling2D", Json::object());
  BOOST_TEST(keys_of(p2->get_config()) == (std::vector<std::string>{"name", "trainable", "dtype", "pool_size", "padding", "strides", "data_format"}),
             boost::test_tools::per_element());
  BOOST_TEST(p2->get_config()["strides"].dump() == "[2,2]");  // defaults to pool_size
  const auto p1 = layer_from("AveragePooling1D", {{"pool_size", 3}});
  BOOST_TEST(keys_of(p1->get_config()) == (std::vector<std::string>{"name", "trainable", "dtype", "strides", "pool_size", "padding", "data_format"}),
             boost::test_tools::per_element());
  BOOST_TEST(p1->get_config()["strides"].dump() == "[3]");
  for (const auto& l : {p2, p1, layer_from("MaxPooling1D", {{"pool_size", 2}, {"strides", 1}, {"padding", "same"}}),
                        layer_from("AveragePooling2D", {{"pool_size", {3, 2}}, {"strides", {1, 2}}, {"data_format", "channels_first"}})})
    ksave::test::config_round_trips(l);
  // Keras 1.
  const auto old1 = layer_from("MaxPooling1D", {{"pool_length", 4}, {"stride", 2}, {"border_mode", "same"}});
  BOOST_TEST(old1->get_config()["pool_size"].dump() == "[4]");
  BOOST_TEST(old1->get_config()["strides"].dump() == "[2]");
  BOOST_TEST(old1->get_config()["padding"] == "same");
  const auto old2 = layer_from("MaxPooling2D", {{"pool_size", {2, 2}}, {"strides", nullptr}, {"border_mode", "valid"}, {"dim_ordering", "th"}});
  BOOST_TEST(old2->get_config()["data_format"] == "channels_first");
  BOOST_TEST(old2->get_config()["strides"].dump() == "[2,2]");
  BOOST_CHECK_THROW(layer_from("MaxPooling2D", {{"padding", "causal"}}), ksave::Error);
  BOOST_CHECK_THROW(layer_from("MaxPooling2D", {{"pool_size", 0}}), ksave::Error);
}

BOOST_AUTO_TEST_CASE(hand_computed_values) {
  const auto maxp = layer_from("MaxPooling2D", Json::object());
  BOOST_TEST((*maxp)(grid(4, 4)).to_vector<float>() == (std::vector<float>{6, 8, 14, 16}), boost::test_tools::per_element());
  // 3x3, pool 2, stride 2, SAME: one padded row/column at the bottom/right, not counted.
  const auto avg = layer_from("AveragePooling2D", {{"padding", "same"}});
  BOOST_TEST((*avg)(grid(3, 3)).to_vector<float>() == (std::vector<float>{3, 4.5f, 7.5f, 9}), boost::test_tools::per_element());
  const auto max_same = layer_from("MaxPooling2D", {{"padding", "same"}});
  BOOST_TEST((*max_same)(grid(3, 3)).to_vector<float>() == (std::vector<float>{5, 6, 8, 9}), boost::test_tools::per_element());
  // Negative values: SAME padding never wins a max.
  const Tensor neg = ksave::ops::neg(grid(3, 3));
  BOOST_TEST((*max_same)(neg).to_vector<float>() == (std::vector<float>{-1, -3, -7, -9}), boost::test_tools::per_element());
  // 1-D: (1, 5, 1), pool 2 stride 2 valid -> 2 outputs.
  const auto p1 = layer_from("MaxPooling1D", Json::object());
  const Tensor seq = Tensor::from_vector<float>({1, 5, 2, 4, 3}, {1, 5, 1});
  BOOST_TEST((*p1)(seq).to_vector<float>() == (std::vector<float>{5, 4}), boost::test_tools::per_element());
  BOOST_TEST(p1->output_shapes({{ksave::kUnknown, 5, 1}}).at(0) == (ksave::Shape{ksave::kUnknown, 2, 1}));
  const auto a1 = layer_from("AveragePooling1D", {{"pool_size", 2}, {"strides", 2}, {"padding", "same"}});
  BOOST_TEST((*a1)(seq).to_vector<float>() == (std::vector<float>{3, 3, 3}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(channels_first_equals_transposed_channels_last) {
  const auto last = layer_from("MaxPooling2D", {{"pool_size", 3}, {"strides", 2}, {"padding", "same"}});
  const auto first = layer_from("MaxPooling2D", {{"pool_size", 3}, {"strides", 2}, {"padding", "same"}, {"data_format", "channels_first"}});
  const Tensor x = ramp({2, 5, 6, 3});
  const Tensor expected = ksave::ops::transpose((*last)(x), {0, 3, 1, 2});
  BOOST_TEST(ksave::allclose((*first)(ksave::ops::transpose(x, {0, 3, 1, 2})), expected, 0.0, 0.0));
}

BOOST_AUTO_TEST_CASE(tfjs_oracle_avgpool_case) { ksave::test::check_oracle_predict_case("avgpool_valid_and_same"); }

BOOST_AUTO_TEST_CASE(max_pool_gradient_goes_to_the_first_maximum_of_each_window_per_channel) {
  // TensorFlow's rule for ties: the first position in row-major order holding the maximum. 70
  // channels (more than one block of the kernel's 64), 2x3 input, 2x2 windows at stride 1 (VALID):
  // channel c holds value (c % 3) at every position but one, a larger one (at position c % 6, none
  // when c % 7 == 0), so windows mix ties and single maxima.
  constexpr std::int64_t kChannels = 70, kH = 2, kW = 3;
  std::vector<float> x(static_cast<std::size_t>(kH * kW * kChannels));
  for (std::int64_t p = 0; p < kH * kW; ++p)
    for (std::int64_t c = 0; c < kChannels; ++c)
      x[static_cast<std::size_t>(p * kChannels + c)] = static_cast<float>(c % 3) + (c % 7 != 0 && p == c % 6 ? 5.0f : 0.0f);
  std::vector<float> dy(static_cast<std::size_t>(2 * kChannels));
  for (std::size_t i = 0; i < dy.size(); ++i) dy[i] = static_cast<float>(i + 1);
  const ksave::Attrs valid{{"ksize", std::vector<std::int64_t>{1, 2, 2, 1}}, {"strides", std::vector<std::int64_t>{1, 1, 1, 1}}, {"padding", std::string("VALID")}};
  const Tensor inputs[] = {Tensor::from_vector(x, {1, kH, kW, kChannels}), Tensor(), Tensor::from_vector(dy, {1, 1, 2, kChannels})};
  const std::vector<float> dx = ksave::run_op("MaxPoolGrad", inputs, valid).at(0).to_vector<float>();
  std::vector<float> expected(x.size(), 0.0f);
  for (std::int64_t ow = 0; ow < 2; ++ow)
    for (std::int64_t c = 0; c < kChannels; ++c) {
      std::int64_t best = -1;  // written out as TensorFlow states it
      for (std::int64_t h = 0; h < 2; ++h)
        for (std::int64_t w = ow; w < ow + 2; ++w) {
          const std::int64_t i = (h * kW + w) * kChannels + c;
          if (best < 0 || x[static_cast<std::size_t>(i)] > x[static_cast<std::size_t>(best)]) best = i;
        }
      expected[static_cast<std::size_t>(best)] += dy[static_cast<std::size_t>(ow * kChannels + c)];
    }
  BOOST_TEST(dx == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(op_and_layer_gradients_match_finite_differences) {
  const ksave::Attrs same{{"ksize", std::vector<std::int64_t>{1, 3, 2, 1}}, {"strides", std::vector<std::int64_t>{1, 2, 2, 1}}, {"padding", std::string("SAME")}};
  ksave::test::check_op_gradient("MaxPool", {ramp({2, 5, 5, 2}, 10.0f)}, same);
  ksave::test::check_op_gradient("AvgPool", {ramp({2, 5, 5, 2})}, same);
  ksave::Attrs grad_attrs = same;
  grad_attrs.set("orig_input_shape", std::vector<std::int64_t>{2, 5, 5, 2});
  ksave::test::check_op_gradient("AvgPoolGrad", {ramp({2, 3, 3, 2})}, grad_attrs);
  ksave::test::layer_gradients_match(layer_from("MaxPooling2D", {{"pool_size", 2}, {"strides", 1}}), {ramp({1, 4, 5, 2}, 10.0f)});
  ksave::test::layer_gradients_match(layer_from("AveragePooling1D", {{"pool_size", 3}, {"strides", 2}, {"padding", "same"}}), {ramp({2, 7, 2})});
  ksave::test::layer_gradients_match(layer_from("MaxPooling1D", {{"pool_size", 2}, {"data_format", "channels_first"}}), {ramp({2, 3, 6}, 10.0f)});
}

BOOST_AUTO_TEST_CASE(pooling_models_round_trip_through_every_format) {
  ksave::test::check_weight_round_trips(ksave::test::sequential_of_layers(Json::parse(R"([
    {"class_name": "MaxPooling2D", "config": {"pool_size": 3, "strides": 2, "padding": "same"}},
    {"class_name": "AveragePooling2D", "config": {"pool_size": 2, "strides": 1}}])"), {ksave::kUnknown, 7, 7, 2}),
                                        {ramp({2, 7, 7, 2})}, "pooling2d");
  ksave::test::check_weight_round_trips(ksave::test::sequential_of_layers(Json::parse(R"([
    {"class_name": "AveragePooling1D", "config": {"pool_size": 2}},
    {"class_name": "MaxPooling1D", "config": {"pool_size": 2, "padding": "same"}}])"), {ksave::kUnknown, 6, 3}),
                                        {ramp({2, 6, 3})}, "pooling1d");
}

// 3-D pooling against a direct loop over each window: the max, or the mean of the in-bounds
// cells (TensorFlow's SAME: the smaller half of the padding first, never counted).
namespace {
Tensor direct_pool3d(const Tensor& x, const std::vector<std::int64_t>& pool, const std::vector<std::int64_t>& strides, bool same,
                     bool max) {
  const std::vector<float> v = x.to_vector<float>();
  const ksave::Dim n = x.dim(0), c = x.dim(4);
  ksave::Dim in[3], out[3], before[3];
  for (std::size_t a = 0; a < 3; ++a) {
    in[a] = x.dim(static_cast<int>(a) + 1);
    out[a] = same ? (in[a] + strides[a] - 1) / strides[a] : (in[a] - pool[a]) / strides[a] + 1;
    before[a] = same ? std::max<ksave::Dim>((out[a] - 1) * strides[a] + pool[a] - in[a], 0) / 2 : 0;
  }
  std::vector<float> y;
  for (ksave::Dim b = 0; b < n; ++b)
    for (ksave::Dim o0 = 0; o0 < out[0]; ++o0)
      for (ksave::Dim o1 = 0; o1 < out[1]; ++o1)
        for (ksave::Dim o2 = 0; o2 < out[2]; ++o2)
          for (ksave::Dim ch = 0; ch < c; ++ch) {
            double acc = max ? -1e30 : 0.0;
            int count = 0;
            for (ksave::Dim k0 = 0; k0 < pool[0]; ++k0)
              for (ksave::Dim k1 = 0; k1 < pool[1]; ++k1)
                for (ksave::Dim k2 = 0; k2 < pool[2]; ++k2) {
                  const ksave::Dim i0 = o0 * strides[0] + k0 - before[0], i1 = o1 * strides[1] + k1 - before[1],
                                   i2 = o2 * strides[2] + k2 - before[2];
                  if (i0 < 0 || i0 >= in[0] || i1 < 0 || i1 >= in[1] || i2 < 0 || i2 >= in[2]) continue;
                  const double value = v[static_cast<std::size_t>((((b * in[0] + i0) * in[1] + i1) * in[2] + i2) * c + ch)];
                  acc = max ? std::max(acc, value) : acc + value;
                  ++count;
                }
            y.push_back(static_cast<float>(max ? acc : acc / count));
          }
  return Tensor::from_vector<float>(y, {n, out[0], out[1], out[2], c});
}
}  // namespace

BOOST_AUTO_TEST_CASE(pooling3d_matches_the_direct_window_loop) {
  const Tensor x = ramp({2, 5, 4, 5, 3}, 10.0f);
  for (const bool max : {true, false})
    for (const bool same : {false, true}) {
      const std::vector<std::int64_t> pool{3, 2, 2}, strides{2, 1, 2};
      const auto layer = layer_from(max ? "MaxPooling3D" : "AveragePooling3D",
                                    {{"pool_size", pool}, {"strides", strides}, {"padding", same ? "same" : "valid"}});
      const Tensor expected = direct_pool3d(x, pool, strides, same, max);
      const Tensor y = (*layer)(x);
      BOOST_TEST(layer->output_shapes({x.shape()}).at(0) == expected.shape());
      BOOST_TEST(ksave::allclose(y, expected, 1e-6, 1e-6), layer->class_name() << (same ? " same" : " valid"));
    }
}

BOOST_AUTO_TEST_CASE(pooling3d_configs_channels_first_gradients_and_formats) {
  const auto p3 = layer_from("MaxPooling3D", Json::object());
  BOOST_TEST(keys_of(p3->get_config()) == (std::vector<std::string>{"name", "trainable", "dtype", "pool_size", "padding", "strides", "data_format"}),
             boost::test_tools::per_element());
  BOOST_TEST(p3->get_config()["strides"].dump() == "[2,2,2]");
  ksave::test::config_round_trips(layer_from("AvgPool3D", {{"pool_size", {1, 2, 3}}, {"data_format", "channels_first"}}));
  const auto last = layer_from("AveragePooling3D", {{"pool_size", 2}, {"strides", 1}, {"padding", "same"}});
  const auto first = layer_from("AveragePooling3D", {{"pool_size", 2}, {"strides", 1}, {"padding", "same"}, {"data_format", "channels_first"}});
  const Tensor x = ramp({1, 3, 4, 3, 2});
  BOOST_TEST(ksave::allclose((*first)(ksave::ops::transpose(x, {0, 4, 1, 2, 3})), ksave::ops::transpose((*last)(x), {0, 4, 1, 2, 3}), 1e-6, 1e-6));
  ksave::test::layer_gradients_match(layer_from("MaxPooling3D", {{"pool_size", 2}, {"strides", 1}}), {ramp({1, 3, 3, 3, 2}, 10.0f)});
  ksave::test::layer_gradients_match(layer_from("AveragePooling3D", {{"pool_size", 2}, {"padding", "same"}}), {ramp({1, 3, 3, 3, 2})});
  ksave::test::check_weight_round_trips(ksave::test::sequential_of_layers(Json::parse(R"([
    {"class_name": "MaxPooling3D", "config": {"pool_size": 2, "strides": 1, "padding": "same"}},
    {"class_name": "AveragePooling3D", "config": {"pool_size": [1, 2, 2]}}])"), {ksave::kUnknown, 3, 4, 4, 2}),
                                        {ramp({2, 3, 4, 4, 2})}, "pooling3d");
}

// Keras 3's adaptive pooling against a direct loop over PyTorch's windows (output i of an axis of
// length `in` pooled to `out`: [floor(i * in / out), ceil((i + 1) * in / out))), shrinking and
// growing axes, both data formats; gradients; every format.
namespace {
Tensor direct_adaptive_pool2d(const Tensor& x, ksave::Dim out_h, ksave::Dim out_w, bool max) {
  const std::vector<float> v = x.to_vector<float>();
  const ksave::Dim n = x.dim(0), h = x.dim(1), w = x.dim(2), c = x.dim(3);
  auto start = [](ksave::Dim i, ksave::Dim in, ksave::Dim out) { return (i * in) / out; };
  auto end = [](ksave::Dim i, ksave::Dim in, ksave::Dim out) { return ((i + 1) * in + out - 1) / out; };
  std::vector<float> y;
  for (ksave::Dim b = 0; b < n; ++b)
    for (ksave::Dim oh = 0; oh < out_h; ++oh)
      for (ksave::Dim ow = 0; ow < out_w; ++ow)
        for (ksave::Dim ch = 0; ch < c; ++ch) {
          double acc = max ? -1e30 : 0.0;
          int count = 0;
          for (ksave::Dim i = start(oh, h, out_h); i < end(oh, h, out_h); ++i)
            for (ksave::Dim j = start(ow, w, out_w); j < end(ow, w, out_w); ++j) {
              const double value = v[static_cast<std::size_t>(((b * h + i) * w + j) * c + ch)];
              acc = max ? std::max(acc, value) : acc + value;
              ++count;
            }
          y.push_back(static_cast<float>(max ? acc : acc / count));
        }
  return Tensor::from_vector<float>(y, {n, out_h, out_w, c});
}
}  // namespace

BOOST_AUTO_TEST_CASE(adaptive_pooling_matches_the_direct_window_loop) {
  const Tensor x = ramp({2, 7, 5, 3}, 10.0f);
  for (const bool max : {true, false})
    for (const auto& size : {std::vector<std::int64_t>{3, 2}, std::vector<std::int64_t>{5, 5}, std::vector<std::int64_t>{9, 4}}) {
      const auto layer = layer_from(max ? "AdaptiveMaxPooling2D" : "AdaptiveAveragePooling2D", {{"output_size", size}});
      const Tensor expected = direct_adaptive_pool2d(x, size[0], size[1], max);
      BOOST_TEST(layer->output_shapes({{ksave::kUnknown, 7, 5, 3}}).at(0) == (ksave::Shape{ksave::kUnknown, size[0], size[1], 3}));
      BOOST_TEST(ksave::allclose((*layer)(x), expected, 1e-6, 1e-6), layer->class_name() << " " << size[0] << "x" << size[1]);
      const auto first = layer_from(layer->class_name(), {{"output_size", size}, {"data_format", "channels_first"}});
      BOOST_TEST(ksave::allclose((*first)(ksave::ops::transpose(x, {0, 3, 1, 2})), ksave::ops::transpose(expected, {0, 3, 1, 2}), 1e-6, 1e-6));
    }
  // 1-D and 3-D: the same windows on every axis (a 3-D input whose two last axes keep their length).
  const auto one = layer_from("AdaptiveAveragePooling1D", {{"output_size", 3}});
  const Tensor x1 = ramp({2, 7, 3});
  const Tensor as2d = direct_adaptive_pool2d(ksave::ops::expand_dims(x1, 2), 3, 1, false);
  BOOST_TEST(ksave::allclose((*one)(x1), ksave::ops::squeeze(as2d, {2}), 1e-6, 1e-6));
  const auto three = layer_from("AdaptiveMaxPooling3D", {{"output_size", {3, 4, 2}}});
  const Tensor x3 = ramp({1, 7, 4, 2, 2}, 10.0f);
  const Tensor expected3 = direct_adaptive_pool2d(ksave::ops::reshape(x3, {1, 7, 8, 2}), 3, 8, true);
  BOOST_TEST(ksave::allclose((*three)(x3), ksave::ops::reshape(expected3, {1, 3, 4, 2, 2}), 1e-6, 1e-6));
}

BOOST_AUTO_TEST_CASE(adaptive_pooling_configs_gradients_and_formats) {
  const auto layer = layer_from("AdaptiveAveragePooling2D", {{"output_size", 2}});
  BOOST_TEST(keys_of(layer->get_config()) == (std::vector<std::string>{"name", "trainable", "dtype", "output_size", "data_format"}),
             boost::test_tools::per_element());
  BOOST_TEST(layer->get_config()["output_size"].dump() == "[2,2]");
  ksave::test::config_round_trips(layer_from("AdaptiveMaxPooling1D", {{"output_size", {4}}, {"data_format", "channels_first"}}));
  for (const Json& bad : {Json::object(), Json{{"output_size", {2, 0}}}, Json{{"output_size", {2, 3, 4}}}}) {
    bool refused = false;
    try {
      layer_from("AdaptiveMaxPooling2D", bad);
    } catch (const ksave::Error& e) {
      refused = std::string(e.what()).find("output_size") != std::string::npos;
    }
    BOOST_TEST(refused, bad.dump());
  }
  ksave::test::layer_gradients_match(layer_from("AdaptiveMaxPooling2D", {{"output_size", {2, 3}}}), {ramp({1, 5, 7, 2}, 10.0f)});
  ksave::test::layer_gradients_match(layer_from("AdaptiveAveragePooling1D", {{"output_size", 4}}), {ramp({2, 6, 2})});
  ksave::test::check_weight_round_trips(ksave::test::sequential_of_layers(Json::parse(R"([
    {"class_name": "AdaptiveMaxPooling2D", "config": {"output_size": [3, 2]}},
    {"class_name": "AdaptiveAveragePooling2D", "config": {"output_size": 1}}])"), {ksave::kUnknown, 7, 5, 2}),
                                        {ramp({2, 7, 5, 2})}, "adaptive_pooling");
}
