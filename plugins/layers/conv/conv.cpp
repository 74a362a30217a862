// Conv1D, Conv2D and Conv3D (and their Keras 1 names Convolution1D/2D/3D): a sliding-window
// cross-correlation through the Conv2D op; Conv1D runs it on an inserted height axis of 1, Conv3D
// as a sum of Conv2Ds over the kernel's depth taps (common/conv3d.hpp).
// Padding valid/same (and causal for Conv1D), strides, dilation, groups; channels_last, and
// channels_first by transposing around the op (Keras itself only runs channels_first on GPU).
#include "../common/conv3d.hpp"
#include "../common/fused_product.hpp"
#include "../common/legacy_kernels.hpp"
#include "../common/spatial_config.hpp"
#include "ksave/kernel_bias_options.hpp"
#include "ksave/conformance.hpp"
#include "ksave/plugin.hpp"

namespace ksave::plugins {
namespace {

// Keras 1's Convolution1D gives its input as input_dim (features) and input_length (steps),
// which the base Layer would read as a 2-D (None, input_dim) input: rewrite them into
// batch_input_shape (None, input_length, input_dim).
inline Json keras1_input_shape(const Json& config) {
  if (!config.is_object() || !config.contains("input_dim") || config["input_dim"].is_null() ||
      config.contains("batch_input_shape") || config.contains("input_shape"))
    return config;
  Json copy = config;
  const Json length = config.contains("input_length") ? config["input_length"] : Json(nullptr);
  copy["batch_input_shape"] = Json::array({nullptr, length, config["input_dim"]});
  copy.erase("input_dim");
  copy.erase("input_length");
  return copy;
}

template <int Rank>
class Conv : public Layer, public FoldableProductLayer, public DepthwiseStageHost {
  static_assert(Rank >= 1 && Rank <= 3);

 public:
  static constexpr const char* kClass = by_rank<Rank>("Conv1D", "Conv2D", "Conv3D");

  explicit Conv(const Json& config) : Layer(keras1_input_shape(config), kClass) {
    ConfigReader r(config, "layer '" + name() + "' (" + kClass + ")");
    filters_ = r.require<std::int64_t>("filters", {"nb_filter"});
    if (filters_ <= 0)
      throw Error(r.object() + ": filters must be positive, found " + std::to_string(filters_));
    kernel_size_ = read_kernel_size(r);
    strides_ = r.int_tuple("strides", Rank, std::vector<std::int64_t>(Rank, 1),
                           {Rank == 1 ? "subsample_length" : "subsample"});
    padding_ = spatial::padding(r, Rank == 1 ? std::vector<std::string>{"valid", "same", "causal"}
                                             : std::vector<std::string>{"valid", "same"});
    data_format_ = spatial::data_format(r);
    dilation_rate_ = r.int_tuple("dilation_rate", Rank, std::vector<std::int64_t>(Rank, 1),
                                 {"atrous_rate"});
    groups_ = r.get<std::int64_t>("groups", 1);
    spatial::require_positive(kernel_size_, r, "kernel_size");
    spatial::require_positive(strides_, r, "strides");
    spatial::require_positive(dilation_rate_, r, "dilation_rate");
    if (groups_ < 1 || filters_ % groups_ != 0)
      throw Error(r.object() + ": groups (" + std::to_string(groups_) +
                  ") must be positive and divide filters (" + std::to_string(filters_) + ")");
    activation_ = get_activation(r.get<Json>("activation", nullptr));
    options_ = KernelBiasOptions::read(r);
    if constexpr (Rank != 3) attrs_cache_.emplace(own_window());
  }

  std::string class_name() const override { return kClass; }

  // Keras 1's kernels: Conv1D's stored as a 2-D convolution's, channels_first Conv2D/Conv3D in
  // their own axis order; Theano's kernel order in any version.
  bool stored_weights_need_conversion(const std::vector<Shape>& stored, const std::string& keras_version) const override {
    if constexpr (Rank == 1)
      if (legacy::is_keras1(keras_version) && !stored.empty()) return true;
    return legacy::kernel_needs_conversion(*this, stored, keras_version, keras1_kernel_permutation());
  }
  std::vector<Tensor> convert_stored_weights(std::vector<Tensor> stored, const std::string& keras_version) const override {
    if constexpr (Rank == 1)
      if (legacy::is_keras1(keras_version) && !stored.empty() && stored[0].rank() == 4) stored[0] = keras1_conv1d_kernel(stored[0]);
    return legacy::convert_kernel(*this, std::move(stored), keras_version, keras1_kernel_permutation());
  }
  // The rank of the input and its last axis, as ksave's SavedModels have always recorded it.
  std::optional<InputSpec> input_spec(const Shape& input_shape) const override {
    return InputSpec{.ndim = static_cast<std::int64_t>(input_shape.size()), .axes = {{-1, input_shape.back()}}};
  }

