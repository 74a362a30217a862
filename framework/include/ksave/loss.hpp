// The loss interface. Concrete losses are plugins, registered both under their class names
// ("MeanSquaredError") and their function names ("mean_squared_error", "mse"), as Keras does.
#pragma once

#include <memory>
#include <string>

#include "ksave/json.hpp"
#include "ksave/tensor.hpp"

namespace ksave {

class Loss {
 public:
  virtual ~Loss() = default;
  virtual std::string class_name() const = 0;
  virtual Json get_config() const = 0;
  // Per-sample losses (shape [batch]) written with ops; reduction is applied by the caller as
  // the loss's config says (Keras's default SUM_OVER_BATCH_SIZE).
  virtual Tensor per_sample(const Tensor& y_true, const Tensor& y_pred) const = 0;
};

using LossPtr = std::shared_ptr<Loss>;

}  // namespace ksave
