// BatchNormalization: y = (x - mean) / sqrt(var + epsilon) * gamma + beta over the feature
// axes (axis: int or list; default -1).
//   inference (training=false, or the layer frozen): the moving statistics;
//   training: the batch statistics (reduced over every other axis), and the moving ones updated
//   as moving = moving * momentum + batch * (1 - momentum).
// tf.keras 2 takes the fused kernel (FusedBatchNormV3) for 4-D inputs normalized on the channel
// axis (3 or 1); that kernel returns the batch variance with Bessel's correction n / (n - 1), and
// that corrected variance feeds the moving variance (the normalization itself uses the biased
// one). The non-fused path (other ranks) uses the biased variance for both. Both rules are here.
// Keras 3 has no fused path: its moving variance takes the biased batch variance at every rank
// (keras/src/layers/normalization/batch_normalization.py, call: moving_variance * momentum +
// variance * (1 - momentum), variance from ops.moments). A config with `synchronized`, which
// Keras 3's get_config always writes and tf-keras's never, is a Keras 3 layer and follows Keras 3;
// get_config writes the key back, so the layer keeps its Keras's rule through every format (the
// .keras writer adds no default for it: a tf-keras layer saved as .keras stays tf-keras's in
// ksave, though Keras 3 trains it with its own rule).
#include <array>
#include <limits>
#include <optional>
#include <set>
#include <string_view>

#include "ksave/config.hpp"
#include "ksave/inference_folding.hpp"
#include "ksave/ops.hpp"
#include "ksave/plugin.hpp"

namespace ksave::plugins {
namespace {

class BatchNormalization : public Layer, public ChannelAffineLayer, public NormalizationWithActivationLayer {
 public:
  explicit BatchNormalization(const Json& config) : Layer(config, "BatchNormalization") {
    ConfigReader r(config, describe());
    // get_config writes the axis back in the form it was given (an int or a list).
    const Json* axis = r.find("axis");
    axis_list_ = axis && axis->is_array();
    axes_ = r.int_list("axis", {-1});
    if (axes_.empty()) throw Error(describe() + ": axis must name at least one axis");
    momentum_ = r.get<double>("momentum", 0.99);
    epsilon_ = r.get<double>("epsilon", 1e-3);
    center_ = r.get<bool>("center", true);
    scale_ = r.get<bool>("scale", true);
    beta_initializer_ = get_initializer(r.get<Json>("beta_initializer", "zeros"));
    gamma_initializer_ = get_initializer(r.get<Json>("gamma_initializer", "ones"));
    moving_mean_initializer_ = get_initializer(r.get<Json>("moving_mean_initializer", "zeros"));
    moving_variance_initializer_ = get_initializer(r.get<Json>("moving_variance_initializer", "ones"));
    beta_regularizer_ = get_regularizer(r.get<Json>("beta_regularizer", nullptr));
    gamma_regularizer_ = get_regularizer(r.get<Json>("gamma_regularizer", nullptr));
    beta_constraint_ = get_constraint(r.get<Json>("beta_constraint", nullptr));
    gamma_constraint_ = get_constraint(r.get<Json>("gamma_constraint", nullptr));
    // Keras 1's `mode` 0 is this layer; modes 1 and 2 normalized per sample / always with batch
    // statistics and have no tf.keras equivalent.
    if (r.get<std::int64_t>("mode", 0) != 0)
      throw Error(describe() + ": Keras 1 BatchNormalization mode " + std::to_string(r.get<std::int64_t>("mode", 0)) +
                  " is not supported (only mode 0, the feature-wise normalization tf.keras has)");
    if (const Json* synchronized = r.find("synchronized")) keras3_synchronized_ = *synchronized;
    set_supports_masking(true);
  }

  std::string class_name() const override { return "BatchNormalization"; }
  // Keras creates its parameters with autocast=False and normalizes in float32 under a mixed policy.
  bool autocasts_variables() const override { return false; }

  Json get_config() const override {
    Json c = Layer::get_config();
    if (axis_list_) {
      c["axis"] = axes_;
    } else {
      c["axis"] = axes_[0];
    }
    c["momentum"] = momentum_;
    c["epsilon"] = epsilon_;
    c["center"] = center_;
    c["scale"] = scale_;
    c["beta_initializer"] = serialize(beta_initializer_);
    c["gamma_initializer"] = serialize(gamma_initializer_);
    c["moving_mean_initializer"] = serialize(moving_mean_initializer_);
    c["moving_variance_initializer"] = serialize(moving_variance_initializer_);
    c["beta_regularizer"] = serialize(beta_regularizer_);
    c["gamma_regularizer"] = serialize(gamma_regularizer_);
    c["beta_constraint"] = serialize(beta_constraint_);
    c["gamma_constraint"] = serialize(gamma_constraint_);
    if (!keras3_synchronized_.is_null()) c["synchronized"] = keras3_synchronized_;
    return c;
  }