  Json get_config() const override {
    Json c = Layer::get_config();
    c["filters"] = filters_;
    c["kernel_size"] = spatial::ints_json(kernel_size_);
    c["strides"] = spatial::ints_json(strides_);
    c["padding"] = padding_;
    c["data_format"] = data_format_;
    c["dilation_rate"] = spatial::ints_json(dilation_rate_);
    c["groups"] = groups_;
    c["activation"] = serialize(activation_);
    options_.write(c);
    return c;
  }

 protected:
  void build_impl(const std::vector<Shape>& shapes) override {
    if (shapes.size() != 1 || shapes[0].size() != Rank + 2)
      throw Error("layer '" + name() + "' (" + kClass + ") needs one input of rank " +
                  std::to_string(Rank + 2) + ", found " +
                  (shapes.empty() ? std::string("no input") : shape_to_string(shapes[0])));
    const Dim channels = channels_first() ? shapes[0][1] : shapes[0].back();
    if (channels < 0 || channels % groups_ != 0)
      throw Error("layer '" + name() + "' (" + kClass + "): the input's channel axis must be known and divisible by groups (" +
                  std::to_string(groups_) + "), found " + shape_to_string(shapes[0]));
    Shape kernel_shape(kernel_size_.begin(), kernel_size_.end());
    kernel_shape.push_back(channels / groups_);
    kernel_shape.push_back(filters_);
    kernel_ = add_weight(options_.kernel_spec(kernel_shape));
    if (options_.use_bias) bias_ = add_weight(options_.bias_spec(filters_));
  }

  Tensors call(const Tensors& inputs, const CallContext&) override {
    // Fused: bias and ReLU inside the convolution, on the channels-last output.
    // (Conv3D sums Conv2Ds over its depth taps: bias and activation come after.)
    const std::optional<fused::Epilogue> epilogue =
        Rank == 3 ? std::nullopt : fused::epilogue_for(activation_);
    std::optional<FusedTail> tail;
    if (epilogue) tail = FusedTail{bias_ ? &bias_->value() : nullptr, epilogue->attrs};
    Tensor y = spatial::in_channels_last(inputs.at(0).as_float(), channels_first(),
                                         [&](const Tensor& x) { return convolve(x, kernel_->value(), tail); });
    if (options_.use_bias && !epilogue)
      y = channels_first() ? ops::add(y, channel_bias(y.rank())) : ops::bias_add(y, bias_->value());
    if (!epilogue || !epilogue->applies_activation) y = activation_(y);
    if (options_.activity_regularizer)
      add_loss(ops::div((*options_.activity_regularizer)(y), Tensor::scalar(static_cast<float>(y.dim(0)))));
    return {y};
  }

  // Inference folding (ksave/inference_folding.hpp): Conv1D and Conv2D, channels-last; a zero
  // padding before a 'valid' convolution becomes its explicit padding.
  bool takes_zero_padding(std::size_t spatial_axes) const override {
    return Rank != 3 && spatial_axes == Rank && padding_ == "valid" && !channels_first();
  }
  std::optional<Tensor> call_folded(const Tensor& x, const FoldedChain& chain) override {
    if (Rank == 3 || !fused::can_fold(*this, x, !channels_first(), activation_, options_.activity_regularizer) ||
        (!chain.zero_padding.empty() && !takes_zero_padding(chain.zero_padding.size())) ||
        (chain.addend && !output_shape_is(x, chain.zero_padding, chain.addend->shape())))
      return std::nullopt;
    const FoldedWeights::Folded w = fused::folded(folded_, kernel_->value(), bias_, chain.affine);
    const Attrs attrs = fused::activation_attrs(chain.activation, chain.addend ? chain.activation_after_add : "linear");
    return convolve(x, w.kernel, FusedTail{w.bias.defined() ? &w.bias : nullptr, &attrs, chain.addend},
                    chain.zero_padding);
  }
  // Conv2D adds into an addend in place (FusedConv2D's fourth input).
  bool adds_in_place() const override { return Rank == 2; }

