#include "buffers.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "ksave/error.hpp"

namespace ksave::detail {

namespace {

constexpr std::size_t kAlign = 64;
constexpr std::size_t kHugePage = std::size_t{2} << 20;
// The pool keeps at most this much memory idle (per process), and no buffer larger than a quarter
// of it: a model's working set fits, a one-off huge temporary is released. A training step holds
// every activation until its gradient is taken (MobileNetV2 at batch 8: over 256 MiB), and what
// the pool cannot keep goes back to the system and is faulted in again, page by page, on the next
// step; so the limit is an eighth of the machine's memory, from 256 MiB to 4 GiB (TensorFlow's
// allocator keeps its peak for good). KSAVE_BUFFER_POOL_MB sets it.
std::size_t pool_limit() {
  static const std::size_t limit = [] {
    constexpr std::size_t kMiB = std::size_t{1} << 20;
    if (const char* env = std::getenv("KSAVE_BUFFER_POOL_MB")) {
      char* end = nullptr;
      const unsigned long long mb = std::strtoull(env, &end, 10);
      if (end != env && *end == '\0' && mb <= (std::size_t{1} << 24)) return static_cast<std::size_t>(mb) * kMiB;
    }
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    const std::size_t physical = pages > 0 && page > 0 ? static_cast<std::size_t>(pages) * static_cast<std::size_t>(page) : 0;
    return std::clamp(physical / 8, 256 * kMiB, 4096 * kMiB);
  }();
  return limit;
}

[[noreturn]] void out_of_memory(std::size_t bytes) {
  throw Error("out of memory allocating " + std::to_string(bytes) + " bytes for a tensor");
}

// A size read from a damaged file can be near SIZE_MAX; rounding it up to a size class or a huge
// page would wrap around to a small buffer that the caller then overruns.
void refuse_impossible(std::size_t bytes) {
  if (bytes > std::numeric_limits<std::size_t>::max() - 2 * kHugePage)
    throw Error("cannot allocate " + std::to_string(bytes) + " bytes for a tensor");
}

void* aligned(std::size_t rounded) {
  void* p = std::aligned_alloc(kAlign, rounded);
  if (!p) out_of_memory(rounded);
  return p;
}

#if defined(__SANITIZE_ADDRESS__)
// Under AddressSanitizer freed buffers go straight back to the allocator, which then reports a
// use after free; a pool would keep them valid memory and hide it.
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

// KSAVE_POISON_BUFFERS=1 (the default under AddressSanitizer; the test suite sets it) fills every
// recycled buffer with NaN bytes when it is handed out and when it comes back: a kernel that
// reads its output before writing all of it, or a pointer kept into a freed tensor, then fails
// every run instead of only when a reused buffer happens to hold bad values.
bool poison_recycled() {
  static const bool poison = [] {
    const char* env = std::getenv("KSAVE_POISON_BUFFERS");
    return env ? std::string(env) != "0" : kSanitized;
  }();
  return poison;
}

void poison(void* p, std::size_t rounded) {
  if (poison_recycled()) std::memset(p, 0xff, rounded);
}

// Size classes: 64-byte steps up to 4 KiB, then 4 KiB steps, so a class's buffers are
// interchangeable and the waste stays small.
std::size_t size_class(std::size_t bytes) {
  const std::size_t step = bytes <= 4096 ? kAlign : 4096;
  return (std::max<std::size_t>(bytes, 1) + step - 1) / step * step;
}

class Pool {
 public:
  void* take(std::size_t rounded) {
    {
      const std::lock_guard lock(mutex_);
      auto it = free_.find(rounded);
      if (it != free_.end() && !it->second.empty()) {
        void* p = it->second.back();
        it->second.pop_back();
        pooled_ -= rounded;
        return p;
      }
    }
    return aligned(rounded);
  }

  void give_back(void* p, std::size_t rounded) {
    if (!kSanitized) {
      const std::lock_guard lock(mutex_);
      if (rounded <= pool_limit() / 4 && pooled_ + rounded <= pool_limit()) {
        poison(p, rounded);
        free_[rounded].push_back(p);
        pooled_ += rounded;
        return;
      }
    }
    std::free(p);
  }

 private:
  std::mutex mutex_;
  std::unordered_map<std::size_t, std::vector<void*>> free_;
  std::size_t pooled_ = 0;
};

Pool& pool() {
  // Never destroyed: tensors held by static objects may be freed after main returns.
  static Pool* instance = new Pool;
  return *instance;
}

// A fresh anonymous mapping of `bytes`, 2 MiB aligned and marked for transparent huge pages
// (where the kernel enables them on request): a weight that a load then writes faults in 2 MiB at
// a time instead of 4 KiB, which is most of what filling a large model costs.
std::shared_ptr<void> mapped_zeros(std::size_t bytes) {
  const std::size_t mapped = bytes + kHugePage;
  void* p = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) out_of_memory(bytes);
  const auto base = reinterpret_cast<std::uintptr_t>(p);
  void* aligned_start = reinterpret_cast<void*>((base + kHugePage - 1) / kHugePage * kHugePage);
  madvise(aligned_start, bytes, MADV_HUGEPAGE);  // a hint: failure leaves ordinary pages
  return std::shared_ptr<void>(aligned_start, [p, mapped](void*) { munmap(p, mapped); });
}

}  // namespace

std::shared_ptr<void> zeroed_buffer(std::size_t bytes) {
  refuse_impossible(bytes);
  if (bytes >= kMappedZerosFrom) return mapped_zeros(bytes);
  std::shared_ptr<void> buffer = recycled_buffer(bytes);
  std::memset(buffer.get(), 0, bytes);
  return buffer;
}

void* take_recycled(std::size_t bytes) {
  refuse_impossible(bytes);
  const std::size_t rounded = size_class(bytes);
  void* p = pool().take(rounded);
  poison(p, rounded);
  return p;
}

void give_back_recycled(void* p, std::size_t bytes) { pool().give_back(p, size_class(bytes)); }

std::shared_ptr<void> recycled_buffer(std::size_t bytes) {
  void* p = take_recycled(bytes);
  return std::shared_ptr<void>(p, [bytes](void* q) { give_back_recycled(q, bytes); });
}

}  // namespace ksave::detail
