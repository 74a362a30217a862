#include "trainer.hpp"

#include "ksave/autodiff.hpp"
#include "ksave/ops.hpp"
#include "resolve.hpp"
#include "sample_weights.hpp"

namespace ksave {
namespace {

std::string reduction_of(const Loss& loss) {
  const Json c = loss.get_config();
  return c.is_object() && c.contains("reduction") && c["reduction"].is_string() ? c["reduction"].get<std::string>()
                                                                                 : "auto";
}

// A scalar float32 tensor's value.
double value_of(const Tensor& t) { return t.item(); }

}  // namespace

void Trainer::set_compiled(Model& model, OptimizerPtr optimizer, std::vector<OutputTarget> outputs,
                           Json training_config) {
  auto state = std::make_shared<CompileState>();
  state->outputs = std::move(outputs);
  state->external_metric_means.resize(model.external_metrics_.size());
  model.optimizer_ = std::move(optimizer);
  model.losses_.clear();
  model.loss_weights_.clear();
  model.metrics_.clear();
  for (const auto& o : state->outputs) {
    model.losses_.push_back(o.loss);
    model.loss_weights_.push_back(o.weight);
    for (const auto& m : o.metrics) model.metrics_.push_back(m);
  }
  model.compile_state_ = std::move(state);
  model.training_config_ = std::move(training_config);
}

CompileState& Trainer::state(Model& model) {
  if (!model.compile_state_ || !model.optimizer_)
    throw Error("model '" + model.name() + "' must be compiled before training or evaluating (call compile)");
  return *model.compile_state_;
}

std::size_t Trainer::output_count(const Model& model) { return model.outputs().size(); }

std::vector<std::string> Trainer::output_names(const Model& model, std::size_t count) {
  std::vector<std::string> names = model.output_names();
  if (names.size() == count) return names;
  names.clear();
  for (std::size_t i = 0; i < count; ++i) names.push_back("output_" + std::to_string(i + 1));
  return names;
}

std::int64_t Trainer::check_data(Model& model, const Tensors& x, const Tensors& y, const char* where) {
  CompileState& s = state(model);
  const std::string what = std::string(where) + " on model '" + model.name() + "'";
  if (x.empty()) throw Error(what + ": no input data given");
  const KerasTensors& inputs = model.inputs();
  if (!inputs.empty() && x.size() != inputs.size())
    throw Error(what + ": the model has " + std::to_string(inputs.size()) + " inputs, " + std::to_string(x.size()) +
                " input arrays were given");
  if (y.size() != s.outputs.size())
    throw Error(what + ": the model has " + std::to_string(s.outputs.size()) + " outputs, " +
                std::to_string(y.size()) + " target arrays were given");
  for (std::size_t i = 0; i < x.size(); ++i)
    if (x[i].rank() == 0) throw Error(what + ": input " + std::to_string(i) + " has no batch dimension");
  for (std::size_t i = 0; i < y.size(); ++i)
    if (y[i].rank() == 0) throw Error(what + ": target " + std::to_string(i) + " has no batch dimension");
  const Dim rows = x[0].shape()[0];
  auto check_rows = [&](const Tensor& t, const std::string& name) {
    if (t.shape()[0] != rows)
      throw Error(what + ": " + name + " has " + std::to_string(t.shape()[0]) + " samples, input 0 has " +
                  std::to_string(rows) + " (all arrays need the same number of samples)");
  };
  for (std::size_t i = 1; i < x.size(); ++i) check_rows(x[i], "input " + std::to_string(i));
  for (std::size_t i = 0; i < y.size(); ++i) check_rows(y[i], "target " + std::to_string(i));
  for (std::size_t i = 0; i < inputs.size(); ++i)
    if (!shapes_compatible(inputs[i].shape(), x[i].shape()))
      throw Error(what + ": input '" + inputs[i].layer()->name() + "' expects shape " +
                  shape_to_string(inputs[i].shape()) + ", found " + shape_to_string(x[i].shape()));
  return rows;
}

Tensors Trainer::prepare_inputs(Model& model, const Tensors& x) {
  Tensors out = x;
  const KerasTensors& inputs = model.inputs();
  for (std::size_t i = 0; i < inputs.size() && i < out.size(); ++i)
    if (out[i].dtype() != inputs[i].dtype()) out[i] = out[i].cast(inputs[i].dtype());
  return out;
}

Tensor Trainer::step_loss(Model& model, const Tensors& x, const Tensors& y, const Tensors& outputs,
                          const Tensor& sample_weights, double fraction, StepValues* values) {
  CompileState& s = state(model);
  if (outputs.size() != s.outputs.size())
    throw Error("model '" + model.name() + "' returned " + std::to_string(outputs.size()) + " outputs, compile set up " +
                std::to_string(s.outputs.size()));
  const bool scaled = fraction != 1.0;
  Tensor total;
  auto add = [&](const Tensor& term) { total = total.defined() ? ops::add(total, term) : term; };
  auto share = [&](const Tensor& term) { return scaled ? ops::mul(term, fraction) : term; };
  for (std::size_t i = 0; i < s.outputs.size(); ++i) {
    const OutputTarget& o = s.outputs[i];
    if (!o.loss) {
      values->output_losses.push_back(0.0);
      continue;
    }
    Tensor per_sample;
    try {
      per_sample = weight_per_sample(o.loss->per_sample(y[i], outputs[i]), sample_weights);
    } catch (const Error& e) {
      throw Error("loss " + o.loss_name + " of output '" + o.name + "' (y_true " + shape_to_string(y[i].shape()) +
                  ", y_pred " + shape_to_string(outputs[i].shape()) + "): " + e.what());
    }
    // Keras's reductions: SUM_OVER_BATCH_SIZE (the default, "auto") divides the sum by the number
    // of per-sample values; SUM keeps the sum (which replicas' sums add up to unscaled).
    const Tensor reduced = reduction_of(*o.loss) == "sum" ? ops::sum(per_sample) : share(ops::mean(per_sample));
    values->output_losses.push_back(value_of(reduced));
    add(o.weight == 1.0 ? reduced : ops::mul(reduced, o.weight));
  }
  // Regularization penalties and losses added in calls (model.losses), then added from outside.
  for (const Tensor& r : model.regularization_losses()) add(share(ops::sum(r)));
  for (const auto& [_, fn] : model.external_losses_) add(share(ops::sum(fn(x, outputs))));
  if (!total.defined())
    throw Error("model '" + model.name() + "' has nothing to minimise: compile gave no loss and no add_loss was made");
  values->total = value_of(total);
  for (const auto& [_, fn] : model.external_metrics_)
    values->external_metrics.push_back(fraction * value_of(ops::mean(fn(x, outputs).as_float())));
  return total;
}

void Trainer::build_metrics(Model& model, const Tensors& y, const Tensors& outputs) {
  CompileState& s = *model.compile_state_;
  if (s.metrics_built) return;
  Json resolved = Json::array();
  bool any = false;
  for (std::size_t i = 0; i < s.outputs.size(); ++i) {
    OutputTarget& o = s.outputs[i];
    Json list = Json::array();
    for (const Json& spec : o.metric_specs) {
      o.metrics.push_back(resolve_metric(spec, y[i].shape(), outputs[i].shape()));
      list.push_back(serialize_metric(*o.metrics.back()));
      model.metrics_.push_back(o.metrics.back());
      any = true;
    }
    resolved.push_back(list);
  }
  // The form tf.keras 2.x saves once compiled metrics are built: one list per output.
  if (any) model.training_config_["metrics"] = resolved;
  s.metrics_built = true;
}

void Trainer::record_step(Model& model, const Tensors& y, const Tensors& outputs, double rows,
                          const StepValues& values) {
  CompileState& s = *model.compile_state_;
  s.loss_mean.add(values.total, rows);
  for (std::size_t i = 0; i < s.outputs.size(); ++i) {
    if (s.outputs[i].loss) s.outputs[i].loss_mean.add(values.output_losses[i], rows);
  }
  for (std::size_t k = 0; k < values.external_metrics.size(); ++k) s.external_metric_means[k].add(values.external_metrics[k], rows);
  if (outputs.empty()) return;
  build_metrics(model, y, outputs);
  for (std::size_t i = 0; i < s.outputs.size(); ++i)
    for (const auto& m : s.outputs[i].metrics) m->update_state(y[i], outputs[i]);
}

std::vector<MetricPtr> Trainer::compiled_metrics(Model& model) {
  std::vector<MetricPtr> out;
  for (const auto& o : state(model).outputs) out.insert(out.end(), o.metrics.begin(), o.metrics.end());
  return out;
}

namespace {

double rows_of(const Tensors& x, const Tensors& y) {
  return static_cast<double>(y.empty() ? x[0].shape()[0] : y[0].shape()[0]);
}

}  // namespace

void Trainer::train_step(Model& model, const Tensors& x_in, const Tensors& y, const Tensor& sample_weights) {
  CompileState& s = state(model);
  const Tensors x = prepare_inputs(model, x_in);
  Tensors outputs;
  Tensor loss;
  StepValues values;
  std::vector<VariablePtr> variables = model.trainable_weights();
  std::vector<Tensor> grads;
  std::vector<std::optional<IndexedSlices>> slices;
  {
    GradientTape tape;
    CallContext ctx;
    ctx.training = true;
    outputs = model(x, ctx);
    loss = step_loss(model, x, y, outputs, sample_weights, 1.0, &values);
    // A LossScaleOptimizer differentiates the scaled loss (so that small float16 gradients do not
    // flush to zero) and unscales the gradients itself; the logs keep the loss.
    const double scale = model.optimizer_->loss_scale();
    grads = tape.gradient(scale == 1.0 ? loss : ops::mul(loss, scale), variables, slices);
  }
  std::vector<std::pair<Tensor, VariablePtr>> grads_and_vars;
  std::vector<std::optional<IndexedSlices>> grads_slices;
  for (std::size_t i = 0; i < variables.size(); ++i)
    if (grads[i].defined()) {
      grads_and_vars.emplace_back(grads[i], variables[i]);
      grads_slices.push_back(std::move(slices[i]));
    }
  if (grads_and_vars.empty() && !variables.empty())
    throw Error("model '" + model.name() + "': no gradients for any trainable variable (the loss does not depend on them)");
  // The optimizer applies each variable's constraint right after its update, as OptimizerV2
  // does; applying it here again would change non-idempotent constraints (MinMaxNorm, rate < 1).
  // An Embedding table's gradient goes on as TensorFlow's IndexedSlices too: Keras's optimizers
  // treat those differently (see Optimizer::apply_gradients_with_slices).
  if (!grads_and_vars.empty()) model.optimizer_->apply_gradients_with_slices(grads_and_vars, grads_slices);
  record_step(model, y, outputs, rows_of(x, y), values);
  (void)s;
}

void Trainer::test_step(Model& model, const Tensors& x_in, const Tensors& y, const Tensor& sample_weights) {
  state(model);
  const Tensors x = prepare_inputs(model, x_in);
  const Tensors outputs = model(x, CallContext{});
  StepValues values;
  step_loss(model, x, y, outputs, sample_weights, 1.0, &values);
  record_step(model, y, outputs, rows_of(x, y), values);
}

void Trainer::reset_metrics(Model& model) {
  CompileState& s = state(model);
  s.loss_mean.reset();
  for (auto& o : s.outputs) {
    o.loss_mean.reset();
    for (const auto& m : o.metrics) m->reset_state();
  }
  for (auto& m : s.external_metric_means) m.reset();
}

OrderedLogs Trainer::current_logs(Model& model) {
  CompileState& s = state(model);
  OrderedLogs logs;
  logs.emplace_back("loss", s.loss_mean.result());
  const bool several = s.outputs.size() > 1;
  if (several)
    for (const auto& o : s.outputs)
      if (o.loss) logs.emplace_back(o.name + "_loss", o.loss_mean.result());
  for (const auto& o : s.outputs)
    for (const auto& m : o.metrics) logs.emplace_back(several ? o.name + "_" + m->name() : m->name(), m->result());
  for (std::size_t k = 0; k < model.external_metrics_.size(); ++k)
    logs.emplace_back(model.external_metrics_[k].first, s.external_metric_means[k].result());
  return logs;
}

}  // namespace ksave
