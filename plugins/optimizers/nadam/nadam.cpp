// Nadam as tf.keras 2.x's legacy optimizer runs it (float32). Its `decay` is not a learning-rate
// decay: Keras maps it to the momentum schedule decay (the old `schedule_decay`, 0.004 unless
// given, whatever `decay` says), and the learning rate is used as is (no schedule, no decay):
//   mu_t = beta_1 * (1 - 0.5 * 0.96^(decay * t)),  mu_t1 = the same at t + 1,  t = iterations + 1
//   cache *= mu_t (the "momentum_cache" weight);  next = cache * mu_t1
//   m = beta_1 * m + (1 - beta_1) * g;  v = beta_2 * v + (1 - beta_2) * g^2
//   m_bar = (1 - mu_t) * g / (1 - cache) + mu_t1 * m / (1 - next)
//   w = w - lr * m_bar / (sqrt(v / (1 - beta_2^t)) + epsilon)
// The Keras >= 2.11 and Keras 3 Nadam (new_optimizer_rules) uses 0.96^t (no 0.004 factor) and the
// scheduled learning rate; its momentum product is the same running product, which Keras 3
// multiplies once per step. tf-keras >= 2.11 (configs with is_legacy_optimizer: false) decides
// in Python, while tracing its update, whether a variable reuses the product: a counter that
// starts at 1 when the optimizer is built and grows by one per variable traced is baked into
// the graph as c0 + k for the k-th variable (0-based, in update order), which reuses the product
// only when c0 + k == iterations + 2; every other variable multiplies it by mu_t again
// (tf_keras/src/optimizers/nadam.py, update_step). c0 is 1 when the optimizer was built before
// training (a loaded model); when the first train step builds it, TensorFlow traces that step
// twice (variables created on the first trace) and runs the second trace: c0 = n + 1 for n
// variables (measured with tf-keras 2.21: _u_product_counter is 1 + 2n after the first step and
// u_product is mu_1^n). ksave does the same.
#include <cmath>

#include "legacy_optimizer.hpp"
#include "registration.hpp"

namespace ksave::optimizers {
namespace {

class Nadam final : public LegacyOptimizer {
 public:
  explicit Nadam(const Json& config)
      : LegacyOptimizer("Nadam", config, {"beta_1", "beta_2", "epsilon", "schedule_decay"}, 0.001) {
    new_rules_ = new_optimizer_rules();
    traced_product_ = config_style() == ConfigStyle::KerasNew;
    if (learning_rate_schedule() && !new_rules_)
      throw Error(where() + ": the legacy Nadam does not support a learning-rate schedule (as in Keras)");
    if (!new_rules_) set_initial_decay(read_number("schedule_decay", 0.004));
    declare_hyper("beta_1", 0.9);
    declare_hyper("beta_2", 0.999);
    epsilon_ = read_epsilon(true);
  }

  // The legacy Nadam's `decay` is not a learning-rate decay: its rate is the hyperparameter alone.
  float current_learning_rate() const override {
    return new_rules_ ? LegacyOptimizer::current_learning_rate() : raw_learning_rate();
  }

 protected:
  // Legacy sparse: m and v decay everywhere, the variable moves at the looked-up rows only.
  LegacySparseRows legacy_sparse_rows() const override { return LegacySparseRows::VariableLookedUp; }
  std::vector<SlotSpec> slot_specs() const override { return {{"m"}, {"v"}}; }
  std::vector<SlotLoop> slot_loops() const override {
    return {{{{"m", "_momentums", "m"}, {"v", "_velocities", "v"}}}};
  }
  // The Keras >= 2.11 Nadam keeps the momentum cache as `_u_product`.
  std::vector<TrackableChild> new_generation_extras() const override {
    if (!cache_) return {};
    return {{"_u_product", cache_}};
  }

  void create_extra_weights() override { cache_ = add_extra_weight("momentum_cache", Tensor::scalar<float>(1.0f)); }

  void prepare_step(float lr_t, std::int64_t iterations) override {
    lr_ = lr_t;
    beta_1_ = hyper("beta_1");
    beta_2_ = hyper("beta_2");
    eps_ = static_cast<float>(epsilon_.get<double>());
    const float local_step = static_cast<float>(iterations + 1);
    const float next_step = static_cast<float>(iterations + 2);
    const float decay = new_rules_ ? 1.0f : static_cast<float>(initial_decay());
    const float decay_base = 0.96f;
    m_t_ = beta_1_ * (1.0f - 0.5f * std::pow(decay_base, decay * local_step));
    m_t_1_ = beta_1_ * (1.0f - 0.5f * std::pow(decay_base, decay * next_step));
    v_denominator_ = 1.0f - std::pow(beta_2_, local_step);
    if (!traced_product_) multiply_product();
  }

  void prepare_variable(std::size_t position, std::int64_t iterations) override {
    if (!traced_product_) return;
    const auto c0 = static_cast<std::int64_t>(1 + variables_built_by_first_step());
    if (c0 + static_cast<std::int64_t>(position) == iterations + 2)
      use_product(cache_->value().as_float().data<float>()[0]);
    else
      multiply_product();
  }

  // cache *= mu_t, and the step's coefficients from the new product.
  void multiply_product() {
    const float product = cache_->value().as_float().data<float>()[0] * m_t_;
    cache_->assign_shared(Tensor::scalar<float>(product));
    use_product(product);
  }

  void use_product(float product) {
    one_minus_schedule_new_ = 1.0f - product;
    one_minus_schedule_next_ = 1.0f - product * m_t_1_;
  }

  void update(const UpdateBuffers& b) const override {
    float* m = b.slots[0];
    float* v = b.slots[1];
    const float one_minus_beta_1 = 1.0f - beta_1_;
    const float one_minus_beta_2 = 1.0f - beta_2_;
    const float one_minus_m_t = 1.0f - m_t_;
    for (std::size_t i = 0; i < b.size; ++i) {
      const float g = b.grad[i];
      const float g_prime = g / one_minus_schedule_new_;
      m[i] = beta_1_ * m[i] + one_minus_beta_1 * g;
      const float m_prime = m[i] / one_minus_schedule_next_;
      v[i] = beta_2_ * v[i] + one_minus_beta_2 * b.square(i);
      const float v_prime = v[i] / v_denominator_;
      const float m_bar = one_minus_m_t * g_prime + m_t_1_ * m_prime;
      b.var[i] = b.var[i] - lr_ * m_bar / (std::sqrt(v_prime) + eps_);
    }
  }

  void write_config(Json& c) const override {
    c["beta_1"] = serialize_hyper("beta_1");
    c["beta_2"] = serialize_hyper("beta_2");
    c["epsilon"] = epsilon_;
  }

 private:
  Json epsilon_;
  bool new_rules_ = false;
  bool traced_product_ = false;  // tf-keras >= 2.11: the product as its traced update computes it
  VariablePtr cache_;
  float lr_ = 0, beta_1_ = 0, beta_2_ = 0, eps_ = 0, m_t_ = 0, m_t_1_ = 0;
  float one_minus_schedule_new_ = 0, one_minus_schedule_next_ = 0, v_denominator_ = 0;
};

void register_objects(PluginRegistrar& r) { register_optimizer<Nadam>(r, "Nadam"); }

}  // namespace
}  // namespace ksave::optimizers

KSAVE_PLUGIN("optimizer_nadam", "1.0.0", ksave::optimizers::register_objects)
