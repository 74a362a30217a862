// Adagrad as tf.keras 2.x's legacy optimizer runs it (TensorFlow's ApplyAdagradV2, float32):
//   accumulator += g^2;  w -= g * lr / (sqrt(accumulator) + epsilon)
// The "accumulator" slot starts at initial_accumulator_value (0.1 by default). The Keras >= 2.11
// and Keras 3 optimizers (new_optimizer_rules) divide by sqrt(accumulator + epsilon) instead.
#include <cmath>

#include "legacy_optimizer.hpp"
#include "registration.hpp"

namespace ksave::optimizers {
namespace {

class Adagrad final : public LegacyOptimizer {
 public:
  explicit Adagrad(const Json& config)
      : LegacyOptimizer("Adagrad", config, {"initial_accumulator_value", "epsilon"}, 0.001) {
    initial_accumulator_ = read_number("initial_accumulator_value", 0.1);
    if (initial_accumulator_.get<double>() < 0.0)
      throw Error(where() + ": initial_accumulator_value must be >= 0, found " + initial_accumulator_.dump());
    // Adagrad alone reads `epsilon if epsilon is not None` (0 stays 0).
    epsilon_ = read_epsilon(false);
    new_rules_ = new_optimizer_rules();
  }

 protected:
  // Legacy sparse: ResourceSparseApplyAdagradV2 touches the looked-up rows only.
  LegacySparseRows legacy_sparse_rows() const override { return LegacySparseRows::LookedUp; }
  std::vector<SlotSpec> slot_specs() const override {
    return {{"accumulator", static_cast<float>(initial_accumulator_.get<double>())}};
  }
  std::vector<SlotLoop> slot_loops() const override { return {{{{"accumulator", "_accumulators", "accumulator"}}}}; }

  void prepare_step(float lr_t, std::int64_t) override {
    lr_ = lr_t;
    eps_ = static_cast<float>(epsilon_.get<double>());
  }

  void update(const UpdateBuffers& b) const override {
    float* accum = b.slots[0];
    for (std::size_t i = 0; i < b.size; ++i) {
      const float g = b.grad[i];
      accum[i] += b.square(i);
      if (new_rules_)
        b.var[i] -= lr_ * g / std::sqrt(accum[i] + eps_);
      else
        b.var[i] -= g * lr_ / (std::sqrt(accum[i]) + eps_);
    }
  }

  void write_config(Json& c) const override {
    c["initial_accumulator_value"] = initial_accumulator_;
    c["epsilon"] = epsilon_;
  }

 private:
  Json initial_accumulator_;
  Json epsilon_;
  bool new_rules_ = false;
  float lr_ = 0, eps_ = 0;
};

void register_objects(PluginRegistrar& r) { register_optimizer<Adagrad>(r, "Adagrad"); }

}  // namespace
}  // namespace ksave::optimizers

KSAVE_PLUGIN("optimizer_adagrad", "1.0.0", ksave::optimizers::register_objects)