  // A 1x1 Conv2D (stride 1, one group) with the depthwise chain after it in one FusedConv2D
  // (ksave/depthwise_stage.hpp), MobileNetV2's expand and depthwise convolutions.
  std::optional<Tensor> call_folded_with_depthwise(const Tensor& x, const FoldedChain& chain, DepthwiseStageLayer& next,
                                                   const FoldedChain& next_chain) override {
    if (Rank != 2 || x.rank() != 4 || !chain.zero_padding.empty() || chain.addend || groups_ != 1 ||
        !std::ranges::all_of(kernel_size_, [](std::int64_t k) { return k == 1; }) ||
        !std::ranges::all_of(strides_, [](std::int64_t s) { return s == 1; }) ||
        !fused::can_fold(*this, x, !channels_first(), activation_, options_.activity_regularizer))
      return std::nullopt;
    Shape expanded = x.shape();
    expanded.back() = filters_;
    const std::optional<DepthwiseStage> stage = next.depthwise_stage(expanded, next_chain);
    if (!stage) return std::nullopt;
    const FoldedWeights::Folded w = fused::folded(folded_, kernel_->value(), bias_, chain.affine);
    const Attrs& attrs = depthwise_attrs_.find(own_window(), chain.activation, *stage);
    return fused::conv2d(x, {w.kernel, w.bias.defined() ? &w.bias : nullptr, nullptr, &*stage}, attrs);
  }

  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override {
    const Shape& in = shapes.at(0);
    if (in.size() != Rank + 2)
      throw Error("layer '" + name() + "' (" + kClass + ") needs an input of rank " +
                  std::to_string(Rank + 2) + ", found " + shape_to_string(in));
    Shape out = in;
    const std::size_t first_spatial = channels_first() ? 2 : 1;
    // Causal padding keeps the length, as same does.
    const std::string rule = padding_ == "causal" ? "same" : padding_;
    for (std::size_t i = 0; i < Rank; ++i)
      out[first_spatial + i] = spatial::output_length(in[first_spatial + i], kernel_size_[i], rule,
                                                      strides_[i], dilation_rate_[i]);
    out[channels_first() ? 1 : out.size() - 1] = filters_;
    return {out};
  }

 private:
  bool channels_first() const { return data_format_ == "channels_first"; }

  std::vector<std::int64_t> keras1_kernel_permutation() const {
    if (!channels_first() || Rank == 1) return {};
    if (Rank == 2) return {2, 3, 1, 0};  // (out, in, h, w) → (h, w, in, out)
    return {2, 3, 4, 1, 0};
  }

  // Keras 1.1 stored (filters, input_dim, length, 1); Keras 1.2 (length, 1, input_dim, filters).
  Tensor keras1_conv1d_kernel(Tensor kernel) const {
    const Shape& s = kernel.shape();
    if (s[0] != kernel_size_[0] || s[1] != 1 || s[3] != filters_) kernel = ops::transpose(kernel, {2, 3, 1, 0});
    const Shape& t = kernel.shape();
    return kernel.clone().reshape({t[0], t[2], t[3]});
  }

  std::vector<std::int64_t> read_kernel_size(const ConfigReader& r) const {
    // Keras 1 Convolution2D: nb_row, nb_col. Without them the error names kernel_size.
    if (Rank != 2 || r.has("kernel_size") || !r.has("nb_row"))
      return r.int_tuple("kernel_size", Rank, {}, {"filter_length"});
    return {r.require<std::int64_t>("nb_row"), r.require<std::int64_t>("nb_col")};
  }

  // The bias broadcast over a channels_first output.
  Tensor channel_bias(int rank) const {
    Shape shape(static_cast<std::size_t>(rank - 1), 1);
    shape[0] = filters_;
    return ops::reshape(bias_->value(), shape);
  }

  // What FusedConv2D does after the product: add `bias` (null: none), then `attrs`' activation,
  // then add the result into `addend` in place (null: none).
  struct FusedTail {
    const Tensor* bias;
    const Attrs* attrs;
    const Tensor* addend = nullptr;
  };

