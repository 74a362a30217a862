#include "gradient_reducer.hpp"

#include <cstring>

#include "ksave/error.hpp"

namespace ksave::detail {

GradientReducer::GradientReducer(Collectives& collectives, const std::vector<VariablePtr>& variables,
                                 const DataParallelOptions& options)
    : collectives_(collectives), background_(options.overlap && collectives.background_reductions()),
      places_(variables.size()), received_(variables.size()), defined_(variables.size()) {
  for (const auto& v : variables) {
    if (v->dtype() != DType::Float32)
      throw Error("data-parallel training: trainable variable '" + v->name() + "' is " + std::string(dtype_name(v->dtype())) +
                  "; gradients are reduced as float32 only");
    shapes_.push_back(v->shape());
  }
  const std::size_t limit = std::max<std::size_t>(options.bucket_bytes / sizeof(float), 1);
  for (std::size_t k = variables.size(); k-- > 0;) {
    const auto count = static_cast<std::size_t>(num_elements(shapes_[k]));
    if (buckets_.empty() || (buckets_.back().data.size() > 0 && buckets_.back().data.size() + count > limit))
      buckets_.emplace_back();
    Bucket& b = buckets_.back();
    places_[k] = {buckets_.size() - 1, b.data.size(), count};
    b.data.resize(b.data.size() + count);
    ++b.variables;
  }
}

GradientReducer::~GradientReducer() {
  if (!worker_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  worker_.join();
}

void GradientReducer::begin_step() {
  std::fill(received_.begin(), received_.end(), 0);
  for (auto& b : buckets_) b.pending = b.variables;
  next_launch_ = 0;
  std::lock_guard lock(mutex_);
  reduced_ = 0;
  error_ = nullptr;
}

void GradientReducer::add(std::size_t index, const Tensor& gradient) {
  if (index >= places_.size() || received_[index]) return;
  const Place& p = places_[index];
  Bucket& b = buckets_[p.bucket];
  float* out = b.data.data() + p.offset;
  defined_[index] = gradient.defined();
  if (gradient.defined()) {
    const Tensor g = gradient.as_float();
    if (static_cast<std::size_t>(g.size()) != p.count)
      throw Error("data-parallel training: gradient of variable " + std::to_string(index) + " has " +
                  std::to_string(g.size()) + " values, the variable " + std::to_string(p.count));
    std::memcpy(out, g.data<float>(), p.count * sizeof(float));
  } else {
    std::fill(out, out + p.count, 0.f);
  }
  received_[index] = 1;
  --b.pending;
  launch_complete_buckets();
}

void GradientReducer::launch_complete_buckets() {
  while (next_launch_ < buckets_.size() && buckets_[next_launch_].pending == 0) {
    const std::size_t bucket = next_launch_++;
    if (background_) {
      reduce_in_background(bucket);
    } else {
      collectives_.allreduce_sum(buckets_[bucket].data);
      std::lock_guard lock(mutex_);
      ++reduced_;
    }
  }
}

void GradientReducer::reduce_in_background(std::size_t bucket) {
  if (!worker_.joinable()) worker_ = std::thread([this] { worker_loop(); });
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(bucket);
  }
  wake_.notify_one();
}

void GradientReducer::worker_loop() {
  for (;;) {
    std::size_t bucket;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (stop_ && queue_.empty()) return;
      bucket = queue_.front();
      queue_.pop_front();
    }
    std::exception_ptr error;
    try {
      collectives_.allreduce_sum(buckets_[bucket].data);
    } catch (...) {
      error = std::current_exception();
    }
    {
      std::lock_guard lock(mutex_);
      if (error && !error_) error_ = error;
      ++reduced_;
    }
    done_.notify_all();
  }
}

void GradientReducer::wait_for_reductions() {
  std::unique_lock lock(mutex_);
  done_.wait(lock, [this] { return reduced_ == buckets_.size(); });
  if (error_) std::rethrow_exception(error_);
}

std::vector<Tensor> GradientReducer::finish(std::vector<double>& extras) {
  for (std::size_t i = 0; i < received_.size(); ++i)
    if (!received_[i]) add(i, Tensor());
  wait_for_reductions();
  // Which variables had a gradient anywhere travels with the extras: one more small message.
  const std::size_t first_flag = extras.size();
  for (char d : defined_) extras.push_back(d ? 1.0 : 0.0);
  collectives_.allreduce_sum(extras);
  std::vector<Tensor> grads(places_.size());
  for (std::size_t i = 0; i < places_.size(); ++i) {
    if (extras[first_flag + i] == 0.0) continue;
    Tensor g(DType::Float32, shapes_[i]);
    std::memcpy(g.data<float>(), buckets_[places_[i].bucket].data.data() + places_[i].offset, places_[i].count * sizeof(float));
    grads[i] = std::move(g);
  }
  extras.resize(first_flag);
  return grads;
}

}  // namespace ksave::detail
