// Counts the heap allocations of a steady-state call (after warm-up) of issue 14's workloads:
// predict_on_batch of the MLP, CNN and LSTM (and the others bench_compute times). The goal is
// zero; this program measures where a round of work stands, it does not assert anything.
//   bench_allocations [--calls 20]
// Every allocation of the process is counted, ksave's and its libraries' (oneDNN, libstdc++):
// this executable defines malloc and its relatives, which the dynamic linker then binds for every
// library, and forwards them to glibc's own (__libc_malloc...). Prints one line per workload and
// one JSON object per line.
#include <atomic>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cerrno>
#include <cstring>
#include <string>

#include "compute_workloads.hpp"

extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
void __libc_free(void*);
}

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

extern "C" {
void* malloc(std::size_t bytes) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_malloc(bytes);
}
void* calloc(std::size_t count, std::size_t bytes) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_calloc(count, bytes);
}
void* realloc(void* p, std::size_t bytes) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_realloc(p, bytes);
}
void* memalign(std::size_t alignment, std::size_t bytes) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_memalign(alignment, bytes);
}
void* aligned_alloc(std::size_t alignment, std::size_t bytes) { return memalign(alignment, bytes); }
int posix_memalign(void** out, std::size_t alignment, std::size_t bytes) {
  void* p = memalign(alignment, bytes);
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}
void free(void* p) { __libc_free(p); }
}

int main(int argc, char** argv) {
  int calls = 20;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--calls") == 0 && i + 1 < argc) {
      calls = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: bench_allocations [--calls N]\n");
      return 2;
    }
  }
  ksave::set_intra_op_parallelism_threads(1);
  for (bench::Workload& w : bench::compute_workloads()) {
    for (int i = 0; i < 3; ++i) w.model->predict_on_batch({w.x});  // plans buffers, creates primitives
    const long before = g_allocations.load();
    for (int i = 0; i < calls; ++i) w.model->predict_on_batch({w.x});
    const double per_call = static_cast<double>(g_allocations.load() - before) / calls;
    std::printf("%-10s predict: %.1f allocations per call after warm-up\n", w.name.c_str(), per_call);
    std::printf("{\"workload\": \"%s\", \"mode\": \"predict\", \"allocations_per_call\": %.1f}\n", w.name.c_str(),
                per_call);
  }
}
