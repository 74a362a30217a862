// Conv1DTranspose/Conv2DTranspose/Conv3DTranspose, DepthwiseConv1D/2D and SeparableConv1D/2D.
// The transposed convolution is the Conv2DBackpropInput op (the adjoint of Conv2D) with Keras's
// deconv output size, and for 3-D a sum of them over the kernel's depth taps (common/conv3d.hpp); depthwise is DepthwiseConv2dNative; separable is depthwise followed by a 1x1 Conv2D, as
// tf.nn.separable_conv2d. The 1-D layers run the same ops on an inserted height axis of 1, as
// tf-keras does. channels_first is read and run by transposing around the ops.
#include "../common/conv3d.hpp"
#include "../common/fused_product.hpp"
#include "../common/legacy_kernels.hpp"
#include "../common/spatial_config.hpp"
#include "ksave/conformance.hpp"
#include "ksave/plugin.hpp"

namespace ksave::plugins {
namespace {

// The keys the three layers share with Conv1D/Conv2D, read once; `rank` spatial axes.
struct WindowArgs {
  int rank = 2;
  std::vector<std::int64_t> kernel_size, strides, dilation_rate;
  std::string padding, data_format;
  Activation activation;
  bool use_bias = true;
  InitializerPtr bias_initializer;
  RegularizerPtr bias_regularizer, activity_regularizer;
  ConstraintPtr bias_constraint;

  WindowArgs(const ConfigReader& r, int spatial_rank) : rank(spatial_rank) {
    const std::vector<std::int64_t> ones(static_cast<std::size_t>(rank), 1);
    kernel_size = r.int_tuple("kernel_size", rank, {});
    strides = r.int_tuple("strides", rank, ones, {"subsample"});
    padding = spatial::padding(r, {"valid", "same"});
    data_format = spatial::data_format(r);
    dilation_rate = r.int_tuple("dilation_rate", rank, ones);
    spatial::require_positive(kernel_size, r, "kernel_size");
    spatial::require_positive(strides, r, "strides");
    spatial::require_positive(dilation_rate, r, "dilation_rate");
    activation = get_activation(r.get<Json>("activation", nullptr));
    use_bias = r.get<bool>("use_bias", true, {"bias"});
    bias_initializer = get_initializer(r.get<Json>("bias_initializer", "zeros"));
    bias_regularizer = get_regularizer(r.get<Json>("bias_regularizer", nullptr, {"b_regularizer"}));
    activity_regularizer = get_regularizer(r.get<Json>("activity_regularizer", nullptr));
    bias_constraint = get_constraint(r.get<Json>("bias_constraint", nullptr, {"b_constraint"}));
  }
  bool channels_first() const { return data_format == "channels_first"; }
  // The window over (height, width) of the 4-D form the ops see (height 1 for a 1-D layer; a
  // 3-D layer builds its own, common/conv3d.hpp).
  ops::Window2D window() const {
    if (rank == 1) return spatial::window(padding, 1, strides[0], 1, dilation_rate[0]);
    return spatial::window(padding, strides[0], strides[1], dilation_rate[0], dilation_rate[1]);
  }
  // tf-keras's Conv3DTranspose leaves dilation_rate out of its config (it is always 1 there).
  void write_window(Json& c) const {
    c["kernel_size"] = spatial::ints_json(kernel_size);
    c["strides"] = spatial::ints_json(strides);
    c["padding"] = padding;
    c["data_format"] = data_format;
    if (rank != 3) c["dilation_rate"] = spatial::ints_json(dilation_rate);
  }
};

// Base: bias, activation, activity regularizer and layout around a channels_last `convolve` of
// the 4-D form (a 1-D layer's input gets a height axis of 1 around it).
class WindowLayer : public Layer {
 public:
  WindowLayer(const Json& config, const std::string& cls, int spatial_rank)
      : Layer(config, cls), args_(ConfigReader(config, "layer '" + name() + "' (" + cls + ")"), spatial_rank) {}

 protected:
  virtual Tensor convolve(const Tensor& x) = 0;  // channels_last, rank 4 (rank 5 for a 3-D layer)
  virtual Dim output_channels(Dim in_channels) const = 0;

