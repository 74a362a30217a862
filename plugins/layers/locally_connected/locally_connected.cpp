// tf-keras's LocallyConnected1D and LocallyConnected2D: a convolution whose every output position
// has weights of its own, channels_last, valid padding (and same, which tf-keras allows for
// implementation 2 and 3), the kernel in the layout of the config's `implementation`:
//   1: (output positions, window · in_channels, filters)
//   2: (input..., in_channels, output..., filters), weights outside the windows unused
//   3: (pairs,) the values of a sparse matrix at its sorted (output, input) index pairs
// and the bias (output..., filters). Whatever the layout, the kernel is first gathered into
// (positions, window · in_channels, filters) (../common/local_windows.hpp), the input into
// patches the same way, and the outputs are one batched product per position: every step is
// an op of ksave's, so gradients reach the stored kernel in its own layout.
#include "../common/local_windows.hpp"
#include "../common/spatial_config.hpp"
#include "ksave/conformance.hpp"
#include "ksave/kernel_bias_options.hpp"
#include "ksave/ops.hpp"
#include "ksave/plugin.hpp"

namespace ksave::plugins {
namespace {

template <int Rank>
class LocallyConnected : public Layer {
 public:
  explicit LocallyConnected(const Json& config) : Layer(config, kName) {
    const ConfigReader r(config, describe());
    filters_ = r.require<std::int64_t>("filters");
    if (filters_ <= 0) throw Error(describe() + ": filters must be positive, found " + std::to_string(filters_));
    kernel_size_ = r.int_tuple("kernel_size", Rank, {});
    strides_ = r.int_tuple("strides", Rank, std::vector<std::int64_t>(Rank, 1), {"subsample", "subsample_length"});
    spatial::require_positive(kernel_size_, r, "kernel_size");
    spatial::require_positive(strides_, r, "strides");
    padding_ = spatial::padding(r, {"valid", "same"});
    data_format_ = spatial::data_format(r);
    if (data_format_ != "channels_last")
      throw Error(describe() + ": data_format channels_first is not supported, found '" + data_format_ + "'");
    activation_ = get_activation(r.get<Json>("activation", nullptr));
    options_ = KernelBiasOptions::read(r);
    implementation_ = r.get<std::int64_t>("implementation", 1);
    if (implementation_ < 1 || implementation_ > 3)
      throw Error(describe() + ": implementation must be 1, 2 or 3, found " + std::to_string(implementation_));
    if (implementation_ == 1 && padding_ != "valid")
      throw Error(describe() + ": padding '" + padding_ + "' needs implementation 2 or 3 (tf-keras's implementation 1 is valid only)");
  }

  std::string class_name() const override { return kName; }

  // tf-keras 2.21's key order.
  Json get_config() const override {
    Json c = Layer::get_config();
    c["filters"] = filters_;
    c["kernel_size"] = spatial::ints_json(kernel_size_);
    c["strides"] = spatial::ints_json(strides_);
    c["padding"] = padding_;
    c["data_format"] = data_format_;
    c["activation"] = serialize(activation_);
    options_.write(c);
    c["implementation"] = implementation_;
    return c;
  }

 protected:
  void build_impl(const std::vector<Shape>& shapes) override {
    const Shape& in = shapes.at(0);
    if (shapes.size() != 1 || static_cast<int>(in.size()) != Rank + 2)
      throw Error(describe() + " takes one input of rank " + std::to_string(Rank + 2) + " (batch, spatial..., channels), found " +
                  (shapes.empty() ? std::string("none") : shape_to_string(in)));
    geometry_.input.assign(in.begin() + 1, in.end() - 1);
    for (Dim d : geometry_.input)
      if (d <= 0) throw Error(describe() + ": the spatial axes of the input must be known, found " + shape_to_string(in));
    geometry_.kernel = kernel_size_;
    geometry_.strides = strides_;
    geometry_.same = padding_ == "same";
    geometry_.in_channels = in.back();
    geometry_.filters = filters_;
    const std::vector<std::int64_t> out = geometry_.output();
    for (Dim d : out)
      if (d <= 0) throw Error(describe() + ": the input " + shape_to_string(in) + " is smaller than the window");
    const Dim P = geometry_.positions(), K = geometry_.window(), C = geometry_.in_channels;
    Shape kernel_shape;
    if (implementation_ == 1) {
      kernel_shape = {P, K * C, filters_};
    } else if (implementation_ == 2) {
      kernel_shape.assign(geometry_.input.begin(), geometry_.input.end());
      kernel_shape.push_back(C);
      kernel_shape.insert(kernel_shape.end(), out.begin(), out.end());
      kernel_shape.push_back(filters_);
    } else {
      kernel_shape = {geometry_.sparse_size()};
    }
    indices_ = local_windows::Indices(geometry_, implementation_);
    kernel_ = add_weight(options_.kernel_spec(kernel_shape));
    if (options_.use_bias) {
      Shape bias_shape(out.begin(), out.end());
      bias_shape.push_back(filters_);
      bias_ = add_weight({"bias", bias_shape, DType::Float32, options_.bias_initializer, options_.bias_regularizer,
                          options_.bias_constraint, true});
    }
  }

