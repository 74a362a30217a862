// Keras 3's AdaptiveAveragePooling1D/2D/3D and AdaptiveMaxPooling1D/2D/3D: each spatial axis
// pooled to `output_size` positions, output i over [floor(i * in / out), ceil((i + 1) * in / out))
// (PyTorch's adaptive pooling; the bounds in float32, ksave/adaptive_pooling_window.hpp). A rectangular window's mean is the mean of its per-axis means and its max the max of its
// per-axis maxima, so the axes are pooled one after another, with slices and reductions that
// record on the tape and trace into graphs like any other op.
#include "adaptive_pooling.hpp"

#include "../common/spatial_config.hpp"
#include "ksave/adaptive_pooling_window.hpp"
#include "ksave/conformance.hpp"

namespace ksave::plugins {
namespace {

enum class Reduce { Max, Average };

// One axis of `x` pooled to `out` positions.
Tensor pool_axis(const Tensor& x, std::int64_t axis, Dim out, Reduce kind) {
  const Dim in = x.dim(axis);
  if (in == out) return x;  // every window is one position
  std::vector<Tensor> windows;
  windows.reserve(static_cast<std::size_t>(out));
  std::vector<std::int64_t> begin(static_cast<std::size_t>(x.rank()), 0), size(static_cast<std::size_t>(x.rank()), -1);
  for (Dim i = 0; i < out; ++i) {
    const AdaptiveWindow window_bounds = adaptive_pooling_window(i, in, out);
    begin[static_cast<std::size_t>(axis)] = window_bounds.start;
    size[static_cast<std::size_t>(axis)] = window_bounds.end - window_bounds.start;
    const Tensor window = ops::slice(x, begin, size);
    windows.push_back(kind == Reduce::Max ? ops::max(window, {axis}, true) : ops::mean(window, {axis}, true));
  }
  return ops::concat(windows, axis);
}

template <int Rank, Reduce Kind>
class AdaptivePooling : public Layer {
 public:
  static constexpr const char* kClass =
      Kind == Reduce::Max
          ? by_rank<Rank>("AdaptiveMaxPooling1D", "AdaptiveMaxPooling2D", "AdaptiveMaxPooling3D")
          : by_rank<Rank>("AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D", "AdaptiveAveragePooling3D");

  explicit AdaptivePooling(const Json& config) : Layer(config, kClass) {
    ConfigReader r(config, "layer '" + name() + "' (" + kClass + ")");
    output_size_ = r.int_tuple("output_size", Rank, {});
    spatial::require_positive(output_size_, r, "output_size");
    // Each output position becomes one slice: a size from a file is bounded before any is made.
    constexpr std::int64_t kLargestOutput = std::int64_t{1} << 20;
    for (const auto size : output_size_)
      if (size > kLargestOutput)
        throw Error(r.object() + ": output_size must be at most " + std::to_string(kLargestOutput) + ", found " +
                    spatial::ints_json(output_size_).dump());
    data_format_ = spatial::data_format(r);
  }

  std::string class_name() const override { return kClass; }

  Json get_config() const override {
    Json c = Layer::get_config();
    c["output_size"] = spatial::ints_json(output_size_);
    c["data_format"] = data_format_;
    return c;
  }

 protected:
  Tensors call(const Tensors& inputs, const CallContext&) override {
    Tensor x = inputs.at(0).as_float();
    check_rank(x.shape());
    for (std::size_t i = 0; i < Rank; ++i)
      x = pool_axis(x, static_cast<std::int64_t>(first_spatial_axis() + i), output_size_[i], Kind);
    return {x};
  }

  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override {
    Shape out = shapes.at(0);
    check_rank(out);
    for (std::size_t i = 0; i < Rank; ++i) out[first_spatial_axis() + i] = output_size_[i];
    return {out};
  }

 private:
  std::size_t first_spatial_axis() const { return data_format_ == "channels_first" ? 2 : 1; }
  void check_rank(const Shape& shape) const {
    if (shape.size() != Rank + 2)
      throw Error("layer '" + name() + "' (" + kClass + ") needs an input of rank " + std::to_string(Rank + 2) +
                  ", found " + shape_to_string(shape));
  }

  std::vector<std::int64_t> output_size_;
  std::string data_format_;
};

}  // namespace

void register_adaptive_pooling(PluginRegistrar& r) {
  // Keras 3's keys, in its order (it records a build_config for these layers, unlike plain pooling).
  const Keras3Form form = Keras3Form().keys({"name", "trainable", "dtype", "output_size", "data_format"});
  r.layer<AdaptivePooling<1, Reduce::Average>>("AdaptiveAveragePooling1D").keras3_form(form);
  r.layer<AdaptivePooling<2, Reduce::Average>>("AdaptiveAveragePooling2D").keras3_form(form);
  r.layer<AdaptivePooling<3, Reduce::Average>>("AdaptiveAveragePooling3D").keras3_form(form);
  r.layer<AdaptivePooling<1, Reduce::Max>>("AdaptiveMaxPooling1D").keras3_form(form);
  r.layer<AdaptivePooling<2, Reduce::Max>>("AdaptiveMaxPooling2D").keras3_form(form);
  r.layer<AdaptivePooling<3, Reduce::Max>>("AdaptiveMaxPooling3D").keras3_form(form);
}

}  // namespace ksave::plugins

// What the conformance kit (ksave conform) builds these classes from: output_size has no default.
namespace {

ksave::Json conformance_samples() {
  ksave::ConformanceSamples samples;
  for (const char* kind : {"Average", "Max"}) {
    const std::string prefix = std::string("Adaptive") + kind + "Pooling";
    samples.layer(prefix + "1D", {{"output_size", 3}}, {{.shape = {7, 2}}})
        .layer(prefix + "2D", {{"output_size", {2, 3}}}, {{.shape = {5, 4, 2}}})
        .layer(prefix + "3D", {{"output_size", {2, 2, 3}}}, {{.shape = {3, 4, 5, 2}}});
  }
  return samples.json();
}

}  // namespace

KSAVE_CONFORMANCE_SAMPLES(conformance_samples)