 protected:
  void build_impl(const std::vector<Shape>& shapes) override {
    if (shapes.size() != 1) throw Error(describe() + " takes one input, found " + std::to_string(shapes.size()));
    rank_ = static_cast<std::int64_t>(shapes[0].size());
    std::set<std::int64_t> normalized;
    for (std::int64_t a : axes_) {
      const std::int64_t axis = a < 0 ? a + rank_ : a;
      if (axis <= 0 || axis >= rank_ || shapes[0][static_cast<std::size_t>(axis)] < 0)
        throw Error(describe() + ": axis " + std::to_string(a) + " is not a known feature axis of input " +
                    shape_to_string(shapes[0]));
      normalized.insert(axis);
    }
    param_shape_.clear();
    broadcast_shape_.assign(static_cast<std::size_t>(rank_), 1);
    reduction_axes_.clear();
    for (std::int64_t i = 0; i < rank_; ++i) {
      if (normalized.count(i)) {
        param_shape_.push_back(shapes[0][static_cast<std::size_t>(i)]);
        broadcast_shape_[static_cast<std::size_t>(i)] = shapes[0][static_cast<std::size_t>(i)];
      } else {
        reduction_axes_.push_back(i);
      }
    }
    fused_ = keras3_synchronized_.is_null() && rank_ == 4 && normalized.size() == 1 &&
             (*normalized.begin() == 3 || *normalized.begin() == 1);
    if (scale_)
      gamma_ = add_weight({"gamma", param_shape_, DType::Float32, gamma_initializer_, gamma_regularizer_, gamma_constraint_, true});
    if (center_)
      beta_ = add_weight({"beta", param_shape_, DType::Float32, beta_initializer_, beta_regularizer_, beta_constraint_, true});
    moving_mean_ = add_weight({"moving_mean", param_shape_, DType::Float32, moving_mean_initializer_, nullptr, nullptr, false});
    moving_variance_ =
        add_weight({"moving_variance", param_shape_, DType::Float32, moving_variance_initializer_, nullptr, nullptr, false});
    affine_variables_.clear();
    for (const VariablePtr& v : {gamma_, beta_, moving_mean_, moving_variance_})
      if (v) affine_variables_.push_back(v);
  }

  Tensors call(const Tensors& inputs, const CallContext& ctx) override {
    const Tensor x = inputs.at(0).as_float();
    if (x.rank() != rank_) throw Error(describe() + " was built for rank " + std::to_string(rank_) + ", found " + shape_to_string(x.shape()));
    Tensor mean, variance;
    // A frozen layer (trainable false) normalizes with its moving statistics even in training, as
    // Keras 3 and tf.keras 2 do: the guide's frozen base stays in inference mode under fit().
    if (ctx.training && trainable()) {
      static const OpDef& op = find_op("FusedBatchNormTraining");
      if (std::optional<Tensor> y = fused_training_call(x, op, Attrs{{"epsilon", epsilon_}})) return {*y};
      mean = ops::mean(x, reduction_axes_, true);
      variance = ops::mean(ops::squared_difference(x, mean), reduction_axes_, true);
      update_moving_statistics(x, mean, variance);
    } else {
      mean = as_broadcast(moving_mean_->value());
      variance = as_broadcast(moving_variance_->value());
    }
    const Tensor inv = inverse_deviation(variance, gamma_ ? as_broadcast(gamma_->value()) : Tensor());
    Tensor y = ops::mul(ops::sub(x, mean), inv);
    if (beta_) y = ops::add(y, as_broadcast(beta_->value()));
    return {y};
  }

  // ---- inference folding (ksave/inference_folding.hpp) ----
  // With its moving statistics the layer is x * inv + (beta - mean * inv) per channel.
  bool is_channel_affine(bool training) const override {
    return built() && !(training && trainable()) && axes_.size() == 1 && (axes_[0] == -1 || axes_[0] == rank_ - 1);
  }
  std::span<const VariablePtr> affine_variables() const override { return affine_variables_; }
  Affine channel_affine() const override {
    const Tensor mean = moving_mean_->value();
    const Tensor inv = inverse_deviation(moving_variance_->value(), gamma_ ? gamma_->value() : Tensor());
    const Tensor shifted_mean = ops::mul(mean, inv);
    return {inv, beta_ ? ops::sub(beta_->value(), shifted_mean) : ops::neg(shifted_mean)};
  }

  // ---- training with the activation after it (ksave/inference_folding.hpp) ----
  // ReLU and ReLU(6) after a training normalization, in its op (FusedBatchNormReluTraining).
  std::optional<Tensor> call_with_activation(const Tensor& x, bool training, const char* activation) override {
    if (!built() || !(training && trainable()) || x.dtype() != DType::Float32 || x.rank() != rank_) return std::nullopt;
    const std::string_view name(activation);
    if (name != "relu" && name != "relu6") return std::nullopt;
    static const OpDef& op = find_op("FusedBatchNormReluTraining");
    const double max_value = name == "relu6" ? 6.0 : std::numeric_limits<double>::infinity();
    return fused_training_call(x, op, Attrs{{"epsilon", epsilon_}, {"max_value", max_value}});
  }

  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override { return {shapes.at(0)}; }

