#include "loss_scale_optimizer.hpp"

#include <cmath>

#include "ksave/config.hpp"
#include "ksave/ops.hpp"
#include "resolve.hpp"

namespace ksave::detail {
namespace {

// tf-keras's _DynamicLossScaleState: its weights sorted by name.
class LossScaleState final : public Trackable {
 public:
  LossScaleState(VariablePtr scale, VariablePtr counter) : scale_(std::move(scale)), counter_(std::move(counter)) {}
  std::vector<TrackableChild> trackable_children() const override {
    return {{"current_loss_scale", scale_}, {"good_steps", counter_}};
  }
  std::string trackable_kind() const override { return "loss_scale"; }

 private:
  VariablePtr scale_, counter_;
};

bool all_finite(const Tensor& t) {
  const Tensor f = t.as_float();
  for (float v : f.values<float>())
    if (!std::isfinite(v)) return false;
  return true;
}

}  // namespace

LossScaleOptimizer::LossScaleOptimizer(const std::string& class_name, const Json& config)
    : class_name_(class_name), keras3_(class_name == "LossScaleOptimizer" && !config.contains("dynamic")) {
  const std::string where = "optimizer " + class_name;
  ConfigReader r(config, where);
  const Json* inner = r.find("inner_optimizer");
  if (!inner || inner->is_null())
    throw Error(where + ": the config has no inner_optimizer (an OptimizerV2-era config with 'optimizer' and 'loss_scale' "
                        "objects is not supported)");
  inner_ = resolve_optimizer(*inner);
  if (inner_->inner_optimizer()) throw Error(where + ": the inner optimizer is itself a LossScaleOptimizer");
  if (keras3_) {
    name_ = r.get<std::string>("name", "loss_scale_optimizer");
  } else {
    dynamic_ = r.get<bool>("dynamic", true);
  }
  const Json* initial = r.find("initial_scale");
  if (initial && !initial->is_null()) initial_scale_ = initial->get<double>();
  else if (!dynamic_) throw Error(where + ": initial_scale must be given when dynamic is false");
  const Json* growth = r.find("dynamic_growth_steps");
  if (growth && !growth->is_null()) growth_steps_ = growth->get<std::int64_t>();
  if (!(initial_scale_ > 0) || !std::isfinite(initial_scale_))
    throw Error(where + ": initial_scale must be a positive finite number, found " + std::to_string(initial_scale_));
  if (dynamic_ && growth_steps_ < 1)
    throw Error(where + ": dynamic_growth_steps must be at least 1, found " + std::to_string(growth_steps_));
  make_state();
}

void LossScaleOptimizer::make_state() {
  // Keras 3 names them as its add_variable does; tf-keras as its _DynamicLossScaleState.
  scale_ = std::make_shared<Variable>(keras3_ ? "dynamic_scale" : "current_loss_scale:0",
                                      Tensor::scalar<float>(static_cast<float>(initial_scale_)), false);
  counter_ = std::make_shared<Variable>(keras3_ ? "step_counter" : "good_steps:0", Tensor::scalar<std::int64_t>(0), false);
  state_ = std::make_shared<LossScaleState>(scale_, counter_);
}

Json LossScaleOptimizer::get_config() const {
  Json inner = Json{{"class_name", inner_->class_name()}, {"config", inner_->get_config()}};
  Json c = Json::object();
  if (keras3_) {
    c["name"] = name_;
    c["inner_optimizer"] = std::move(inner);
  } else {
    // tf-keras 2.21 serializes the inner optimizer with its module (serialization_lib).
    Json full = Json::object();
    full["module"] = "keras.optimizers";
    full["class_name"] = inner["class_name"];
    full["config"] = inner["config"];
    full["registered_name"] = nullptr;
    c["inner_optimizer"] = std::move(full);
    c["dynamic"] = dynamic_;
  }
  c["initial_scale"] = initial_scale_;
  c["dynamic_growth_steps"] = dynamic_ ? Json(growth_steps_) : Json(nullptr);
  return c;
}

std::vector<TrackableChild> LossScaleOptimizer::trackable_children() const {
  std::vector<TrackableChild> out = inner_->trackable_children();
  if (dynamic_) out.push_back({"loss_scale", state_});
  return out;
}

double LossScaleOptimizer::loss_scale() const { return scale_->value().item(0); }

void LossScaleOptimizer::apply_gradients(const std::vector<std::pair<Tensor, VariablePtr>>& grads_and_vars) {
  apply_gradients_with_slices(grads_and_vars, {});
}

void LossScaleOptimizer::apply_gradients_with_slices(const std::vector<std::pair<Tensor, VariablePtr>>& grads_and_vars,
                                                     const std::vector<std::optional<IndexedSlices>>& slices) {
  const double scale = loss_scale();
  // tf-keras multiplies by the reciprocal, Keras 3 divides: the same for the powers of two a
  // dynamic scale takes.
  std::vector<std::pair<Tensor, VariablePtr>> unscaled;
  bool finite = true;
  for (const auto& [grad, var] : grads_and_vars) {
    Tensor g = grad.defined() ? ops::mul(grad, 1.0 / scale) : grad;
    finite = finite && (!g.defined() || all_finite(g));
    unscaled.emplace_back(std::move(g), var);
  }
  std::vector<std::optional<IndexedSlices>> unscaled_slices = slices;
  for (auto& s : unscaled_slices)
    if (s) s->values = ops::mul(s->values, 1.0 / scale);
  if (!dynamic_) {
    inner_->apply_gradients_with_slices(unscaled, unscaled_slices);
    return;
  }
  const std::int64_t counter = counter_->value().data<std::int64_t>()[0];
  if (!finite) {
    // Skipped: the scale halves (tf-keras: not below 1) and the count restarts.
    const double halved = keras3_ ? scale * 0.5 : std::max(scale * 0.5, 1.0);
    scale_->assign(Tensor::scalar<float>(static_cast<float>(halved)));
    counter_->assign(Tensor::scalar<std::int64_t>(0));
    // tf-keras's do_not_apply_fn counts the step in the inner optimizer's iterations.
    if (!keras3_) {
      const VariablePtr& it = inner_->iterations();
      it->assign(Tensor::scalar<std::int64_t>(it->value().data<std::int64_t>()[0] + 1));
    }
    return;
  }
  inner_->apply_gradients_with_slices(unscaled, unscaled_slices);
  if (counter + 1 >= growth_steps_) {
    // tf-keras keeps the scale when doubling overflows float32 (_assign_if_finite).
    const float doubled = static_cast<float>(scale * 2.0);
    if (keras3_ || std::isfinite(doubled)) scale_->assign(Tensor::scalar<float>(doubled));
    counter_->assign(Tensor::scalar<std::int64_t>(0));
  } else {
    counter_->assign(Tensor::scalar<std::int64_t>(counter + 1));
  }
}

std::vector<ClassEntry> loss_scale_optimizer_entries() {
  std::vector<ClassEntry> entries;
  for (const char* name : {"LossScaleOptimizerV3", "LossScaleOptimizer"}) {
    ClassEntry e;
    e.kind = Kind::Optimizer;
    e.class_name = name;
    const std::string class_name = name;
    e.factory = OptimizerFactory([class_name](const Json& config) -> std::shared_ptr<Optimizer> {
      return std::make_shared<LossScaleOptimizer>(class_name, config);
    });
    entries.push_back(std::move(e));
  }
  return entries;
}

}  // namespace ksave::detail