  std::size_t input_rank() const { return static_cast<std::size_t>(args_.rank) + 2; }
  // A kernel variable as the 2-D ops read it (a 1-D kernel gets a height axis of 1).
  Tensor planar(const VariablePtr& kernel) const {
    return args_.rank == 1 ? ops::expand_dims(kernel->value(), 0) : kernel->value();
  }
  // The kernel shape: the window's sizes, then `tail`.
  Shape kernel_shape(std::initializer_list<Dim> tail) const {
    Shape shape(args_.kernel_size.begin(), args_.kernel_size.end());
    shape.insert(shape.end(), tail);
    return shape;
  }

  Dim input_channels(const std::vector<Shape>& shapes, const std::string& cls) const {
    if (shapes.size() != 1 || shapes[0].size() != input_rank())
      throw Error("layer '" + name() + "' (" + cls + ") needs one input of rank " + std::to_string(input_rank()) +
                  ", found " + (shapes.empty() ? std::string("no input") : shape_to_string(shapes[0])));
    const Dim c = args_.channels_first() ? shapes[0][1] : shapes[0].back();
    if (c < 0) throw Error("layer '" + name() + "' (" + cls + "): the channel axis must be known");
    return c;
  }
  void add_bias(Dim channels) {
    if (args_.use_bias)
      bias_ = add_weight({"bias", {channels}, DType::Float32, args_.bias_initializer,
                          args_.bias_regularizer, args_.bias_constraint, true});
  }

  Tensors call(const Tensors& inputs, const CallContext&) override {
    Tensor y = spatial::in_channels_last(inputs.at(0).as_float(), args_.channels_first(),
                                         [&](const Tensor& x) {
                                           Tensor out = args_.rank == 1 ? ops::squeeze(convolve(ops::expand_dims(x, 1)), {1})
                                                                        : convolve(x);
                                           return bias_ ? ops::bias_add(out, bias_->value()) : out;
                                         });
    y = args_.activation(y);
    if (args_.activity_regularizer)
      add_loss(ops::div((*args_.activity_regularizer)(y), Tensor::scalar(static_cast<float>(y.dim(0)))));
    return {y};
  }

  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override {
    const Shape& in = shapes.at(0);
    if (in.size() != input_rank())
      throw Error("layer '" + name() + "' needs an input of rank " + std::to_string(input_rank()) + ", found " +
                  shape_to_string(in));
    Shape out = in;
    const std::size_t first = args_.channels_first() ? 2 : 1;
    for (std::size_t i = 0; i < args_.kernel_size.size(); ++i) out[first + i] = spatial_length(in[first + i], i);
    Dim& c = out[args_.channels_first() ? 1 : out.size() - 1];
    c = output_channels(c);
    return {out};
  }
  virtual Dim spatial_length(Dim in, std::size_t axis) const {
    return spatial::output_length(in, args_.kernel_size[axis], args_.padding, args_.strides[axis],
                                  args_.dilation_rate[axis]);
  }

  void write_tail(Json& c) const {
    c["activation"] = serialize(args_.activation);
    c["use_bias"] = args_.use_bias;
  }
  // A Conv's keys from "filters" to "bias_constraint", in tf-keras's order.
  void write_conv_keys(Json& c, std::int64_t filters, std::int64_t groups, const InitializerPtr& kernel_initializer,
                       const RegularizerPtr& kernel_regularizer, const ConstraintPtr& kernel_constraint) const {
    c["filters"] = filters;
    args_.write_window(c);
    c["groups"] = groups;
    write_tail(c);
    c["kernel_initializer"] = serialize(kernel_initializer);
    c["bias_initializer"] = serialize(args_.bias_initializer);
    c["kernel_regularizer"] = serialize(kernel_regularizer);
    c["bias_regularizer"] = serialize(args_.bias_regularizer);
    c["activity_regularizer"] = serialize(args_.activity_regularizer);
    c["kernel_constraint"] = serialize(kernel_constraint);
    c["bias_constraint"] = serialize(args_.bias_constraint);
  }

