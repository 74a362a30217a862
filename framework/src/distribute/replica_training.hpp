// One replica's side of data-parallel fit and evaluate: the steps on this rank's slice of each
// global batch, with losses scaled so that the replicas add up to one process on the whole batch
// (Trainer::step_loss), gradients summed by the GradientReducer, and logs whose metric states
// are summed across the ranks (Keras's metrics are sums: totals, counts, confusion counts).
#pragma once

#include <vector>

#include "../training/trainer.hpp"
#include "gradient_reducer.hpp"
#include "ksave/data_parallel.hpp"

namespace ksave::detail {

class ReplicaTraining {
 public:
  ReplicaTraining(Model& model, const DataParallelStrategy& strategy);

  // x, y and weights hold this replica's rows of a global batch of `global_rows` (no tensors at
  // all when the replica has no rows in a remainder batch).
  void train_step(const Tensors& x, const Tensors& y, const Tensor& weights, std::int64_t local_rows,
                  std::int64_t global_rows);

 private:
  Model& model_;
  Collectives& collectives_;
  std::vector<VariablePtr> trainable_;
  std::vector<VariablePtr> non_trainable_;
  GradientReducer reducer_;
};

// Evaluation step on this replica's rows: the loss values summed across the ranks, the compiled
// metrics updated with the local rows.
void replica_test_step(Model& model, Collectives& collectives, const Tensors& x, const Tensors& y, const Tensor& weights,
                       std::int64_t local_rows, std::int64_t global_rows);

// The logs as one process would have them: running means are already global; the compiled
// metrics' states are summed across the ranks for the reading, then put back.
OrderedLogs replica_logs(Model& model, Collectives& collectives);

}  // namespace ksave::detail