 private:
  std::string describe() const { return "layer '" + name() + "' (BatchNormalization)"; }
  Tensor as_broadcast(const Tensor& param) const { return ops::reshape(param, broadcast_shape_); }
  // gamma / sqrt(variance + epsilon) (gamma undefined: 1), the same float32 ops in the layer's
  // call and in its folded form.
  Tensor inverse_deviation(const Tensor& variance, const Tensor& gamma) const {
    const Tensor inv = ops::rsqrt(ops::add(variance, epsilon_));
    return gamma.defined() ? ops::mul(inv, gamma) : inv;
  }

  // Training over the last axis, when no graph tracer watches: the whole normalization and its
  // gradient as one op (FusedBatchNormTraining), as TensorFlow's FusedBatchNormV3 runs it.
  // `op` is FusedBatchNormTraining or, with an activation after it, FusedBatchNormReluTraining.
  std::optional<Tensor> fused_training_call(const Tensor& x, const OpDef& op, const Attrs& attrs) {
    if (!fused_ops_allowed() || reduction_axes_.size() + 1 != static_cast<std::size_t>(rank_) ||
        !(axes_.size() == 1 && (axes_[0] == -1 || axes_[0] == rank_ - 1)))
      return std::nullopt;
    const Tensor scale = gamma_ ? gamma_->value() : Tensor::filled(DType::Float32, param_shape_, 1.0);
    const Tensor offset = beta_ ? beta_->value() : Tensor::filled(DType::Float32, param_shape_, 0.0);
    const std::array<Tensor, 3> inputs{x, scale, offset};
    Tensors out = run_op(op, inputs, attrs);
    update_moving_statistics(x, out[1], out[2]);
    return std::move(out[0]);
  }

  // The moving statistics are state, not part of the differentiated computation: updated from
  // plain values after the batch statistics are known.
  void update_moving_statistics(const Tensor& x, const Tensor& mean, const Tensor& variance) {
    double count = 1.0;
    for (std::int64_t a : reduction_axes_) count *= static_cast<double>(x.dim(static_cast<int>(a)));
    const double bessel = fused_ && count > 1.0 ? count / (count - 1.0) : 1.0;
    auto blend = [&](const VariablePtr& moving, const Tensor& batch, double correction) {
      const Tensor b = batch.reshape(param_shape_).cast(DType::Float32);
      Tensor next = moving->value().clone();
      float* m = next.data<float>();
      const float* v = b.data<float>();
      for (std::int64_t i = 0; i < next.size(); ++i)
        m[i] = static_cast<float>(m[i] * momentum_ + v[i] * correction * (1.0 - momentum_));
      moving->assign(next);
    };
    blend(moving_mean_, mean, 1.0);
    blend(moving_variance_, variance, bessel);
  }

  std::vector<std::int64_t> axes_;
  bool axis_list_ = false;
  double momentum_ = 0.99, epsilon_ = 1e-3;
  bool center_ = true, scale_ = true;
  InitializerPtr beta_initializer_, gamma_initializer_, moving_mean_initializer_, moving_variance_initializer_;
  RegularizerPtr beta_regularizer_, gamma_regularizer_;
  ConstraintPtr beta_constraint_, gamma_constraint_;
  VariablePtr gamma_, beta_, moving_mean_, moving_variance_;
  std::vector<VariablePtr> affine_variables_;  // those of the four that exist
  std::int64_t rank_ = 0;
  Shape param_shape_, broadcast_shape_;
  std::vector<std::int64_t> reduction_axes_;
  bool fused_ = false;             // tf-keras's FusedBatchNormV3: the moving variance takes n / (n - 1)
  Json keras3_synchronized_;       // Keras 3's `synchronized`, null for a tf-keras layer (see the top)
};

void register_objects(PluginRegistrar& r) {
  // Keras 3's BatchNormalization writes one axis as a number and adds the synchronized and renorm
  // keys (tf-keras 2.21 writes renorm only when set). `synchronized` gets no default: it marks a
  // layer of Keras 3's and its moving-variance rule (see the top), which a tf-keras layer saved as
  // .keras is not.
  r.layer<BatchNormalization>("BatchNormalization")
      .keras3_form(Keras3Form()
                       .scalar_when_single({"axis"})
                       .keys({"name", "trainable", "dtype", "axis", "momentum", "epsilon", "center", "scale",
                              "beta_initializer", "gamma_initializer", "moving_mean_initializer",
                              "moving_variance_initializer", "beta_regularizer", "gamma_regularizer",
                              "beta_constraint", "gamma_constraint", "synchronized", "renorm", "renorm_clipping",
                              "renorm_momentum"})
                       .default_value("renorm", false)
                       .default_value("renorm_clipping", nullptr)
                       .default_value("renorm_momentum", 0.99));
}

}  // namespace
}  // namespace ksave::plugins

KSAVE_PLUGIN("batch_normalization", "0.1.0", ksave::plugins::register_objects)