  WindowArgs args_;
  VariablePtr bias_;
};

// Keras's deconv_output_length, in arithmetic that refuses to overflow: strides or dilations of
// 2^62 from a hostile config would otherwise wrap around to any length.
Dim deconv_length(Dim in, std::int64_t k, const std::string& padding, std::optional<std::int64_t> output_padding,
                  std::int64_t stride, std::int64_t dilation) {
  if (in < 0) return in;
  bool overflow = false;
  auto mul = [&](std::int64_t a, std::int64_t b) {
    std::int64_t r = 0;
    overflow |= __builtin_mul_overflow(a, b, &r);
    return r;
  };
  auto add = [&](std::int64_t a, std::int64_t b) {
    std::int64_t r = 0;
    overflow |= __builtin_add_overflow(a, b, &r);
    return r;
  };
  const std::int64_t kd = add(k, mul(k - 1, dilation - 1));
  std::int64_t length = 0;
  if (!output_padding) {
    length = padding == "valid" ? add(mul(in, stride), std::max<std::int64_t>(kd - stride, 0)) : mul(in, stride);
  } else {
    const std::int64_t pad = padding == "same" ? kd / 2 : 0;
    length = add(add(mul(in - 1, stride), kd), add(-mul(2, pad), *output_padding));
  }
  if (overflow)
    throw Error("transposed convolution of length " + std::to_string(in) + " with kernel " + std::to_string(k) +
                ", stride " + std::to_string(stride) + " and dilation " + std::to_string(dilation) +
                ": the output length overflows");
  return length;
}

template <int Rank>
class ConvTranspose : public WindowLayer {
  static_assert(Rank >= 1 && Rank <= 3);

 public:
  static constexpr const char* kClass = by_rank<Rank>("Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose");

  explicit ConvTranspose(const Json& config) : WindowLayer(config, kClass, Rank) {
    const ConfigReader r_(config, "layer '" + name() + "' (" + kClass + ")");
    filters_ = r_.require<std::int64_t>("filters", {"nb_filter"});
    if (filters_ <= 0) throw Error(r_.object() + ": filters must be positive, found " + std::to_string(filters_));
    groups_ = r_.get<std::int64_t>("groups", 1);
    if (groups_ != 1) throw Error(r_.object() + ": " + kClass + " supports groups = 1 only, as Keras");
    if (const Json* op = r_.find("output_padding"); op && !op->is_null()) {
      const auto v = r_.int_tuple("output_padding", Rank, {});
      for (std::size_t i = 0; i < v.size(); ++i)
        if (v[i] < 0 || v[i] >= args_.strides[i])
          throw Error(r_.object() + ": output_padding " + spatial::ints_json(v).dump() + " must be smaller than strides");
      output_padding_ = v;
    }
    kernel_initializer_ = get_initializer(r_.get<Json>("kernel_initializer", "glorot_uniform", {"init"}));
    kernel_regularizer_ = get_regularizer(r_.get<Json>("kernel_regularizer", nullptr, {"W_regularizer"}));
    kernel_constraint_ = get_constraint(r_.get<Json>("kernel_constraint", nullptr, {"W_constraint"}));
  }
  std::string class_name() const override { return kClass; }

  // Keras 1's Deconvolution2D kernel in its own axis order; Theano's kernel order in any version.
  bool stored_weights_need_conversion(const std::vector<Shape>& stored, const std::string& keras_version) const override {
    return legacy::kernel_needs_conversion(*this, stored, keras_version, keras1_kernel_permutation());
  }
  std::vector<Tensor> convert_stored_weights(std::vector<Tensor> stored, const std::string& keras_version) const override {
    return legacy::convert_kernel(*this, std::move(stored), keras_version, keras1_kernel_permutation());
  }

  Json get_config() const override {
    Json c = Layer::get_config();
    write_conv_keys(c, filters_, groups_, kernel_initializer_, kernel_regularizer_, kernel_constraint_);
    c["output_padding"] = output_padding_ ? spatial::ints_json(*output_padding_) : Json(nullptr);
    return c;
  }

 protected:
  void build_impl(const std::vector<Shape>& shapes) override {
    const Dim c = input_channels(shapes, kClass);
    // Kernel [window..., filters, in]: the convolution filter whose adjoint this layer applies.
    kernel_ = add_weight({"kernel", kernel_shape({filters_, c}), DType::Float32, kernel_initializer_,
                          kernel_regularizer_, kernel_constraint_, true});
    add_bias(filters_);
  }
  Tensor convolve(const Tensor& x) override {
    if constexpr (Rank == 3) {
      const Shape out{x.dim(0), spatial_length(x.dim(1), 0), spatial_length(x.dim(2), 1), spatial_length(x.dim(3), 2), filters_};
      return spatial::conv3d_transpose(x, kernel_->value(), out, {args_.padding, args_.strides, args_.dilation_rate});
    }
    const Dim height = Rank == 1 ? 1 : spatial_length(x.dim(1), 0);
    const Shape out{x.dim(0), height, spatial_length(x.dim(2), Rank - 1), filters_};
    return ops::conv2d_backprop_input(out, planar(kernel_), x, args_.window());
  }
  Dim output_channels(Dim) const override { return filters_; }
  Dim spatial_length(Dim in, std::size_t axis) const override {
    return deconv_length(in, args_.kernel_size[axis], args_.padding,
                         output_padding_ ? std::optional<std::int64_t>((*output_padding_)[axis]) : std::nullopt,
                         args_.strides[axis], args_.dilation_rate[axis]);
  }

