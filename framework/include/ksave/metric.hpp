// The metric interface. Metrics are stateful: their state lives in variables (`total`,
// `count`, ...) that checkpoints track, as Keras's do.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ksave/json.hpp"
#include "ksave/trackable.hpp"
#include "ksave/variable.hpp"

namespace ksave {

class Metric : public Trackable {
 public:
  virtual std::string class_name() const = 0;
  virtual std::string name() const = 0;
  virtual Json get_config() const = 0;
  virtual void update_state(const Tensor& y_true, const Tensor& y_pred) = 0;
  virtual double result() const = 0;
  virtual void reset_state() = 0;
  virtual std::vector<VariablePtr> variables() const = 0;
  std::string trackable_kind() const override { return "metric"; }
};

using MetricPtr = std::shared_ptr<Metric>;

}  // namespace ksave
