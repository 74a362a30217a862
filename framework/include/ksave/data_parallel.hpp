// Data-parallel training, as tf.distribute's MultiWorkerMirroredStrategy and Horovod do it: the
// same model in every process, each process a slice of every global batch, gradients summed
// across processes so that every process applies the same update.
//
//   auto strategy = ksave::mpi::strategy();            // ksave_mpi (mpi/include/ksave/mpi.hpp)
//   model->fit(x, y, {.batch_size = 64, .strategy = strategy});   // 64 rows per step in all
//
// fit, evaluate and predict take a strategy. libksave holds the strategy and speaks to the
// distributed engine through the Collectives interface only (collectives.hpp).
#pragma once

#include <cstdint>
#include <memory>
#include <utility>

#include "ksave/collectives.hpp"

namespace ksave {

class Model;

struct DataParallelOptions {
  // Gradients travel in buckets of about this many bytes, filled in backward order (last layer
  // first): PyTorch DDP's default (Horovod's fusion buffer is 64 MiB). Fewer, larger messages
  // pay the per-message latency less often; smaller ones start reducing earlier.
  std::size_t bucket_bytes = std::size_t{25} << 20;
  // Reduce a bucket on a background thread as soon as the backward pass has finished its
  // gradients, while the pass goes on (needs Collectives::background_reductions()).
  bool overlap = true;
};

class DataParallelStrategy {
 public:
  explicit DataParallelStrategy(std::shared_ptr<Collectives> collectives, DataParallelOptions options = {});

  Collectives& collectives() const { return *collectives_; }
  int rank() const { return collectives_->rank(); }
  int num_replicas() const { return collectives_->size(); }
  // Rank 0 prints progress and writes the files that are not sharded.
  bool is_chief() const { return rank() == 0; }
  const DataParallelOptions& options() const { return options_; }

  // This replica's rows [begin, end) of a global batch of `rows`: contiguous slices as even as
  // possible, the first `rows % replicas` ranks taking one row more. A remainder batch smaller
  // than the number of replicas leaves some replicas without rows; they still take part in the
  // reductions with zero gradients.
  std::pair<std::int64_t, std::int64_t> local_rows(std::int64_t rows) const;

  // Copies rank 0's weights and optimizer state (iterations and slots, created first) to every
  // rank, after checking that every rank holds a model with the same variables (names, dtypes,
  // shapes); fit does this before its first step.
  void broadcast_state(Model& model) const;

 private:
  std::shared_ptr<Collectives> collectives_;
  DataParallelOptions options_;
};

using DataParallelStrategyPtr = std::shared_ptr<DataParallelStrategy>;

}  // namespace ksave
