// A third-party optimizer built with the ksave SDK alone: Yogi (Zaheer et al., 2018), Adam with
// an additive second-moment update, written against the public Optimizer interface:
//   m = beta_1 m + (1 - beta_1) g
//   v = v - (1 - beta_2) sign(v - g^2) g^2
//   w -= lr m / (sqrt(v) + epsilon)
// Its state is declared once, by slots(): the formats derive the OptimizerV2 grouping
// (iterations, every "m", every "v": Optimizer::variables' default) and the Keras >= 2.11 order
// from it, so its state saves and resumes in every format like a built-in optimizer's.
#include <cmath>
#include <map>

#include "ksave/config.hpp"
#include "ksave/plugin.hpp"

namespace {

using ksave::Json;
using ksave::Tensor;
using ksave::Variable;
using ksave::VariablePtr;

class Yogi final : public ksave::Optimizer {
 public:
  explicit Yogi(const Json& config) {
    const ksave::ConfigReader r(config, "optimizer (Yogi)");
    name_ = r.get<std::string>("name", "Yogi");
    learning_rate_ = r.get<double>("learning_rate", 0.01);
    beta_1_ = r.get<double>("beta_1", 0.9);
    beta_2_ = r.get<double>("beta_2", 0.999);
    epsilon_ = r.get<double>("epsilon", 1e-3);
    for (const auto& [key, value] : {std::pair{"beta_1", beta_1_}, {"beta_2", beta_2_}})
      if (value < 0 || value >= 1)
        throw ksave::Error("optimizer '" + name_ + "' (Yogi): " + key + " must be in [0, 1), found " + std::to_string(value));
    iterations_ = std::make_shared<Variable>(name_ + "/iter:0", Tensor::scalar<std::int64_t>(0), false);
  }

  std::string class_name() const override { return "Yogi"; }
  Json get_config() const override {
    return {{"name", name_}, {"learning_rate", learning_rate_}, {"beta_1", beta_1_}, {"beta_2", beta_2_}, {"epsilon", epsilon_}};
  }
  std::optional<double> learning_rate() const override { return learning_rate_; }
  VariablePtr iterations() const override { return iterations_; }

  // The one declaration of the slot order.
  std::vector<std::pair<std::string, VariablePtr>> slots(const Variable& variable) const override {
    const auto found = slots_.find(&variable);
    if (found == slots_.end()) return {};
    return {{"m", found->second.m}, {"v", found->second.v}};
  }

  void build(const std::vector<VariablePtr>& variables) override {
    for (const VariablePtr& variable : variables) {
      if (slots_.count(variable.get())) continue;
      auto slot = [&](const char* kind) {
        return std::make_shared<Variable>(name_ + "/" + variable->shared_name() + "/" + kind + ":0",
                                          Tensor::zeros(variable->dtype(), variable->shape()), false);
      };
      slots_[variable.get()] = {slot("m"), slot("v")};
      built_for_.push_back(variable);
    }
  }
  std::vector<VariablePtr> built_for() const override { return built_for_; }

  void apply_gradients(const std::vector<std::pair<Tensor, VariablePtr>>& grads_and_vars) override {
    std::vector<VariablePtr> variables;
    for (const auto& [grad, variable] : grads_and_vars)
      if (variable && grad.defined()) variables.push_back(variable);
    build(variables);
    const auto lr = static_cast<float>(learning_rate_), b1 = static_cast<float>(beta_1_),
               b2 = static_cast<float>(beta_2_), eps = static_cast<float>(epsilon_);
    for (const auto& [grad, variable] : grads_and_vars) {
      if (!variable || !grad.defined()) continue;
      const Slots& s = slots_.at(variable.get());
      Tensor g = grad.as_float(), w = variable->value().clone(), m = s.m->value().clone(), v = s.v->value().clone();
      float *wd = w.data<float>(), *md = m.data<float>(), *vd = v.data<float>();
      const float* gd = g.data<float>();
      for (std::int64_t i = 0; i < w.size(); ++i) {
        const float g2 = gd[i] * gd[i];
        md[i] = b1 * md[i] + (1 - b1) * gd[i];
        vd[i] -= (1 - b2) * (vd[i] > g2 ? 1.0f : vd[i] < g2 ? -1.0f : 0.0f) * g2;
        wd[i] -= lr * md[i] / (std::sqrt(vd[i]) + eps);
      }
      variable->assign(w);
      s.m->assign(m);
      s.v->assign(v);
    }
    iterations_->assign(Tensor::scalar<std::int64_t>(iterations_->value().data<std::int64_t>()[0] + 1));
  }

  // The step counter; slots reach TF checkpoints and SavedModels through slots().
  std::vector<ksave::TrackableChild> trackable_children() const override { return {{"iter", iterations_}}; }

 private:
  struct Slots {
    VariablePtr m, v;
  };
  std::string name_;
  double learning_rate_ = 0.01, beta_1_ = 0.9, beta_2_ = 0.999, epsilon_ = 1e-3;
  VariablePtr iterations_;
  std::map<const Variable*, Slots> slots_;
  std::vector<VariablePtr> built_for_;
};

void register_objects(ksave::PluginRegistrar& registrar) { registrar.optimizer<Yogi>("Yogi"); }

}  // namespace

KSAVE_PLUGIN("custom_optimizer", "1.0.0", register_objects)