 private:
  // Keras 1 had Deconvolution2D only: its kernel (h, w, out, in) or, channels_first, (out, in, h, w).
  std::vector<std::int64_t> keras1_kernel_permutation() const {
    if (Rank != 2) return {};
    return args_.channels_first() ? std::vector<std::int64_t>{2, 3, 0, 1} : std::vector<std::int64_t>{0, 1, 3, 2};
  }

  std::int64_t filters_ = 0, groups_ = 1;
  std::optional<std::vector<std::int64_t>> output_padding_;
  InitializerPtr kernel_initializer_;
  RegularizerPtr kernel_regularizer_;
  ConstraintPtr kernel_constraint_;
  VariablePtr kernel_;
};

// The depthwise half both DepthwiseConv2D and SeparableConv2D have.
struct DepthwiseArgs {
  std::int64_t depth_multiplier = 1;
  InitializerPtr initializer;
  RegularizerPtr regularizer;
  ConstraintPtr constraint;
  explicit DepthwiseArgs(const ConfigReader& r) {
    depth_multiplier = r.get<std::int64_t>("depth_multiplier", 1);
    if (depth_multiplier < 1)
      throw Error(r.object() + ": depth_multiplier must be positive, found " + std::to_string(depth_multiplier));
    initializer = get_initializer(r.get<Json>("depthwise_initializer", "glorot_uniform"));
    regularizer = get_regularizer(r.get<Json>("depthwise_regularizer", nullptr));
    constraint = get_constraint(r.get<Json>("depthwise_constraint", nullptr));
  }
};

template <int Rank>
class DepthwiseConv : public WindowLayer, public FoldableProductLayer, public DepthwiseStageLayer {
  static_assert(Rank == 1 || Rank == 2);

 public:
  static constexpr const char* kClass = by_rank<Rank>("DepthwiseConv1D", "DepthwiseConv2D", "DepthwiseConv3D");

  explicit DepthwiseConv(const Json& config) : WindowLayer(config, kClass, Rank),
        depthwise_(ConfigReader(config, "layer '" + name() + "' (" + kClass + ")")) {
    if constexpr (Rank == 2) attrs_cache_.emplace(args_.window());
  }
  std::string class_name() const override { return kClass; }
  Json get_config() const override {
    Json c = Layer::get_config();
    args_.write_window(c);
    c["groups"] = 1;
    write_tail(c);
    c["bias_initializer"] = serialize(args_.bias_initializer);
    c["bias_regularizer"] = serialize(args_.bias_regularizer);
    c["activity_regularizer"] = serialize(args_.activity_regularizer);
    c["bias_constraint"] = serialize(args_.bias_constraint);
    c["depth_multiplier"] = depthwise_.depth_multiplier;
    c["depthwise_initializer"] = serialize(depthwise_.initializer);
    c["depthwise_regularizer"] = serialize(depthwise_.regularizer);
    c["depthwise_constraint"] = serialize(depthwise_.constraint);
    return c;
  }