  // Whether a channels-last Conv2D of `x` with `zero_padding` before it gives `shape` (a residual
  // Add's other input has the output's shape, or the Add broadcasts and runs on its own).
  bool output_shape_is(const Tensor& x, std::span<const std::pair<Dim, Dim>> zero_padding, const Shape& shape) const {
    if (Rank != 2 || x.rank() != 4 || shape.size() != 4 || shape[0] != x.dim(0) || shape[3] != filters_) return false;
    for (std::size_t i = 0; i < 2; ++i) {
      const Dim padded = x.dim(static_cast<int>(i) + 1) +
                         (zero_padding.empty() ? 0 : zero_padding[i].first + zero_padding[i].second);
      if (spatial::output_length(padded, kernel_size_[i], padding_, strides_[i], dilation_rate_[i]) != shape[i + 1])
        return false;
    }
    return true;
  }

  // The window of the 2-D convolution this layer runs (Conv1D's on an inserted height axis of 1;
  // causal padding is done by a pad before it).
  ops::Window2D own_window() const {
    if constexpr (Rank == 2)
      return spatial::window(padding_, strides_[0], strides_[1], dilation_rate_[0], dilation_rate_[1]);
    return spatial::window(padding_ == "causal" ? "valid" : padding_, 1, strides_[0], 1, dilation_rate_[0]);
  }

  // Conv2D, or with a tail FusedConv2D, whose attributes are built once per window.
  Tensor conv2d(const Tensor& x, const Tensor& filter, std::span<const std::pair<Dim, Dim>> zero_padding,
                const std::optional<FusedTail>& tail) const {
    if (tail)
      if (const Attrs* attrs = attrs_cache_->find(zero_padding, *tail->attrs))
        return fused::conv2d(x, {filter, tail->bias, tail->addend}, *attrs);
    const ops::Window2D window = fused::with_zero_padding(own_window(), zero_padding);
    return tail ? fused::conv2d(x, {filter, tail->bias, tail->addend}, window, *tail->attrs)
                : ops::conv2d(x, filter, window);
  }

  // Channels-last convolution of x (rank Rank + 2) by `kernel` (the layer's, or folded), with
  // `zero_padding` of a folded chain as explicit padding.
  Tensor convolve(const Tensor& x, const Tensor& kernel, const std::optional<FusedTail>& tail,
                  std::span<const std::pair<Dim, Dim>> zero_padding = {}) const {
    if constexpr (Rank == 3) {
      return spatial::conv3d(x, kernel, {padding_, strides_, dilation_rate_});  // no fused form
    } else if constexpr (Rank == 2) {
      return conv2d(x, kernel, zero_padding, tail);
    } else {
      Tensor input = x;
      if (padding_ == "causal")
        // Causal: pad the start by the dilated kernel extent so no output sees the future.
        input = ops::pad(x, {{0, 0}, {dilation_rate_[0] * (kernel_size_[0] - 1), 0}, {0, 0}});
      const Tensor y = conv2d(ops::expand_dims(input, 1), ops::expand_dims(kernel, 0), zero_padding, tail);
      return ops::squeeze(y, {1});
    }
  }

  std::int64_t filters_ = 0;
  std::vector<std::int64_t> kernel_size_, strides_, dilation_rate_;
  std::string padding_, data_format_;
  std::int64_t groups_ = 1;
  Activation activation_;
  KernelBiasOptions options_;
  VariablePtr kernel_, bias_;
  FoldedWeights folded_;  // kernel and bias with a following BatchNormalization folded in
  mutable std::optional<fused::ConvAttrsCache> attrs_cache_;  // Conv1D and Conv2D (thread-safe)
  fused::DepthwiseAttrsCache depthwise_attrs_;                // with a depthwise stage (thread-safe)
};

void register_objects(PluginRegistrar& r) {
  r.layer<Conv<1>>("Conv1D", {"Convolution1D"});
  r.layer<Conv<2>>("Conv2D", {"Convolution2D"});
  r.layer<Conv<3>>("Conv3D", {"Convolution3D"});
}

}  // namespace
}  // namespace ksave::plugins

KSAVE_PLUGIN("conv", "0.1.0", ksave::plugins::register_objects)

// What the conformance kit (ksave conform) builds these classes from where {} builds nothing or
// the inputs are not one float tensor.
namespace {

ksave::Json conformance_samples() {
  return ksave::ConformanceSamples()
      .layer("Conv1D", {{"filters", 2}, {"kernel_size", 2}})
      .layer("Conv2D", {{"filters", 2}, {"kernel_size", 2}})
      .layer("Conv3D", {{"filters", 2}, {"kernel_size", 2}})
      .json();
}

}  // namespace

KSAVE_CONFORMANCE_SAMPLES(conformance_samples)
