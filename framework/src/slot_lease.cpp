#include "slot_lease.hpp"

namespace ksave::detail {
namespace {

// The arrays this thread's finished calls gave back; as many as its deepest nesting of calls.
std::vector<std::unique_ptr<std::vector<Tensor>>>& idle_arrays() {
  thread_local std::vector<std::unique_ptr<std::vector<Tensor>>> idle;
  return idle;
}

}  // namespace

SlotLease::SlotLease(std::size_t count) {
  auto& idle = idle_arrays();
  if (idle.empty()) {
    slots_ = std::make_unique<std::vector<Tensor>>();
  } else {
    slots_ = std::move(idle.back());
    idle.pop_back();
  }
  slots_->resize(count);  // default tensors hold no storage and allocate nothing
}

SlotLease::~SlotLease() {
  slots_->clear();  // the call's tensors are released now, not when the array is next used
  idle_arrays().push_back(std::move(slots_));
}

}  // namespace ksave::detail
