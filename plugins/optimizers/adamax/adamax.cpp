// Adamax as tf.keras 2.x's legacy optimizer runs it (TensorFlow's ApplyAdaMax, float32):
//   m += (g - m) * (1 - beta_1);  v = max(beta_2 * v, |g|)
//   w -= lr / (1 - beta_1^t) * (m / (v + epsilon)),  beta_1^t = pow(beta_1, iterations + 1)
#include <algorithm>
#include <cmath>

#include "legacy_optimizer.hpp"
#include "registration.hpp"

namespace ksave::optimizers {
namespace {

class Adamax final : public LegacyOptimizer {
 public:
  explicit Adamax(const Json& config) : LegacyOptimizer("Adamax", config, {"beta_1", "beta_2", "epsilon"}, 0.001) {
    declare_hyper("beta_1", 0.9);
    declare_hyper("beta_2", 0.999);
    epsilon_ = read_epsilon(true);
  }

 protected:
  // Legacy sparse: m, u and the variable are gathered, updated and scattered at the looked-up rows.
  LegacySparseRows legacy_sparse_rows() const override { return LegacySparseRows::LookedUp; }
  std::vector<SlotSpec> slot_specs() const override { return {{"m"}, {"v"}}; }
  std::vector<SlotLoop> slot_loops() const override { return {{{{"m", "_m", "m"}, {"v", "_u", "u"}}}}; }

  void prepare_step(float lr_t, std::int64_t iterations) override {
    lr_ = lr_t;
    beta_1_ = hyper("beta_1");
    beta_2_ = hyper("beta_2");
    beta_1_power_ = std::pow(beta_1_, static_cast<float>(iterations + 1));
    eps_ = static_cast<float>(epsilon_.get<double>());
  }

  void update(const UpdateBuffers& b) const override {
    float* m = b.slots[0];
    float* v = b.slots[1];
    for (std::size_t i = 0; i < b.size; ++i) {
      const float g = b.grad[i];
      m[i] += (g - m[i]) * (1.0f - beta_1_);
      v[i] = std::max(beta_2_ * v[i], b.absolute(i));
      b.var[i] -= lr_ / (1.0f - beta_1_power_) * (m[i] / (v[i] + eps_));
    }
  }

  void write_config(Json& c) const override {
    c["beta_1"] = serialize_hyper("beta_1");
    c["beta_2"] = serialize_hyper("beta_2");
    c["epsilon"] = epsilon_;
  }

 private:
  Json epsilon_;
  float lr_ = 0, beta_1_ = 0, beta_2_ = 0, beta_1_power_ = 0, eps_ = 0;
};

void register_objects(PluginRegistrar& r) { register_optimizer<Adamax>(r, "Adamax"); }

}  // namespace
}  // namespace ksave::optimizers

KSAVE_PLUGIN("optimizer_adamax", "1.0.0", ksave::optimizers::register_objects)