  // Inference folding (ksave/inference_folding.hpp): DepthwiseConv2D, channels-last, as the
  // grouped FusedConv2D its [kh, kw, C, M] kernel is when viewed as [kh, kw, 1, C*M].
  // A zero padding before a 'valid' DepthwiseConv2D becomes its explicit padding.
  bool takes_zero_padding(std::size_t spatial_axes) const override {
    return Rank == 2 && spatial_axes == 2 && args_.padding == "valid" && !args_.channels_first();
  }
  // In training too: the call's own ops over the padded window (MobileNetV2's stride-2 blocks).
  std::optional<Tensor> call_with_zero_padding(const Tensor& x,
                                               std::span<const std::pair<Dim, Dim>> zero_padding) override {
    if (Rank != 2 || !takes_zero_padding(zero_padding.size()) ||
        !fused::can_fold(*this, x, !args_.channels_first(), args_.activation, args_.activity_regularizer))
      return std::nullopt;
    const Tensor y = ops::depthwise_conv2d(x, planar(kernel_), fused::with_zero_padding(args_.window(), zero_padding));
    return bias_ ? ops::bias_add(y, bias_->value()) : y;  // can_fold: no activation of its own
  }
  std::optional<Tensor> call_folded(const Tensor& x, const FoldedChain& chain) override {
    if (Rank != 2 || !fused::can_fold(*this, x, !args_.channels_first(), args_.activation, args_.activity_regularizer) ||
        (!chain.zero_padding.empty() && !takes_zero_padding(chain.zero_padding.size())))
      return std::nullopt;
    const FoldedWeights::Folded w = folded_weights(chain);
    const Attrs epilogue = fused::activation_attrs(chain.activation);
    if (const Attrs* attrs = attrs_cache_->find(chain.zero_padding, epilogue))
      return fused::conv2d(x, fused::view(w), *attrs);
    return fused::conv2d(x, fused::view(w), fused::with_zero_padding(args_.window(), chain.zero_padding), epilogue);
  }

 protected:
  void build_impl(const std::vector<Shape>& shapes) override {
    const Dim c = input_channels(shapes, kClass);
    kernel_ = add_weight({"depthwise_kernel", kernel_shape({c, depthwise_.depth_multiplier}), DType::Float32,
                          depthwise_.initializer, depthwise_.regularizer, depthwise_.constraint, true});
    add_bias(c * depthwise_.depth_multiplier);
  }
  Tensor convolve(const Tensor& x) override { return ops::depthwise_conv2d(x, planar(kernel_), args_.window()); }
  Dim output_channels(Dim in) const override { return in < 0 ? in : in * depthwise_.depth_multiplier; }

 public:
  // As a stage inside the 1x1 convolution before it (ksave/depthwise_stage.hpp): the forms oneDNN
  // fuses — a 3x3 window, one output per channel, no dilation, the same stride (1 or 2) on both
  // axes and the same padding before both — with a bias after folding, channels-last, float32.
  std::optional<DepthwiseStage> depthwise_stage(const Shape& input_shape, const FoldedChain& chain) override {
    const std::vector<std::int64_t>& k = args_.kernel_size;
    const std::vector<std::int64_t>& s = args_.strides;
    const std::vector<std::int64_t>& d = args_.dilation_rate;
    if (Rank != 2 || !built() || args_.channels_first() || !args_.activation.is_linear() || args_.activity_regularizer ||
        depthwise_.depth_multiplier != 1 || input_shape.size() != 4 || input_shape[1] < 1 || input_shape[2] < 1 ||
        k[0] != 3 || k[1] != 3 || d[0] != 1 || d[1] != 1 || s[0] != s[1] || s[0] > 2 || (!bias_ && !chain.affine) ||
        dtype() != DType::Float32 || (!chain.zero_padding.empty() && !takes_zero_padding(chain.zero_padding.size())))
      return std::nullopt;
    DepthwiseStage stage;
    stage.stride = s[0];
    const std::pair<Dim, Dim> pad_h = padding_of(chain, 0, input_shape[1]), pad_w = padding_of(chain, 1, input_shape[2]);
    if (pad_h.first != pad_w.first) return std::nullopt;
    stage.pad_top = pad_h.first;
    stage.pad_left = pad_w.first;
    stage.out_h = (input_shape[1] + pad_h.first + pad_h.second - 3) / stage.stride + 1;
    stage.out_w = (input_shape[2] + pad_w.first + pad_w.second - 3) / stage.stride + 1;
    if (stage.out_h < 1 || stage.out_w < 1) return std::nullopt;
    FoldedWeights::Folded w = folded_weights(chain);
    stage.kernel = std::move(w.kernel);
    stage.bias = std::move(w.bias);
    stage.activation = chain.activation;
    return stage;
  }