  Tensors call(const Tensors& inputs, const CallContext&) override {
    const Tensor x = inputs.at(0).as_float();
    Shape expected{kUnknown};
    expected.insert(expected.end(), geometry_.input.begin(), geometry_.input.end());
    expected.push_back(geometry_.in_channels);
    if (x.rank() != Rank + 2 || !std::equal(x.shape().begin() + 1, x.shape().end(), expected.begin() + 1))
      throw Error(describe() + ": built for inputs " + shape_to_string(expected) + ", found " + shape_to_string(x.shape()));
    const Dim P = geometry_.positions(), K = geometry_.window(), C = geometry_.in_channels;
    const Tensor flat = ops::reshape(x, {-1, geometry_.input_positions(), C});
    const Tensor patches = ops::transpose(ops::reshape(ops::gather(flat, indices_.patch_inputs, 1), {-1, P, K * C}), {1, 0, 2});
    const Tensor kernels = local_windows::position_kernels(kernel_->value(), implementation_, geometry_, indices_);
    const Tensor per_position = ops::batch_matmul(patches, kernels);  // (P, batch, filters)
    Shape out_shape{-1};
    for (Dim d : geometry_.output()) out_shape.push_back(d);
    out_shape.push_back(filters_);
    Tensor y = ops::reshape(ops::transpose(per_position, {1, 0, 2}), out_shape);
    if (bias_) y = ops::add(y, bias_->value());
    y = activation_(y);
    if (options_.activity_regularizer)
      add_loss(ops::div((*options_.activity_regularizer)(y), Tensor::scalar(static_cast<float>(y.dim(0)))));
    return {y};
  }

  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override {
    Shape out{shapes.at(0).at(0)};
    for (Dim d : geometry_.output()) out.push_back(d);
    out.push_back(filters_);
    return {out};
  }

 private:
  static constexpr const char* kName = by_rank<Rank>("LocallyConnected1D", "LocallyConnected2D", "");

  std::string describe() const { return "layer '" + name() + "' (" + kName + ")"; }

  std::int64_t filters_ = 0, implementation_ = 1;
  std::vector<std::int64_t> kernel_size_, strides_;
  std::string padding_, data_format_;
  Activation activation_;
  KernelBiasOptions options_;
  local_windows::Geometry geometry_;
  local_windows::Indices indices_;  // made by build
  VariablePtr kernel_, bias_;
};

void register_objects(PluginRegistrar& r) {
  r.layer<LocallyConnected<1>>("LocallyConnected1D");
  r.layer<LocallyConnected<2>>("LocallyConnected2D");
}

}  // namespace
}  // namespace ksave::plugins

KSAVE_PLUGIN("locally_connected", "0.1.0", ksave::plugins::register_objects)

// What the conformance kit (ksave conform) builds these classes from where {} builds nothing.
namespace {

ksave::Json conformance_samples() {
  return ksave::ConformanceSamples()
      .layer("LocallyConnected1D", {{"filters", 2}, {"kernel_size", 2}, {"implementation", 3}, {"padding", "same"}})
      .layer("LocallyConnected2D", {{"filters", 2}, {"kernel_size", 2}, {"implementation", 2}})
      .json();
}

}  // namespace

KSAVE_CONFORMANCE_SAMPLES(conformance_samples)
