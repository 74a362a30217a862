// Builds losses, metrics and optimizers from the values Keras's compile accepts: a name, a
// {"class_name", "config"} dict of any generation, through the registry (so custom objects and
// scopes resolve as for layers).
#pragma once

#include "ksave/json.hpp"
#include "ksave/loss.hpp"
#include "ksave/metric.hpp"
#include "ksave/optimizer.hpp"

namespace ksave {

LossPtr resolve_loss(const Json& value);
OptimizerPtr resolve_optimizer(const Json& value);
// A metric spec for one output. "accuracy"/"acc" and "crossentropy"/"ce" are chosen from the
// shapes as tf.keras does: binary when the prediction has one unit, sparse when the labels have
// one axis less (or a last axis of 1 against several units), else categorical.
MetricPtr resolve_metric(const Json& spec, const Shape& y_true, const Shape& y_pred);
// {"class_name", "config"} of a metric as tf.keras 2.x serializes it in training_config.
Json serialize_metric(const Metric& metric);
// A short display name of a loss value ("mse", "CategoricalCrossentropy").
std::string describe(const Json& value);

}  // namespace ksave
