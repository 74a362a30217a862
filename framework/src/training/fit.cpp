// Model::fit, evaluate, train_on_batch and test_on_batch: batching, shuffling, validation,
// callbacks, History and the progress output around the Trainer's steps.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <optional>
#include <random>

#include "../distribute/replica_training.hpp"
#include "ksave/data_parallel.hpp"
#include "ksave/model.hpp"
#include "progress.hpp"
#include "sample_weights.hpp"
#include "trainer.hpp"

namespace ksave {
namespace {

// Rows `indices` of the first axis, copied (the feeding side: not an op, never differentiated).
Tensor take_rows(const Tensor& t, const std::vector<std::int64_t>& indices, std::size_t begin, std::size_t end) {
  bool contiguous = true;
  for (std::size_t i = begin + 1; i < end && contiguous; ++i) contiguous = indices[i] == indices[i - 1] + 1;
  if (contiguous) return t.slice_rows(indices[begin], indices[begin] + static_cast<Dim>(end - begin));
  Shape shape = t.shape();
  shape[0] = static_cast<Dim>(end - begin);
  Tensor out(t.dtype(), shape);
  if (t.dtype() == DType::String) throw Error("fit: string tensors cannot be batched");
  const std::size_t row_bytes = t.shape()[0] == 0 ? 0 : t.nbytes() / static_cast<std::size_t>(t.shape()[0]);
  const auto* src = static_cast<const unsigned char*>(t.raw_data());
  auto* dst = static_cast<unsigned char*>(out.raw_data());
  for (std::size_t i = begin; i < end; ++i)
    std::memcpy(dst + (i - begin) * row_bytes, src + static_cast<std::size_t>(indices[i]) * row_bytes, row_bytes);
  return out;
}

Tensors take_rows(const Tensors& ts, const std::vector<std::int64_t>& indices, std::size_t begin, std::size_t end) {
  Tensors out;
  for (const auto& t : ts) out.push_back(take_rows(t, indices, begin, end));
  return out;
}

Logs to_logs(const OrderedLogs& ordered) { return Logs(ordered.begin(), ordered.end()); }

std::int64_t steps_for(std::int64_t rows, std::int64_t batch_size) { return (rows + batch_size - 1) / batch_size; }

// What this process shows: under a strategy only rank 0 prints.
int shown_verbosity(int verbose, const DataParallelStrategy* strategy) {
  return strategy && !strategy->is_chief() ? 0 : verbose;
}

// The logs as one process on all the data would have them.
OrderedLogs logs_of(Model& model, const DataParallelStrategy* strategy) {
  return strategy ? detail::replica_logs(model, strategy->collectives()) : Trainer::current_logs(model);
}

// A strategy needs a row for every replica in the first batch: metrics are built from the
// shapes of the first batch's outputs, on every rank alike.
void check_replicas_have_rows(const DataParallelStrategy* strategy, std::int64_t rows, std::int64_t batch_size,
                              const std::string& what) {
  if (strategy && std::min(rows, batch_size) < strategy->num_replicas())
    throw UsageError(what + ": the first batch has " + std::to_string(std::min(rows, batch_size)) + " rows for " +
                     std::to_string(strategy->num_replicas()) + " replicas (batch_size is the global batch: give each replica a row)");
}

// Runs test steps over the data in order; returns the logs in display order.
OrderedLogs run_evaluation(Model& model, const Tensors& x, const Tensors& y, const Tensor& weights,
                           std::int64_t rows, std::int64_t batch_size, int verbose, const DataParallelStrategy* strategy) {
  Trainer::reset_metrics(model);
  const std::int64_t steps = steps_for(rows, batch_size);
  ProgressBar progress(steps, shown_verbosity(verbose, strategy));
  for (std::int64_t step = 0; step < steps; ++step) {
    Dim begin = step * batch_size, end = std::min<Dim>(rows, begin + batch_size);
    const Dim global_rows = end - begin;
    if (strategy) {
      const auto [local_begin, local_end] = strategy->local_rows(global_rows);
      end = begin + local_end;
      begin += local_begin;
    }
    Tensors bx, by;
    for (const auto& t : x) bx.push_back(rows == end - begin ? t : t.slice_rows(begin, end));
    for (const auto& t : y) by.push_back(rows == end - begin ? t : t.slice_rows(begin, end));
    const Tensor bw = weights.defined() && rows != end - begin ? weights.slice_rows(begin, end) : weights;
    if (strategy)
      detail::replica_test_step(model, strategy->collectives(), bx, by, bw, end - begin, global_rows);
    else
      Trainer::test_step(model, bx, by, bw);
    // Under a strategy every rank reduces the logs at the same steps (verbose is the same
    // everywhere), so the collectives stay in step.
    if (verbose > 0 || step + 1 == steps) progress.update(step + 1, logs_of(model, strategy), step + 1 == steps);
  }
  return logs_of(model, strategy);
}

// Shuffling must agree across the replicas: a random seed is drawn by rank 0 and shared.
std::uint64_t agreed_seed(std::uint64_t seed, const DataParallelStrategy* strategy) {
  if (seed != 0) return seed;
  seed = std::random_device{}();
  if (strategy) strategy->collectives().broadcast(std::as_writable_bytes(std::span(&seed, 1)), 0);
  return seed;
}

}  // namespace

History Model::fit(const Tensors& x_all, const Tensors& y_all, const FitOptions& options) {
  if (options.batch_size <= 0) throw UsageError("fit: batch_size must be positive, got " + std::to_string(options.batch_size));
  if (options.epochs < 0) throw UsageError("fit: epochs must be >= 0, got " + std::to_string(options.epochs));
  if (options.validation_split < 0 || options.validation_split >= 1)
    throw UsageError("fit: validation_split must be in [0, 1), got " + std::to_string(options.validation_split));
  const std::int64_t all_rows = Trainer::check_data(*this, x_all, y_all, "fit");
  const std::string where = "fit on model '" + name() + "'";
  const Tensor all_weights =
      combined_sample_weights(options.sample_weight, options.class_weight, y_all, all_rows, where);

  // validation_data wins over validation_split; the split takes the last fraction, unshuffled.
  // class_weight applies to training data only, as in Keras; sample weights go with their rows.
  Tensors x = x_all, y = y_all, val_x(options.validation_x), val_y(options.validation_y);
  Tensor weights = all_weights, val_weights;
  std::int64_t rows = all_rows, val_rows = 0;
  if (!val_x.empty() || !val_y.empty()) {
    val_rows = Trainer::check_data(*this, val_x, val_y, "fit (validation_data)");
    val_weights = combined_sample_weights(options.validation_sample_weight, {}, val_y, val_rows,
                                          where + " (validation_data)");
  } else if (options.validation_split > 0) {
    const auto split_at = static_cast<std::int64_t>(std::floor(static_cast<double>(all_rows) * (1.0 - options.validation_split)));
    if (split_at == 0 || split_at == all_rows)
      throw Error("fit: validation_split " + std::to_string(options.validation_split) + " of " + std::to_string(all_rows) +
                  " samples leaves no training or no validation data");
    x.clear(); y.clear();
    for (const auto& t : x_all) { x.push_back(t.slice_rows(0, split_at)); val_x.push_back(t.slice_rows(split_at, all_rows)); }
    for (const auto& t : y_all) { y.push_back(t.slice_rows(0, split_at)); val_y.push_back(t.slice_rows(split_at, all_rows)); }
    if (all_weights.defined()) {
      weights = all_weights.slice_rows(0, split_at);
      // The validation rows keep their sample weights, without the class weights.
      val_weights = combined_sample_weights(options.sample_weight, {}, val_y, all_rows, where);
      if (val_weights.defined()) val_weights = val_weights.slice_rows(split_at, all_rows);
    }
    rows = split_at;
    val_rows = all_rows - split_at;
  }
  if (rows == 0) throw Error("fit on model '" + name() + "': no training samples");
  const DataParallelStrategy* strategy = options.strategy.get();
  check_replicas_have_rows(strategy, rows, options.batch_size, where);
  std::optional<CollectiveScope> collective_saves;  // callbacks' saves are collective too
  std::optional<detail::ReplicaTraining> replica;
  if (strategy) {
    collective_saves.emplace(strategy->collectives());
    Trainer::state(*this);
    strategy->broadcast_state(*this);
    replica.emplace(*this, *strategy);
  }
  const int verbose = shown_verbosity(options.verbose, strategy);

  const std::int64_t steps = steps_for(rows, options.batch_size);
  if (options.initial_epoch < 0 || options.initial_epoch > options.epochs)
    throw UsageError("fit: initial_epoch must be in [0, epochs], got " + std::to_string(options.initial_epoch));
  // One shuffling stream per epoch, derived from the seed and the epoch number, so a run resumed
  // with initial_epoch shuffles exactly as one that never stopped.
  const std::uint64_t seed = agreed_seed(options.seed, strategy);
  std::vector<std::int64_t> order(static_cast<std::size_t>(rows));
  History history;
  for (const auto& cb : options.callbacks) cb->on_train_begin(*this);
  for (int epoch = options.initial_epoch; epoch < options.epochs; ++epoch) {
    if (verbose > 0 && options.epochs > 1) std::printf("Epoch %d/%d\n", epoch + 1, options.epochs);
    for (const auto& cb : options.callbacks) cb->on_epoch_begin(*this, epoch);
    std::iota(order.begin(), order.end(), 0);
    if (options.shuffle) {
      std::mt19937_64 rng(seed + 0x9E3779B97F4A7C15ull * static_cast<std::uint64_t>(epoch + 1));
      std::shuffle(order.begin(), order.end(), rng);
    }
    Trainer::reset_metrics(*this);
    ProgressBar progress(steps, verbose);
    for (std::int64_t step = 0; step < steps; ++step) {
      auto begin = static_cast<std::size_t>(step * options.batch_size);
      auto end = static_cast<std::size_t>(std::min<std::int64_t>(rows, (step + 1) * options.batch_size));
      if (replica) {
        const auto global_rows = static_cast<std::int64_t>(end - begin);
        const auto [local_begin, local_end] = strategy->local_rows(global_rows);
        end = begin + static_cast<std::size_t>(local_end);
        begin += static_cast<std::size_t>(local_begin);
        const bool any = end > begin;
        replica->train_step(any ? take_rows(x, order, begin, end) : Tensors{}, any ? take_rows(y, order, begin, end) : Tensors{},
                            any && weights.defined() ? take_rows(weights, order, begin, end) : Tensor{},
                            static_cast<std::int64_t>(end - begin), global_rows);
      } else {
        const bool whole = begin == 0 && end == order.size() && !options.shuffle;
        Trainer::train_step(*this, whole ? x : take_rows(x, order, begin, end), whole ? y : take_rows(y, order, begin, end),
                            whole || !weights.defined() ? weights : take_rows(weights, order, begin, end));
      }
      const OrderedLogs logs = logs_of(*this, strategy);
      for (const auto& cb : options.callbacks) cb->on_train_batch_end(*this, static_cast<int>(step), to_logs(logs));
      if (step + 1 < steps) progress.update(step + 1, logs);
    }
    OrderedLogs logs = logs_of(*this, strategy);
    if (val_rows > 0) {
      for (const auto& cb : options.callbacks) cb->on_test_begin(*this);
      const OrderedLogs validation = run_evaluation(*this, val_x, val_y, val_weights, val_rows, options.batch_size, 0, strategy);
      for (const auto& cb : options.callbacks) cb->on_test_end(*this, to_logs(validation));
      for (const auto& [k, v] : validation) logs.emplace_back("val_" + k, v);
    }
    progress.update(steps, logs, true);
    const Logs epoch_logs = to_logs(logs);
    history.epochs.push_back(epoch);
    for (const auto& [k, v] : logs) history.history[k].push_back(v);
    bool stop = false;
    for (const auto& cb : options.callbacks) {
      cb->on_epoch_end(*this, epoch, epoch_logs);
      stop = stop || cb->stop_training;
    }
    if (stop) break;
  }
  for (const auto& cb : options.callbacks) cb->on_train_end(*this);
  return history;
}

Logs Model::evaluate(const Tensors& x, const Tensors& y, std::int64_t batch_size, int verbose,
                     const Tensor& sample_weight, const std::shared_ptr<DataParallelStrategy>& strategy) {
  if (batch_size <= 0) throw UsageError("evaluate: batch_size must be positive, got " + std::to_string(batch_size));
  const std::int64_t rows = Trainer::check_data(*this, x, y, "evaluate");
  if (rows == 0) throw Error("evaluate on model '" + name() + "': no samples");
  check_replicas_have_rows(strategy.get(), rows, batch_size, "evaluate on model '" + name() + "'");
  const Tensor weights = combined_sample_weights(sample_weight, {}, y, rows, "evaluate on model '" + name() + "'");
  return to_logs(run_evaluation(*this, x, y, weights, rows, batch_size, verbose, strategy.get()));
}

Logs Model::train_on_batch(const Tensors& x, const Tensors& y, const Tensor& sample_weight,
                           const ClassWeights& class_weight) {
  const std::int64_t rows = Trainer::check_data(*this, x, y, "train_on_batch");
  const Tensor weights =
      combined_sample_weights(sample_weight, class_weight, y, rows, "train_on_batch on model '" + name() + "'");
  Trainer::reset_metrics(*this);
  Trainer::train_step(*this, x, y, weights);
  return to_logs(Trainer::current_logs(*this));
}

Logs Model::test_on_batch(const Tensors& x, const Tensors& y, const Tensor& sample_weight) {
  const std::int64_t rows = Trainer::check_data(*this, x, y, "test_on_batch");
  const Tensor weights = combined_sample_weights(sample_weight, {}, y, rows, "test_on_batch on model '" + name() + "'");
  Trainer::reset_metrics(*this);
  Trainer::test_step(*this, x, y, weights);
  return to_logs(Trainer::current_logs(*this));
}

}  // namespace ksave
