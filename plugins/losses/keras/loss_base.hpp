// The common part of Keras's loss classes: name and reduction in the config, y_true cast to
// y_pred's dtype and its rank matched to y_pred's as Keras's LossFunctionWrapper does, and a
// registration helper that registers the class under its class and function names.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "ksave/config.hpp"
#include "ksave/ops.hpp"
#include "ksave/plugin.hpp"

namespace ksave::losses {

// Keras's backend epsilon, used for clipping probabilities.
inline constexpr double kEpsilon = 1e-7;

class KerasLoss : public Loss {
 public:
  // `default_name` is the function name Keras gives the class instance ("mean_squared_error").
  KerasLoss(const Json& config, std::string class_name, const std::string& default_name);
  std::string class_name() const override { return class_name_; }
  Json get_config() const override;
  Tensor per_sample(const Tensor& y_true, const Tensor& y_pred) const override;

 protected:
  // The per-sample loss once y_true has y_pred's dtype (float32) and rank.
  virtual Tensor compute(const Tensor& y_true, const Tensor& y_pred) const = 0;
  // Keys the loss adds to the base config (from_logits, delta, ...).
  virtual void add_config(Json&) const {}
  // Sparse losses take labels with one axis less than y_pred; they skip the rank matching.
  virtual bool sparse_labels() const { return false; }
  const ConfigReader& reader() const { return reader_; }

 private:
  std::string class_name_;
  std::string name_;
  std::string reduction_;
  Json config_copy_;
  ConfigReader reader_;
};

// Registers loss type L (constructed from a config) under `class_name` and its function names.
template <typename L>
void register_loss(PluginRegistrar& r, const std::string& class_name, std::vector<std::string> function_names) {
  r.loss(class_name, [](const Json& c) -> LossPtr { return std::make_shared<L>(c); }, std::move(function_names));
}

// Mean over the last axis (Keras's per-sample reduction of elementwise losses).
inline Tensor mean_last(const Tensor& x) { return ops::mean(x, {-1}); }
inline Tensor sum_last(const Tensor& x) { return ops::sum(x, {-1}); }

}  // namespace ksave::losses
