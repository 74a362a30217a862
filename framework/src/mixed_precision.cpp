#include "mixed_precision.hpp"

#include <map>
#include <mutex>

#include "ksave/ops.hpp"

namespace ksave::detail {

std::atomic<int> mixed_precision_calls_running{0};

namespace {

// The calls running on this thread, innermost last; a variable reads through the innermost only.
thread_local std::vector<const MixedPrecisionCall*> calls_on_this_thread;

// At inference a layer reads the same variable values call after call: their roundings are kept
// per variable and checked against the value's storage and version, so each is made once per
// value (and the rounded storage stays the same, which the reordered-weights caches key on).
// Training rounds on the tape instead, every call, so the gradient flows back to the variable.
class RoundedValues {
 public:
  Tensor get(const Variable& variable, DType compute) {
    const Tensor& value = variable.stored_value();
    {
      std::lock_guard lock(mutex_);
      auto found = entries_.find(&variable);
      if (found != entries_.end() && found->second.compute == compute && found->second.source.matches(value.storage()))
        return found->second.rounded;
    }
    Tensor rounded = round_to(value, compute);
    std::lock_guard lock(mutex_);
    // A variable gone (its address may come back for another one) left an entry whose source only
    // the entry holds; those go at each miss.
    std::erase_if(entries_, [](const auto& entry) { return entry.second.source.orphaned(); });
    entries_[&variable] = Entry{compute, StorageStamp(value.storage()), rounded};
    return rounded;
  }

 private:
  struct Entry {
    DType compute;
    StorageStamp source;
    Tensor rounded;
  };
  std::mutex mutex_;
  std::map<const Variable*, Entry> entries_;
};

RoundedValues& rounded_values() {
  static RoundedValues values;
  return values;
}

}  // namespace

bool rounds_in(DType compute) { return compute == DType::Float16 || compute == DType::BFloat16; }

std::optional<DType> mixed_compute_dtype(const std::string& name) {
  if (name == "mixed_float16") return DType::Float16;
  if (name == "mixed_bfloat16") return DType::BFloat16;
  return std::nullopt;
}

Tensor round_to(const Tensor& x, DType compute) {
  if (x.dtype() != DType::Float32) return x;
  return ops::cast(ops::cast(x, compute), DType::Float32);
}

MixedPrecisionCall::MixedPrecisionCall(const Layer& layer)
    : compute_(layer.compute_dtype()), rounds_(rounds_in(layer.compute_dtype())) {
  if (!rounds_ && !active_on_this_thread()) return;
  if (rounds_ && layer.autocasts_variables()) {
    const bool on_tape = ops_observed();
    for (const VariablePtr& v : layer.weights()) {
      if (v->dtype() != DType::Float32) continue;
      rounded_.emplace_back(v.get(), on_tape ? round_to(v->stored_value(), compute_) : rounded_values().get(*v, compute_));
    }
  }
  calls_on_this_thread.push_back(this);
  pushed_ = true;
  if (!rounded_.empty()) mixed_precision_calls_running.fetch_add(1, std::memory_order_relaxed);
}

MixedPrecisionCall::~MixedPrecisionCall() {
  if (!pushed_) return;
  calls_on_this_thread.pop_back();
  if (!rounded_.empty()) mixed_precision_calls_running.fetch_sub(1, std::memory_order_relaxed);
}

bool MixedPrecisionCall::active_on_this_thread() {
  return !calls_on_this_thread.empty() && calls_on_this_thread.back()->rounds_;
}

Tensors MixedPrecisionCall::round(const Tensors& tensors) const {
  Tensors out = tensors;
  for (Tensor& t : out)
    if (t.defined()) t = round_to(t, compute_);
  return out;
}

const Tensor* MixedPrecisionCall::read(const Variable& variable) const {
  for (const auto& [v, rounded] : rounded_)
    if (v == &variable) return &rounded;
  return nullptr;
}

const Tensor* mixed_precision_read(const Variable& variable) {
  return calls_on_this_thread.empty() ? nullptr : calls_on_this_thread.back()->read(variable);
}

}  // namespace ksave::detail
