// Keras's learning-rate schedules (tf.keras 2.x legacy `learning_rate_schedule.py`): a function of
// the optimizer's step counter, serialized inside an optimizer's "learning_rate" as
// {"class_name": ..., "config": ...}. They are computed in float32, as TensorFlow does, because
// the learning rate feeds the float32 update kernels.
#pragma once

#include <memory>
#include <string>

#include "ksave/json.hpp"

namespace ksave::optimizers {

class LearningRateSchedule {
 public:
  virtual ~LearningRateSchedule() = default;
  virtual std::string class_name() const = 0;
  // The config as Keras writes it; values keep the spelling they were given (ints stay ints) so a
  // config read from a file is written back unchanged.
  virtual Json get_config() const = 0;
  // The learning rate at `step` (the optimizer's iterations before the update).
  virtual float operator()(float step) const = 0;
};

using LearningRateSchedulePtr = std::shared_ptr<const LearningRateSchedule>;

// Builds a schedule from its serialized form: {"class_name", "config"} with tf.keras 2.x names, or
// Keras >= 2.13 / Keras 3's form with "module" and "registered_name". `where` names the owner for
// errors ("optimizer 'Adam': learning_rate").
LearningRateSchedulePtr deserialize_schedule(const Json& value, const std::string& where);

// {"class_name", "config"}; with `keras3_envelope`, also "module" and "registered_name" as Keras 3
// writes them.
Json serialize_schedule(const LearningRateSchedule& schedule, bool keras3_envelope = false);

}  // namespace ksave::optimizers
