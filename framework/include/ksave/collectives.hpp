// Collective communication between the processes of one data-parallel job: what data-parallel
// training (data_parallel.hpp) and sharded checkpoints need from a distributed engine. libksave
// holds only this interface; ksave_mpi (mpi/) implements it over MPI, so the core and every
// plugin build and run without MPI.
#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace ksave {

class Collectives {
 public:
  virtual ~Collectives() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual void barrier() = 0;
  // Root's bytes into `data` on every rank (the same length on every rank).
  virtual void broadcast(std::span<std::byte> data, int root) = 0;
  // Element-wise sums over the ranks, in place. Every rank ends with the same bytes: each
  // element is summed in one place and copied from there, so ranks that apply the same update to
  // the result stay bit-identical.
  virtual void allreduce_sum(std::span<float> data) = 0;
  virtual void allreduce_sum(std::span<double> data) = 0;
  // Every rank's `mine`, in rank order, on every rank.
  virtual std::vector<std::string> allgather(const std::string& mine) = 0;
  // True when allreduce_sum may be called from a background thread while the calling thread
  // computes (MPI_THREAD_SERIALIZED or better): gradient buckets then overlap the backward pass.
  virtual bool background_reductions() const = 0;
};

// The process-wide current Collectives, as tf.distribute's `strategy.scope()`: while one of
// size > 1 is current, saves are collective (every rank calls them): the TF checkpoint format
// writes one data shard per rank and the other formats are written by rank 0 alone. Scopes nest;
// the innermost wins; a scope of null means "this process alone". Not thread-local: a
// data-parallel job has one communicator per process.
class CollectiveScope {
 public:
  explicit CollectiveScope(Collectives& collectives) : CollectiveScope(&collectives) {}
  explicit CollectiveScope(Collectives* collectives);
  ~CollectiveScope();
  CollectiveScope(const CollectiveScope&) = delete;
  CollectiveScope& operator=(const CollectiveScope&) = delete;

 private:
  Collectives* previous_;
};

// The innermost scope's Collectives, or null outside every scope.
Collectives* current_collectives();
// The current Collectives when it spans more than one process, else null.
Collectives* current_multi_process_collectives();

// Runs `work` on this rank, then makes every rank agree on the outcome: when it threw on any
// rank, every rank throws an Error "<what> failed on rank R: <message>" for each failing rank.
// This keeps ranks from continuing into the next collective while one of them has given up.
void run_agreed(Collectives& collectives, const std::string& what, const std::function<void()>& work);

// Work that one process does for all (a file written once): outside a multi-process scope it
// just runs; inside one, rank 0 runs it (as a process alone: saves it makes are not collective)
// while the others wait, and every rank throws if it failed (run_agreed).
void run_on_chief(const std::string& what, const std::function<void()>& work);

}  // namespace ksave
