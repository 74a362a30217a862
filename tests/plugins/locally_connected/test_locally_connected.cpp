// LocallyConnected1D/2D: each kernel layout (implementation 1, 2, 3) against the sums written
// out from tf-keras's definitions (conv_utils.conv_connected_inputs' ranges, the dense kernel of
// implementation 2, the sorted sparse pairs of implementation 3), valid and same padding,
// strides; Keras's weight names and shapes; the refusals; gradients reaching each layout;
// weights through every format. The interop suite (models.py's locally_connected) compares with
// real tf-keras 2.21.
#define BOOST_TEST_MODULE locally_connected
#include <boost/test/unit_test.hpp>

#include <algorithm>

#include "layer_zoo_support/layer_checks.hpp"

using namespace ksave;
using namespace ksave::test::zoo;

namespace {

// A 2-D problem; the 1-D layer is the same with height 1.
struct Problem {
  Dim H = 1, W = 6, C = 2, F = 3, kh = 1, kw = 3, sh = 1, sw = 2;
  bool same = false;
  Dim out(Dim in, Dim k, Dim s) const { return ((same ? in : in - k + 1) + s - 1) / s; }
  Dim oh() const { return out(H, kh, sh); }
  Dim ow() const { return out(W, kw, sw); }
  // conv_utils.conv_connected_inputs: [start, end) of the input read by output position `at`.
  std::pair<Dim, Dim> range(Dim in, Dim k, Dim at, Dim s) const {
    const Dim left = k / 2, right = k - left;
    Dim center = at * s;
    if (!same) center += left;
    return {std::max<Dim>(0, center - left), std::min(in, center + right)};
  }
};

// Expected outputs (batch, oh, ow, F) of x (batch, H, W, C) for the stored kernel of `impl`.
std::vector<float> reference(const Problem& p, const Tensor& x, const Tensor& kernel, const Tensor& bias, int impl) {
  const Dim batch = x.dim(0), oh = p.oh(), ow = p.ow();
  // Implementation 3's sorted (output index, input index) pairs.
  std::vector<std::pair<Dim, Dim>> pairs;
  for (Dim oy = 0; oy < oh; ++oy)
    for (Dim ox = 0; ox < ow; ++ox) {
      const auto [y0, y1] = p.range(p.H, p.kh, oy, p.sh);
      const auto [x0, x1] = p.range(p.W, p.kw, ox, p.sw);
      for (Dim y = y0; y < y1; ++y)
        for (Dim xx = x0; xx < x1; ++xx)
          for (Dim c = 0; c < p.C; ++c)
            for (Dim f = 0; f < p.F; ++f) pairs.emplace_back((oy * ow + ox) * p.F + f, (y * p.W + xx) * p.C + c);
    }
  std::sort(pairs.begin(), pairs.end());
  std::vector<float> out;
  const float* in = x.data<float>();
  const float* k = kernel.data<float>();
  for (Dim b = 0; b < batch; ++b)
    for (Dim oy = 0; oy < oh; ++oy)
      for (Dim ox = 0; ox < ow; ++ox)
        for (Dim f = 0; f < p.F; ++f) {
          double sum = bias.defined() ? bias.data<float>()[(oy * ow + ox) * p.F + f] : 0.0;
          const auto [y0, y1] = p.range(p.H, p.kh, oy, p.sh);
          const auto [x0, x1] = p.range(p.W, p.kw, ox, p.sw);
          const Dim position = oy * ow + ox;
          for (Dim y = y0; y < y1; ++y)
            for (Dim xx = x0; xx < x1; ++xx)
              for (Dim c = 0; c < p.C; ++c) {
                double w = 0;
                if (impl == 1) {
                  const Dim slot = ((y - y0) * p.kw + (xx - x0)) * p.C + c;
                  w = k[(position * p.kh * p.kw * p.C + slot) * p.F + f];
                } else if (impl == 2) {
                  w = k[((((y * p.W + xx) * p.C + c) * oh + oy) * ow + ox) * p.F + f];
                } else {
                  const auto at = std::lower_bound(pairs.begin(), pairs.end(),
                                                   std::make_pair(position * p.F + f, (y * p.W + xx) * p.C + c));
                  w = k[at - pairs.begin()];
                }
                sum += w * in[((b * p.H + y) * p.W + xx) * p.C + c];
              }
          out.push_back(static_cast<float>(sum));
        }
  return out;
}

Json config_of(const Problem& p, int rank, int impl, bool use_bias = true) {
  Json c = {{"name", "local"}, {"filters", p.F}, {"implementation", impl}, {"use_bias", use_bias},
            {"padding", p.same ? "same" : "valid"}};
  c["kernel_size"] = rank == 1 ? Json::array({p.kw}) : Json::array({p.kh, p.kw});
  c["strides"] = rank == 1 ? Json::array({p.sw}) : Json::array({p.sh, p.sw});
  return c;
}

LayerPtr built(const Problem& p, int rank, int impl, bool use_bias = true) {
  LayerPtr layer = layer_from(rank == 1 ? "LocallyConnected1D" : "LocallyConnected2D", config_of(p, rank, impl, use_bias));
  layer->build(rank == 1 ? Shape{kUnknown, p.W, p.C} : Shape{kUnknown, p.H, p.W, p.C});
  std::vector<Tensor> w;
  for (std::size_t i = 0; i < layer->weights().size(); ++i) w.push_back(random_tensor(layer->weights()[i]->shape(), 20 + static_cast<unsigned>(i)));
  layer->set_weights(w);
  return layer;
}

void check_against_reference(const Problem& p, int rank, int impl, bool use_bias = true) {
  BOOST_TEST_CONTEXT("rank " << rank << ", implementation " << impl << (p.same ? ", same" : ", valid")) {
    LayerPtr layer = built(p, rank, impl, use_bias);
    const Tensor x4 = random_tensor({3, p.H, p.W, p.C}, 5);
    const Tensor x = rank == 1 ? ops::reshape(x4, {3, p.W, p.C}) : x4;
    const Tensor y = (*layer)(x);
    const Shape expected_shape = rank == 1 ? Shape{3, p.ow(), p.F} : Shape{3, p.oh(), p.ow(), p.F};
    BOOST_TEST(y.shape() == expected_shape);
    const std::vector<Tensor> w = layer->get_weights();
    const std::vector<float> expected = reference(p, x4, w[0], use_bias ? w[1] : Tensor(), impl);
    BOOST_TEST(max_abs_difference(y, Tensor::from_vector<float>(expected, y.shape())) < 1e-5);
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_layout_computes_tf_keras_sums) {
  Problem two_d{.H = 5, .W = 4, .C = 2, .F = 3, .kh = 3, .kw = 2, .sh = 2, .sw = 1};
  for (int impl : {1, 2, 3}) check_against_reference(two_d, 2, impl);
  two_d.same = true;
  for (int impl : {2, 3}) check_against_reference(two_d, 2, impl, impl == 2);
  Problem one_d{.H = 1, .W = 7, .C = 2, .F = 3, .kh = 1, .kw = 3, .sh = 1, .sw = 2};
  for (int impl : {1, 2, 3}) check_against_reference(one_d, 1, impl);
  one_d.same = true;
  one_d.kw = 2;  // an even window: same padding reads one more step after than before
  for (int impl : {2, 3}) check_against_reference(one_d, 1, impl);
}

BOOST_AUTO_TEST_CASE(weights_have_tf_keras_names_and_shapes) {
  const Problem p{.H = 7, .W = 6, .C = 3, .F = 4, .kh = 3, .kw = 2, .sh = 2, .sw = 1, .same = false};
  // As tf-keras 2.21 builds them (measured): (15, 18, 4), (7, 6, 3, 3, 5, 4), (1080,); bias (3, 5, 4).
  const std::vector<Shape> kernels = {{15, 18, 4}, {7, 6, 3, 3, 5, 4}, {1080}};
  for (int impl : {1, 2, 3}) {
    LayerPtr layer = built(p, 2, impl);
    BOOST_TEST_REQUIRE(layer->weights().size() == 2u);
    BOOST_TEST(layer->weights()[0]->name() == "local/kernel:0");
    BOOST_TEST(layer->weights()[0]->shape() == kernels[static_cast<std::size_t>(impl - 1)]);
    BOOST_TEST(layer->weights()[1]->shape() == (Shape{3, 5, 4}));
  }
  Problem same = p;
  same.same = true;
  BOOST_TEST(built(same, 2, 3)->weights()[0]->shape() == (Shape{1320}));  // tf-keras: 1320
}

BOOST_AUTO_TEST_CASE(configs_round_trip_and_unsupported_forms_are_refused) {
  check_config_round_trip("LocallyConnected2D", Json::parse(R"({"name": "lc", "trainable": true, "dtype": "float32",
    "filters": 4, "kernel_size": [3, 2], "strides": [2, 1], "padding": "same", "data_format": "channels_last",
    "activation": "tanh", "use_bias": true,
    "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": null}},
    "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": null, "bias_regularizer": null,
    "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null, "implementation": 3})"));
  BOOST_CHECK_THROW(layer_from("LocallyConnected1D", {{"filters", 2}, {"kernel_size", 2}, {"padding", "same"}}), Error);
  BOOST_CHECK_THROW(layer_from("LocallyConnected2D", {{"filters", 2}, {"kernel_size", 2}, {"implementation", 4}}), Error);
  BOOST_CHECK_THROW(layer_from("LocallyConnected2D", {{"filters", 2}, {"kernel_size", 2}, {"data_format", "channels_first"}}),
                    Error);
  LayerPtr small = layer_from("LocallyConnected1D", {{"filters", 2}, {"kernel_size", 5}});
  BOOST_CHECK_THROW(small->build(Shape{kUnknown, 3, 2}), Error);  // the window is larger than the input
}

