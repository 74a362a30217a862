// The glue between ksave's tensors and oneDNN (Debian's libdnnl, the library TensorFlow's own CPU
// kernels use): one CPU engine, a stream per thread, memory descriptors for plain tensors of any
// strides (so NHWC activations and HWIO filters are handed over as they are stored), a cache of
// ready primitives keyed by shape, and execution with a per-thread scratchpad (user scratchpad
// mode: primitives stay safe to run from several threads at once, and a steady state reuses the
// same scratch memory instead of allocating it per call).
#pragma once

#include <dnnl.hpp>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/container/small_vector.hpp>

#include "parallel.hpp"

namespace ksave::detail::onednn {

using dnnl::memory;

const dnnl::engine& engine();

// A float32 descriptor of `dims` laid out with `strides` (elements).
memory::desc plain(const memory::dims& dims, const memory::dims& strides);
// An NHWC tensor as oneDNN's (n, c, h, w) dimensions, through strides.
memory::desc nhwc(std::int64_t n, std::int64_t c, std::int64_t h, std::int64_t w);
// Row-major (C-contiguous) strides of `dims`.
memory::dims row_major(const memory::dims& dims);

// Attributes every ksave primitive is created with (user scratchpad), plus optional post-ops.
dnnl::primitive_attr attributes(const dnnl::post_ops& post = {});

// One argument of a primitive call: descriptor and the memory it points at.
struct Arg {
  int id;
  const memory::desc& desc;
  const void* data;
};

// The thread count of the primitive this thread last took from a PrimitiveCache, which run()
// applies: each call site takes its primitive from the cache right before running it.
int primitive_threads();
void set_primitive_threads(int threads);

// Runs `p` on this thread's stream with `args` and a scratchpad of `scratch` bytes, on
// primitive_threads() threads; waits for it. The memory objects that wrap the given pointers are
// kept per primitive and thread and rebound on the next call (no allocation in a steady state).
void run(const dnnl::primitive& p, std::span<const Arg> args, const memory::desc& scratch);
inline void run(const dnnl::primitive& p, std::initializer_list<Arg> args, const memory::desc& scratch) {
  run(p, std::span<const Arg>(args.begin(), args.size()), scratch);
}

// A float buffer of this thread that grows and is kept for the next call (reordered weights,
// gradients in oneDNN's layout). `slot` keeps several alive at once.
float* thread_buffer(int slot, std::size_t floats);
inline constexpr int kWeightsSlot = 0;      // a filter or input kernel in the primitive's layout
inline constexpr int kRecurrentSlot = 1;    // a recurrent kernel in the primitive's layout
inline constexpr int kSequenceSlot = 2;     // a sequence nobody keeps (inference)
inline constexpr int kGradientSlot = 3;     // a gradient in the primitive's layout
inline constexpr int kRecurrentGradSlot = 4;
inline constexpr int kBiasSlot = 5;         // a bias rearranged for the primitive

// A reorder from layout `from` to layout `to`, or nothing when they are the same.
std::optional<dnnl::reorder> reorder_between(const memory::desc& from, const memory::desc& to);
// `data` (laid out as `from`) as the primitive wants it: itself without a reorder, else a copy
// in this thread's buffer `slot`.
const void* in_layout(const std::optional<dnnl::reorder>& r, const memory::desc& from, const memory::desc& to,
                      const void* data, int slot);
// Runs the reorder `r` from `src` (laid out as `from`) into `dst` (as `to`).
void reorder(const dnnl::reorder& r, const memory::desc& from, const void* src, const memory::desc& to, void* dst);

// A primitive's shape and options as integers; held inline (a convolution's key is 19 long with
// the thread count), so looking a primitive up allocates nothing.
using PrimitiveKey = boost::container::small_vector<std::int64_t, 24>;

// Primitives (and whatever the caller keeps with them) created once per key: creating a oneDNN
// primitive descriptor costs tens of microseconds, far more than running a small one.
template <typename Entry>
class PrimitiveCache {
 public:
  using Key = PrimitiveKey;
  // oneDNN splits a primitive's work for the thread count in force when it is created, so that
  // count is part of the key and is applied to this thread before creating. The count follows
  // the primitive's work (`flops`): small primitives run on the calling thread alone.
  // `make` is any callable returning an Entry (a template: a std::function holding a capturing
  // lambda would allocate on every lookup).
  template <typename Make>
  const Entry& get(Key key, double flops, const Make& make) {
    const int threads = threads_for(flops);
    set_primitive_threads(threads);
    apply_threads(threads);
    key.push_back(threads);
    {
      const std::lock_guard lock(mutex_);
      auto it = entries_.find(key);
      if (it != entries_.end()) return *it->second;
    }
    auto made = std::make_unique<Entry>(make());  // outside the lock: creation is slow
    const std::lock_guard lock(mutex_);
    auto [it, inserted] = entries_.try_emplace(std::move(key), std::move(made));
    return *it->second;
  }

 private:
  struct KeyHash {
    std::size_t operator()(const Key& key) const {
      std::size_t h = 1469598103934665603ull;
      for (std::int64_t v : key) h = (h ^ static_cast<std::size_t>(v)) * 1099511628211ull;
      return h;
    }
  };
  std::mutex mutex_;
  // Entries are never removed (a model has a bounded set of shapes), so references stay valid.
  std::unordered_map<Key, std::unique_ptr<Entry>, KeyHash> entries_;
};

// "dnnl: <what> (<status>)" as a ksave::Error naming the op: oneDNN refuses a configuration.
[[noreturn]] void fail(const std::string& op, const dnnl::error& e);

}  // namespace ksave::detail::onednn
