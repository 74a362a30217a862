// Regression, count and margin losses (class per Keras loss class).
#pragma once

#include "loss_base.hpp"

namespace ksave::losses {

#define KSAVE_SIMPLE_LOSS(Class, default_name)                                                   \
  class Class : public KerasLoss {                                                               \
   public:                                                                                       \
    explicit Class(const Json& c) : KerasLoss(c, #Class, default_name) {}                       \
                                                                                                 \
   protected:                                                                                    \
    Tensor compute(const Tensor& y_true, const Tensor& y_pred) const override;                   \
  };

KSAVE_SIMPLE_LOSS(MeanSquaredError, "mean_squared_error")
KSAVE_SIMPLE_LOSS(MeanAbsoluteError, "mean_absolute_error")
KSAVE_SIMPLE_LOSS(MeanAbsolutePercentageError, "mean_absolute_percentage_error")
KSAVE_SIMPLE_LOSS(MeanSquaredLogarithmicError, "mean_squared_logarithmic_error")
KSAVE_SIMPLE_LOSS(LogCosh, "log_cosh")
KSAVE_SIMPLE_LOSS(KLDivergence, "kl_divergence")
KSAVE_SIMPLE_LOSS(Poisson, "poisson")
KSAVE_SIMPLE_LOSS(Hinge, "hinge")
KSAVE_SIMPLE_LOSS(SquaredHinge, "squared_hinge")
#undef KSAVE_SIMPLE_LOSS

class Huber : public KerasLoss {
 public:
  explicit Huber(const Json& c);

 protected:
  Tensor compute(const Tensor& y_true, const Tensor& y_pred) const override;
  void add_config(Json& c) const override;

 private:
  double delta_;
};

class CosineSimilarity : public KerasLoss {
 public:
  explicit CosineSimilarity(const Json& c);

 protected:
  Tensor compute(const Tensor& y_true, const Tensor& y_pred) const override;
  void add_config(Json& c) const override;

 private:
  std::int64_t axis_;
};

}  // namespace ksave::losses