BOOST_AUTO_TEST_CASE(gradients_reach_every_layout) {
  const Problem p{.H = 3, .W = 4, .C = 2, .F = 2, .kh = 2, .kw = 2, .sh = 1, .sw = 2, .same = true};
  for (int impl : {2, 3}) check_layer_gradients("LocallyConnected2D " + std::to_string(impl), built(p, 2, impl), random_tensor({2, 3, 4, 2}, 3));
  Problem valid = p;
  valid.same = false;
  check_layer_gradients("LocallyConnected2D 1", built(valid, 2, 1), random_tensor({2, 3, 4, 2}, 3));
}

BOOST_AUTO_TEST_CASE(weights_round_trip_through_every_format) {
  const Problem p{.H = 1, .W = 6, .C = 2, .F = 3, .kh = 1, .kw = 3, .sh = 1, .sw = 2, .same = true};
  for (int impl : {1, 2, 3}) {
    Problem q = p;
    q.same = impl != 1;
    LayerPtr layer = layer_from("LocallyConnected1D", config_of(q, 1, impl));
    KerasTensor in = Input(Shape{6, 2}, "x");
    const auto model = std::make_shared<Functional>(KerasTensors{in}, KerasTensors{(*layer)(in)});
    check_weight_round_trips(model, {random_tensor({2, 6, 2}, 4)}, "locally_connected_" + std::to_string(impl));
  }
}