 private:
  // The grouped [kh, kw, 1, C*M] kernel and the bias with the chain's normalization folded in.
  FoldedWeights::Folded folded_weights(const FoldedChain& chain) {
    const Tensor& k = kernel_->value();
    const Tensor grouped = k.reshape({k.dim(0), k.dim(1), 1, k.dim(2) * k.dim(3)});
    return fused::folded(folded_, grouped, bias_, chain.affine);
  }
  // {before, after} on spatial axis `axis` of an input `length` long: the chain's zero padding
  // ('valid'), or TensorFlow's SAME split (more after), or none.
  std::pair<Dim, Dim> padding_of(const FoldedChain& chain, std::size_t axis, Dim length) const {
    if (!chain.zero_padding.empty()) return chain.zero_padding[axis];
    if (args_.padding != "same") return {0, 0};
    const Dim stride = args_.strides[axis], out = (length + stride - 1) / stride;
    const Dim total = std::max<Dim>((out - 1) * stride + 3 - length, 0);
    return {total / 2, total - total / 2};
  }

  DepthwiseArgs depthwise_;
  VariablePtr kernel_;
  FoldedWeights folded_;  // kernel and bias with a following BatchNormalization folded in
  std::optional<fused::ConvAttrsCache> attrs_cache_;  // DepthwiseConv2D
};

template <int Rank>
class SeparableConv : public WindowLayer {
  static_assert(Rank == 1 || Rank == 2);

 public:
  static constexpr const char* kClass = by_rank<Rank>("SeparableConv1D", "SeparableConv2D", "SeparableConv3D");

  explicit SeparableConv(const Json& config) : WindowLayer(config, kClass, Rank),
        depthwise_(ConfigReader(config, "layer '" + name() + "' (" + kClass + ")")) {
    const ConfigReader r_(config, "layer '" + name() + "' (" + kClass + ")");
    filters_ = r_.require<std::int64_t>("filters");
    if (filters_ <= 0) throw Error(r_.object() + ": filters must be positive, found " + std::to_string(filters_));
    pointwise_initializer_ = get_initializer(r_.get<Json>("pointwise_initializer", "glorot_uniform"));
    pointwise_regularizer_ = get_regularizer(r_.get<Json>("pointwise_regularizer", nullptr));
    pointwise_constraint_ = get_constraint(r_.get<Json>("pointwise_constraint", nullptr));
    // tf-keras's SeparableConv1D/2D is a Conv: it takes, keeps and writes the kernel options
    // its two kernels never use.
    kernel_initializer_ = get_initializer(r_.get<Json>("kernel_initializer", "glorot_uniform"));
    kernel_regularizer_ = get_regularizer(r_.get<Json>("kernel_regularizer", nullptr));
    kernel_constraint_ = get_constraint(r_.get<Json>("kernel_constraint", nullptr));
  }
  std::string class_name() const override { return kClass; }
  // tf-keras 2.21's order (measured with to_json): Conv's keys with groups and the kernel
  // options, then the depthwise and pointwise ones.
  Json get_config() const override {
    Json c = Layer::get_config();
    write_conv_keys(c, filters_, 1, kernel_initializer_, kernel_regularizer_, kernel_constraint_);
    c["depth_multiplier"] = depthwise_.depth_multiplier;
    c["depthwise_initializer"] = serialize(depthwise_.initializer);
    c["pointwise_initializer"] = serialize(pointwise_initializer_);
    c["depthwise_regularizer"] = serialize(depthwise_.regularizer);
    c["pointwise_regularizer"] = serialize(pointwise_regularizer_);
    c["depthwise_constraint"] = serialize(depthwise_.constraint);
    c["pointwise_constraint"] = serialize(pointwise_constraint_);
    return c;
  }

 protected:
  void build_impl(const std::vector<Shape>& shapes) override {
    const Dim c = input_channels(shapes, kClass);
    const Dim m = depthwise_.depth_multiplier;
    depthwise_kernel_ = add_weight({"depthwise_kernel", kernel_shape({c, m}), DType::Float32, depthwise_.initializer,
                                    depthwise_.regularizer, depthwise_.constraint, true});
    Shape pointwise(static_cast<std::size_t>(Rank), 1);
    pointwise.insert(pointwise.end(), {c * m, filters_});
    pointwise_kernel_ = add_weight({"pointwise_kernel", pointwise, DType::Float32, pointwise_initializer_,
                                    pointwise_regularizer_, pointwise_constraint_, true});
    add_bias(filters_);
  }
  Tensor convolve(const Tensor& x) override {
    return ops::conv2d(ops::depthwise_conv2d(x, planar(depthwise_kernel_), args_.window()), planar(pointwise_kernel_));
  }
  Dim output_channels(Dim) const override { return filters_; }

