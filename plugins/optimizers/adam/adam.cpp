// Adam, as tf.keras 2.x's legacy optimizer runs it (TensorFlow's ApplyAdam kernels, float32):
//   m += (g - m) * (1 - beta_1);  v += (g^2 - v) * (1 - beta_2)
//   w -= m * lr_t / (sqrt(v) + epsilon),  lr_t = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)
// with beta^t = pow(beta, t) in float32 and t = iterations + 1 ("epsilon hat" placement).
// amsgrad keeps vhat = max(vhat, v) and divides by sqrt(vhat) instead.
#include <algorithm>
#include <cmath>

#include "legacy_optimizer.hpp"
#include "registration.hpp"

namespace ksave::optimizers {
namespace {

class Adam final : public LegacyOptimizer {
 public:
  explicit Adam(const Json& config)
      : LegacyOptimizer("Adam", config, {"beta_1", "beta_2", "epsilon", "amsgrad"}, 0.001) {
    declare_hyper("beta_1", 0.9);
    declare_hyper("beta_2", 0.999);
    epsilon_ = read_epsilon(true);
    amsgrad_ = read_bool("amsgrad", false);
  }

 protected:
  std::vector<SlotSpec> slot_specs() const override {
    if (amsgrad_) return {{"m"}, {"v"}, {"vhat"}};
    return {{"m"}, {"v"}};
  }
  // tf-keras / Keras 3 build(): m and v per variable, then vhat (amsgrad).
  std::vector<SlotLoop> slot_loops() const override {
    return {{{{"m", "_momentums", "m"}, {"v", "_velocities", "v"}}}, {{{"vhat", "_velocity_hats", "vhat"}}}};
  }

  void prepare_step(float lr_t, std::int64_t iterations) override {
    beta_1_ = hyper("beta_1");
    beta_2_ = hyper("beta_2");
    const float local_step = static_cast<float>(iterations + 1);
    const float beta_1_power = std::pow(beta_1_, local_step);
    const float beta_2_power = std::pow(beta_2_, local_step);
    alpha_ = lr_t * std::sqrt(1.0f - beta_2_power) / (1.0f - beta_1_power);
    eps_ = static_cast<float>(epsilon_.get<double>());
  }

  void update(const UpdateBuffers& b) const override {
    float* m = b.slots[0];
    float* v = b.slots[1];
    float* vhat = amsgrad_ ? b.slots[2] : nullptr;
    for (std::size_t i = 0; i < b.size; ++i) {
      const float g = b.grad[i];
      m[i] += (g - m[i]) * (1.0f - beta_1_);
      v[i] += (b.square(i) - v[i]) * (1.0f - beta_2_);
      float denominator_base = v[i];
      if (vhat) {
        vhat[i] = std::max(vhat[i], v[i]);
        denominator_base = vhat[i];
      }
      b.var[i] -= (m[i] * alpha_) / (std::sqrt(denominator_base) + eps_);
    }
  }

  void write_config(Json& c) const override {
    c["beta_1"] = serialize_hyper("beta_1");
    c["beta_2"] = serialize_hyper("beta_2");
    c["epsilon"] = epsilon_;
    c["amsgrad"] = amsgrad_;
  }

 private:
  Json epsilon_;
  bool amsgrad_ = false;
  float beta_1_ = 0, beta_2_ = 0, alpha_ = 0, eps_ = 0;
};

void register_objects(PluginRegistrar& r) { register_optimizer<Adam>(r, "Adam"); }

}  // namespace
}  // namespace ksave::optimizers

KSAVE_PLUGIN("optimizer_adam", "1.0.0", ksave::optimizers::register_objects)
