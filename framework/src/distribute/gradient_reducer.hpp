// Sums the replicas' gradients, Horovod- and DDP-style: gradients are copied into fixed buckets
// of about DataParallelOptions::bucket_bytes as the backward pass finishes them, and each full
// bucket is summed across the ranks (one allreduce per bucket, on a background thread when the
// Collectives allow it) while the pass goes on.
//
// The bucket layout is fixed for the whole fit and the same on every rank (variables in reverse
// order, as backward finishes them), and buckets are launched strictly in order, so every rank
// issues the same collectives in the same order whatever order its gradients arrive in.
#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "ksave/collectives.hpp"
#include "ksave/data_parallel.hpp"
#include "ksave/variable.hpp"

namespace ksave::detail {

class GradientReducer {
 public:
  GradientReducer(Collectives& collectives, const std::vector<VariablePtr>& variables, const DataParallelOptions& options);
  ~GradientReducer();
  GradientReducer(const GradientReducer&) = delete;
  GradientReducer& operator=(const GradientReducer&) = delete;

  void begin_step();
  // The backward pass's final gradient of variable `index` (undefined: none; counts as zeros).
  void add(std::size_t index, const Tensor& gradient);
  // Ends the step: variables without a gradient count as zeros, every bucket is reduced, then
  // `extras` is summed across the ranks too. Returns the summed gradient of each variable,
  // undefined where no rank had one.
  std::vector<Tensor> finish(std::vector<double>& extras);

  std::size_t bucket_count() const { return buckets_.size(); }

 private:
  struct Bucket {
    std::vector<float> data;
    std::size_t variables = 0;
    std::size_t pending = 0;  // variables of this step not added yet
  };
  struct Place {
    std::size_t bucket, offset, count;
  };
  void launch_complete_buckets();
  void reduce_in_background(std::size_t bucket);
  void worker_loop();
  void wait_for_reductions();

  Collectives& collectives_;
  const bool background_;
  std::vector<Bucket> buckets_;
  std::vector<Place> places_;
  std::vector<Shape> shapes_;
  std::vector<char> received_, defined_;
  std::size_t next_launch_ = 0;

  std::thread worker_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  std::deque<std::size_t> queue_;
  std::size_t reduced_ = 0;
  std::exception_ptr error_;
  bool stop_ = false;
};

}  // namespace ksave::detail
