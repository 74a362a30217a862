// Gradient descent with optional momentum and Nesterov momentum, as tf.keras 2.x's legacy SGD runs
// it (TensorFlow's ApplyGradientDescent / ApplyKerasMomentum kernels, float32):
//   no momentum:  w -= g * lr
//   momentum:     a = a * momentum - g * lr;  w += a   (Nesterov: w += a * momentum - g * lr)
// The "momentum" slot exists only when momentum > 0, as in Keras.
#include "legacy_optimizer.hpp"
#include "registration.hpp"

namespace ksave::optimizers {
namespace {

class SGD final : public LegacyOptimizer {
 public:
  explicit SGD(const Json& config) : LegacyOptimizer("SGD", config, {"momentum", "nesterov"}, 0.01) {
    declare_hyper("momentum", 0.0);
    const double momentum = reader().get<double>("momentum", 0.0);
    if (momentum < 0.0 || momentum > 1.0)
      throw Error(where() + ": momentum must be between 0 and 1, found " + std::to_string(momentum));
    has_momentum_ = momentum > 0.0;
    nesterov_ = read_bool("nesterov", false);
  }

 protected:
  // Legacy sparse: ResourceSparseApplyKerasMomentum touches the looked-up rows only.
  LegacySparseRows legacy_sparse_rows() const override {
    return has_momentum_ ? LegacySparseRows::LookedUp : LegacySparseRows::All;
  }
  std::vector<SlotSpec> slot_specs() const override {
    if (has_momentum_) return {{"momentum"}};
    return {};
  }
  // tf-keras makes the momentums even at momentum 0 (Keras 3 does not).
  std::vector<SlotLoop> slot_loops() const override { return {{{{"momentum", "momentums", "m"}}, true}}; }

  void prepare_step(float lr_t, std::int64_t) override {
    lr_ = lr_t;
    momentum_ = hyper("momentum");
  }

  void update(const UpdateBuffers& b) const override {
    if (!has_momentum_) {
      for (std::size_t i = 0; i < b.size; ++i) b.var[i] -= b.grad[i] * lr_;
      return;
    }
    float* accum = b.slots[0];
    for (std::size_t i = 0; i < b.size; ++i) {
      accum[i] = accum[i] * momentum_ - b.grad[i] * lr_;
      b.var[i] += nesterov_ ? accum[i] * momentum_ - b.grad[i] * lr_ : accum[i];
    }
  }

  void write_config(Json& c) const override {
    c["momentum"] = serialize_hyper("momentum");
    c["nesterov"] = nesterov_;
  }

 private:
  bool has_momentum_ = false;
  bool nesterov_ = false;
  float lr_ = 0, momentum_ = 0;
};

void register_objects(PluginRegistrar& r) { register_optimizer<SGD>(r, "SGD"); }

}  // namespace
}  // namespace ksave::optimizers

KSAVE_PLUGIN("optimizer_sgd", "1.0.0", ksave::optimizers::register_objects)
