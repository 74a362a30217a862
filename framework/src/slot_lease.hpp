// The tensor slots of one functional call (one per tensor of the graph, and one per mask), leased
// from arrays the calling thread keeps: a call takes an array (a nested model's call, a second
// one) and gives it back emptied of its tensors but with its capacity, so a steady-state predict
// allocates no slot arrays however large the graph (ONNX Runtime plans its buffers once likewise).
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "ksave/tensor.hpp"

namespace ksave::detail {

class SlotLease {
 public:
  explicit SlotLease(std::size_t count);
  ~SlotLease();
  SlotLease(const SlotLease&) = delete;
  SlotLease& operator=(const SlotLease&) = delete;

  std::vector<Tensor>& slots() { return *slots_; }

 private:
  std::unique_ptr<std::vector<Tensor>> slots_;
};

}  // namespace ksave::detail