 private:
  std::int64_t filters_ = 0;
  DepthwiseArgs depthwise_;
  InitializerPtr pointwise_initializer_, kernel_initializer_;
  RegularizerPtr pointwise_regularizer_, kernel_regularizer_;
  ConstraintPtr pointwise_constraint_, kernel_constraint_;
  VariablePtr depthwise_kernel_, pointwise_kernel_;
};

// Keras 3's forms: its keys in its order, no groups key while it is 1 (ksave's base class writes
// it; another value is kept for Keras 3 to refuse).
Keras3Form keras3_conv_form(std::vector<std::string> keys) { return Keras3Form().keys(std::move(keys)).dropped_when("groups", 1); }

void register_objects(PluginRegistrar& r) {
  const Keras3Form transpose = keras3_conv_form(
      {"name", "trainable", "dtype", "filters", "kernel_size", "strides", "padding", "output_padding", "data_format",
       "dilation_rate", "activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer",
       "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint"});
  r.layer<ConvTranspose<1>>("Conv1DTranspose", {"Convolution1DTranspose"}).keras3_form(transpose);
  r.layer<ConvTranspose<2>>("Conv2DTranspose", {"Deconvolution2D", "Convolution2DTranspose"}).keras3_form(transpose);
  // tf-keras 2.21's Conv3DTranspose writes no dilation_rate.
  r.layer<ConvTranspose<3>>("Conv3DTranspose", {"Convolution3DTranspose"})
      .keras3_form(Keras3Form(transpose).default_value("dilation_rate", Json::array({1, 1, 1})));
  const Keras3Form depthwise = keras3_conv_form(
      {"name", "trainable", "dtype", "depth_multiplier", "kernel_size", "strides", "padding", "data_format",
       "dilation_rate", "activation", "use_bias", "depthwise_initializer", "bias_initializer", "depthwise_regularizer",
       "bias_regularizer", "activity_regularizer", "depthwise_constraint", "bias_constraint"});
  r.layer<DepthwiseConv<1>>("DepthwiseConv1D").keras3_form(depthwise);
  r.layer<DepthwiseConv<2>>("DepthwiseConv2D").keras3_form(depthwise);
  // Keras 3's separable convolutions have no kernel_* keys of the base class.
  const Keras3Form separable =
      keras3_conv_form({"name", "trainable", "dtype", "depth_multiplier", "filters", "kernel_size", "strides",
                        "padding", "data_format", "dilation_rate", "activation", "use_bias", "depthwise_initializer",
                        "pointwise_initializer", "bias_initializer", "depthwise_regularizer", "pointwise_regularizer",
                        "bias_regularizer", "activity_regularizer", "depthwise_constraint", "pointwise_constraint",
                        "bias_constraint"})
          .dropped({"kernel_initializer", "kernel_regularizer", "kernel_constraint"});
  r.layer<SeparableConv<1>>("SeparableConv1D", {"SeparableConvolution1D"}).keras3_form(separable);
  r.layer<SeparableConv<2>>("SeparableConv2D", {"SeparableConvolution2D"}).keras3_form(separable);
}

}  // namespace
}  // namespace ksave::plugins

KSAVE_PLUGIN("conv_variants", "0.1.0", ksave::plugins::register_objects)

// What the conformance kit (ksave conform) builds these classes from where {} builds nothing or
// the inputs are not one float tensor.
namespace {

ksave::Json conformance_samples() {
  return ksave::ConformanceSamples()
      .layer("Conv1DTranspose", {{"filters", 2}, {"kernel_size", 2}})
      .layer("Conv2DTranspose", {{"filters", 2}, {"kernel_size", 2}})
      .layer("Conv3DTranspose", {{"filters", 2}, {"kernel_size", 2}})
      .layer("SeparableConv1D", {{"filters", 2}, {"kernel_size", 2}})
      .layer("SeparableConv2D", {{"filters", 2}, {"kernel_size", 2}})
      .layer("DepthwiseConv1D", {{"kernel_size", 2}})
      .layer("DepthwiseConv2D", {{"kernel_size", 2}})
      .json();
}

}  // namespace

KSAVE_CONFORMANCE_SAMPLES(conformance_samples)
