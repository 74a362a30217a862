// Adadelta as tf.keras 2.x's legacy optimizer runs it (TensorFlow's ApplyAdadelta, float32):
//   accum_grad = accum_grad * rho + g^2 * (1 - rho)
//   update = sqrt(accum_var + epsilon) / sqrt(accum_grad + epsilon) * g;  w -= update * lr
//   accum_var = accum_var * rho + update^2 * (1 - rho)
#include <cmath>

#include "legacy_optimizer.hpp"
#include "registration.hpp"

namespace ksave::optimizers {
namespace {

class Adadelta final : public LegacyOptimizer {
 public:
  explicit Adadelta(const Json& config) : LegacyOptimizer("Adadelta", config, {"rho", "epsilon"}, 0.001) {
    declare_hyper("rho", 0.95);
    epsilon_ = read_epsilon(true);
  }

 protected:
  // Legacy sparse: ResourceSparseApplyAdadelta touches the looked-up rows only (no decay elsewhere).
  LegacySparseRows legacy_sparse_rows() const override { return LegacySparseRows::LookedUp; }
  std::vector<SlotSpec> slot_specs() const override { return {{"accum_grad"}, {"accum_var"}}; }
  std::vector<SlotLoop> slot_loops() const override {
    return {{{{"accum_grad", "_accumulated_grads", "accumulated_grad"},
              {"accum_var", "_accumulated_delta_vars", "accumulated_delta_var"}}}};
  }

  void prepare_step(float lr_t, std::int64_t) override {
    lr_ = lr_t;
    rho_ = hyper("rho");
    eps_ = static_cast<float>(epsilon_.get<double>());
  }

  void update(const UpdateBuffers& b) const override {
    float* accum = b.slots[0];
    float* accum_update = b.slots[1];
    const float one_minus_rho = 1.0f - rho_;
    for (std::size_t i = 0; i < b.size; ++i) {
      const float g = b.grad[i];
      accum[i] = accum[i] * rho_ + b.square(i) * one_minus_rho;
      const float ratio = std::sqrt(accum_update[i] + eps_) * (1.0f / std::sqrt(accum[i] + eps_));
      const float step = ratio * g;
      b.var[i] -= step * lr_;
      // Keras 3 squares each slice's step: the sum of their squares is ratio^2 * sum of g^2.
      const float step_square = b.grad_squares ? ratio * ratio * b.grad_squares[i] : step * step;
      accum_update[i] = accum_update[i] * rho_ + step_square * one_minus_rho;
    }
  }

  void write_config(Json& c) const override {
    c["rho"] = serialize_hyper("rho");
    c["epsilon"] = epsilon_;
  }

 private:
  Json epsilon_;
  float lr_ = 0, rho_ = 0, eps_ = 0;
};

void register_objects(PluginRegistrar& r) { register_optimizer<Adadelta>(r, "Adadelta"); }

}  // namespace
}  // namespace ksave::optimizers

KSAVE_PLUGIN("optimizer_adadelta", "1.0.0", ksave::optimizers::register_objects)
