#include "replica_training.hpp"

#include <cstring>

#include "ksave/autodiff.hpp"
#include "ksave/optimizer.hpp"

namespace ksave::detail {
namespace {

using StepValues = Trainer::StepValues;

// The values in one flat vector for a reduction, and back.
std::vector<double> flatten(const StepValues& v) {
  std::vector<double> out{v.total};
  out.insert(out.end(), v.output_losses.begin(), v.output_losses.end());
  out.insert(out.end(), v.external_metrics.begin(), v.external_metrics.end());
  return out;
}

StepValues unflatten(const std::vector<double>& flat, std::size_t outputs, std::size_t externals) {
  StepValues v;
  v.total = flat[0];
  v.output_losses.assign(flat.begin() + 1, flat.begin() + 1 + static_cast<std::ptrdiff_t>(outputs));
  const auto ext = flat.begin() + 1 + static_cast<std::ptrdiff_t>(outputs);
  v.external_metrics.assign(ext, ext + static_cast<std::ptrdiff_t>(externals));
  return v;
}

// A replica without rows contributes zeros of the right sizes.
StepValues zero_values(Model& model) {
  StepValues v;
  v.output_losses.assign(Trainer::state(model).outputs.size(), 0.0);
  v.external_metrics.assign(Trainer::state(model).external_metric_means.size(), 0.0);
  return v;
}

double share(std::int64_t local_rows, std::int64_t global_rows) {
  return static_cast<double>(local_rows) / static_cast<double>(global_rows);
}

std::vector<const void*> storages_of(const std::vector<VariablePtr>& variables) {
  std::vector<const void*> out;
  for (const auto& v : variables) out.push_back(v->value().storage().get());
  return out;
}

// Non-trainable float32 variables that a step assigned (BatchNormalization's moving statistics)
// become the mean over the replicas that assigned them, as tf.distribute aggregates them (MEAN).
// `assigned_by` holds, per variable, how many ranks assigned it.
void average_assigned(Collectives& collectives, const std::vector<VariablePtr>& variables,
                      const std::vector<char>& assigned_here, const std::vector<double>& assigned_by) {
  std::vector<float> sums;
  for (std::size_t k = 0; k < variables.size(); ++k) {
    if (assigned_by[k] == 0.0 || variables[k]->dtype() != DType::Float32) continue;
    const Tensor& value = variables[k]->value();
    const float* p = value.data<float>();
    for (Dim i = 0; i < value.size(); ++i) sums.push_back(assigned_here[k] ? p[i] : 0.f);
  }
  if (sums.empty()) return;
  collectives.allreduce_sum(sums);
  std::size_t offset = 0;
  for (std::size_t k = 0; k < variables.size(); ++k) {
    if (assigned_by[k] == 0.0 || variables[k]->dtype() != DType::Float32) continue;
    Tensor mean(DType::Float32, variables[k]->shape());
    float* out = mean.data<float>();
    for (Dim i = 0; i < mean.size(); ++i) out[i] = sums[offset++] / static_cast<float>(assigned_by[k]);
    variables[k]->assign_shared(std::move(mean));
  }
}

}  // namespace

ReplicaTraining::ReplicaTraining(Model& model, const DataParallelStrategy& strategy)
    : model_(model), collectives_(strategy.collectives()), trainable_(model.trainable_weights()),
      non_trainable_(model.non_trainable_weights()), reducer_(collectives_, trainable_, strategy.options()) {}

void ReplicaTraining::train_step(const Tensors& x_in, const Tensors& y, const Tensor& weights, std::int64_t local_rows,
                                 std::int64_t global_rows) {
  StepValues values = zero_values(model_);
  Tensors outputs;
  const std::vector<const void*> before = storages_of(non_trainable_);
  reducer_.begin_step();
  if (local_rows > 0) {
    values = {};
    const Tensors x = Trainer::prepare_inputs(model_, x_in);
    GradientTape tape;
    CallContext ctx;
    ctx.training = true;
    outputs = model_(x, ctx);
    const Tensor loss = Trainer::step_loss(model_, x, y, outputs, weights, share(local_rows, global_rows), &values);
    tape.gradient(loss, trainable_, [this](std::size_t i, const Tensor& g) { reducer_.add(i, g); });
  }
  std::vector<double> extras = flatten(values);
  const std::size_t value_count = extras.size();
  std::vector<char> assigned(non_trainable_.size());
  const std::vector<const void*> after = storages_of(non_trainable_);
  for (std::size_t k = 0; k < assigned.size(); ++k) {
    assigned[k] = before[k] != after[k];
    extras.push_back(assigned[k] ? 1.0 : 0.0);
  }
  const std::vector<Tensor> grads = reducer_.finish(extras);
  std::vector<std::pair<Tensor, VariablePtr>> grads_and_vars;
  for (std::size_t i = 0; i < trainable_.size(); ++i)
    if (grads[i].defined()) grads_and_vars.emplace_back(grads[i], trainable_[i]);
  if (grads_and_vars.empty() && !trainable_.empty())
    throw Error("model '" + model_.name() + "': no gradients for any trainable variable (the loss does not depend on them)");
  if (!grads_and_vars.empty()) model_.optimizer()->apply_gradients(grads_and_vars);
  average_assigned(collectives_, non_trainable_, assigned,
                   std::vector<double>(extras.begin() + static_cast<std::ptrdiff_t>(value_count), extras.end()));
  extras.resize(value_count);
  const StepValues global = unflatten(extras, values.output_losses.size(), values.external_metrics.size());
  Trainer::record_step(model_, y, outputs, static_cast<double>(global_rows), global);
}

void replica_test_step(Model& model, Collectives& collectives, const Tensors& x_in, const Tensors& y,
                       const Tensor& weights, std::int64_t local_rows, std::int64_t global_rows) {
  StepValues values = zero_values(model);
  Tensors outputs;
  if (local_rows > 0) {
    values = {};
    const Tensors x = Trainer::prepare_inputs(model, x_in);
    outputs = model(x, CallContext{});
    Trainer::step_loss(model, x, y, outputs, weights, share(local_rows, global_rows), &values);
  }
  std::vector<double> flat = flatten(values);
  collectives.allreduce_sum(flat);
  Trainer::record_step(model, y, outputs, static_cast<double>(global_rows),
                       unflatten(flat, values.output_losses.size(), values.external_metrics.size()));
}

OrderedLogs replica_logs(Model& model, Collectives& collectives) {
  std::vector<VariablePtr> state;
  for (const auto& m : Trainer::compiled_metrics(model))
    for (const auto& v : m->variables()) state.push_back(v);
  std::vector<Tensor> local;
  std::vector<double> sums;
  for (const auto& v : state) {
    local.push_back(v->value());
    const Tensor d = v->value().cast(DType::Float64);
    sums.insert(sums.end(), d.data<double>(), d.data<double>() + d.size());
  }
  collectives.allreduce_sum(sums);
  std::size_t offset = 0;
  for (const auto& v : state) {
    Tensor total(DType::Float64, v->shape());
    std::memcpy(total.data<double>(), sums.data() + offset, static_cast<std::size_t>(total.size()) * sizeof(double));
    offset += static_cast<std::size_t>(total.size());
    v->assign_shared(total.cast(v->dtype()));
  }
  OrderedLogs logs = Trainer::current_logs(model);
  for (std::size_t k = 0; k < state.size(); ++k) state[k]->assign_shared(local[k]);
  return logs;
}

}  // namespace ksave::detail
