// RMSprop as tf.keras 2.x's legacy optimizer runs it (float32). With momentum > 0 it is
// TensorFlow's ApplyRMSProp / ApplyCenteredRMSProp kernel, epsilon inside the square root:
//   ms += (g^2 - ms) * (1 - rho);  [mg += (g - mg) * (1 - rho)]
//   mom = mom * momentum + g * lr / sqrt(ms [- mg^2] + epsilon);  w -= mom
// With momentum = 0 Keras computes it in Python, epsilon outside the square root:
//   ms = rho * ms + (1 - rho) * g^2;  [mg = rho * mg + (1 - rho) * g]
//   w = w - lr * g / (sqrt(ms [- mg^2]) + epsilon)
// The Keras >= 2.11 and Keras 3 optimizers (new_optimizer_rules) always put epsilon inside the
// square root: w -= lr * g / sqrt(ms [- mg^2] + epsilon), momentum or not.
// Slots: "rms", then "momentum" when momentum > 0, then "mg" when centered.
#include <cmath>

#include "legacy_optimizer.hpp"
#include "registration.hpp"

namespace ksave::optimizers {
namespace {

class RMSprop final : public LegacyOptimizer {
 public:
  explicit RMSprop(const Json& config)
      : LegacyOptimizer("RMSprop", config, {"rho", "momentum", "epsilon", "centered"}, 0.001) {
    declare_hyper("rho", 0.9);
    declare_hyper("momentum", 0.0);
    has_momentum_ = reader().get<double>("momentum", 0.0) > 0.0;
    epsilon_ = read_epsilon(true);
    centered_ = read_bool("centered", false);
    new_rules_ = new_optimizer_rules();
  }

 protected:
  // Legacy sparse: ResourceSparseApply(Centered)RMSProp with momentum touches the looked-up rows
  // only; without momentum the slots decay everywhere and the variable moves at those rows.
  LegacySparseRows legacy_sparse_rows() const override {
    return has_momentum_ ? LegacySparseRows::LookedUp : LegacySparseRows::VariableLookedUp;
  }
  std::vector<SlotSpec> slot_specs() const override {
    std::vector<SlotSpec> specs{{"rms"}};
    if (has_momentum_) specs.push_back({"momentum"});
    if (centered_) specs.push_back({"mg"});
    return specs;
  }
  std::vector<SlotLoop> slot_loops() const override {
    return {{{{"rms", "_velocities", "velocity"}}},
            {{{"momentum", "_momentums", "momentum"}}},
            {{{"mg", "_average_gradients", "average_gradient"}}}};
  }

  void prepare_step(float lr_t, std::int64_t) override {
    lr_ = lr_t;
    rho_ = hyper("rho");
    // OptimizerV2 subtracts in float32 (its rho is a float32 variable); the new optimizers and
    // Keras 3 compute 1 - rho on the Python float and cast once: the two differ in the last
    // bit, which a centered RMSprop's v - mg^2 cancellation magnifies (measured: 3e-4 relative).
    const Json rho = serialize_hyper("rho");
    one_minus_rho_ = new_rules_ && rho.is_number() ? static_cast<float>(1.0 - rho.get<double>()) : 1.0f - rho_;
    momentum_ = hyper("momentum");
    eps_ = static_cast<float>(epsilon_.get<double>());
  }

  void update(const UpdateBuffers& b) const override {
    if (has_momentum_)
      update_with_momentum(b);
    else
      update_without_momentum(b);
  }

  void write_config(Json& c) const override {
    c["rho"] = serialize_hyper("rho");
    c["momentum"] = serialize_hyper("momentum");
    c["epsilon"] = epsilon_;
    c["centered"] = centered_;
  }

 private:
  void update_with_momentum(const UpdateBuffers& b) const {
    float* ms = b.slots[0];
    float* mom = b.slots[1];
    float* mg = centered_ ? b.slots[2] : nullptr;
    const float one_minus_rho = one_minus_rho_;
    for (std::size_t i = 0; i < b.size; ++i) {
      const float g = b.grad[i];
      ms[i] += (b.square(i) - ms[i]) * one_minus_rho;
      float denominator = ms[i] + eps_;
      if (mg) {
        mg[i] += (g - mg[i]) * one_minus_rho;
        denominator = (ms[i] - mg[i] * mg[i]) + eps_;
      }
      mom[i] = mom[i] * momentum_ + (g * lr_) / std::sqrt(denominator);
      b.var[i] -= mom[i];
    }
  }

  void update_without_momentum(const UpdateBuffers& b) const {
    float* ms = b.slots[0];
    float* mg = centered_ ? b.slots[1] : nullptr;
    const float one_minus_rho = one_minus_rho_;
    for (std::size_t i = 0; i < b.size; ++i) {
      const float g = b.grad[i];
      ms[i] = rho_ * ms[i] + one_minus_rho * b.square(i);
      float denominator = ms[i];
      if (mg) {
        mg[i] = rho_ * mg[i] + one_minus_rho * g;
        denominator = ms[i] - mg[i] * mg[i];
      }
      if (new_rules_)
        b.var[i] -= lr_ * g / std::sqrt(denominator + eps_);
      else
        b.var[i] = b.var[i] - lr_ * g / (std::sqrt(denominator) + eps_);
    }
  }

  Json epsilon_;
  bool has_momentum_ = false;
  bool centered_ = false;
  bool new_rules_ = false;
  float lr_ = 0, rho_ = 0, one_minus_rho_ = 0, momentum_ = 0, eps_ = 0;
};

void register_objects(PluginRegistrar& r) { register_optimizer<RMSprop>(r, "RMSprop"); }

}  // namespace
}  // namespace ksave::optimizers

KSAVE_PLUGIN("optimizer_rmsprop", "1.0.0", ksave::optimizers::register_objects)
