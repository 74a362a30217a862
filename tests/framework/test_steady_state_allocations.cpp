// Steady-state predict allocates nothing: after warm-up calls (which plan the buffers and create
// the oneDNN primitives), a predict_on_batch of the MLP, CNN and LSTM makes no heap
// allocation at all in ksave — every activation, output and scratch buffer is reused, and the
// bookkeeping (shapes, tensor lists, op attributes, primitive lookups) lives inline or in state
// built once per model or per thread. Counted with a malloc interposer (this executable's malloc,
// calloc, realloc, aligned_alloc and posix_memalign wrap glibc's).
//
// oneDNN's own allocations, made inside dnnl_primitive_execute (its per-call argument map; this
// executable interposes that function as it does malloc), are counted apart and reported: ksave
// cannot remove them. With KSAVE_TRACE_ALLOCATIONS set, the call stack of each allocation ksave
// makes is printed, which is how to find one that breaks the count.
#define BOOST_TEST_MODULE steady_state_allocations
#include <boost/test/unit_test.hpp>

#include <dlfcn.h>
#include <execinfo.h>
#include <oneapi/dnnl/dnnl.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "ksave/ksave.hpp"

extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
}

namespace {

// Counting is off outside the measured calls; atomics because oneDNN's threads allocate too.
std::atomic<bool> g_counting{false};
std::atomic<long> g_large{0}, g_small{0}, g_onednn{0};
// Calls in progress inside oneDNN's execute or its sgemm (any thread: its OpenMP workers allocate
// too); what oneDNN allocates there (sgemm its packing buffers) is counted as oneDNN's.
std::atomic<int> g_inside_onednn{0};
constexpr std::size_t kLarge = 4096;

// With KSAVE_TRACE_ALLOCATIONS set, the call stack of each small allocation ksave makes while
// counting is kept (in fixed storage: recording must not allocate) and printed after the calls,
// which is how to find the one that broke the count.
struct Trace {
  std::array<void*, 24> frames;
  int depth;
};
constexpr int kMaxTraces = 1024;
std::array<Trace, kMaxTraces> g_traces;
std::atomic<int> g_trace_count{0};
const bool g_tracing = std::getenv("KSAVE_TRACE_ALLOCATIONS") != nullptr;
thread_local bool t_in_backtrace = false;

void record_trace() {
  if (!g_tracing || t_in_backtrace) return;
  const int slot = g_trace_count.fetch_add(1);
  if (slot >= kMaxTraces) return;
  t_in_backtrace = true;
  g_traces[static_cast<std::size_t>(slot)].depth = backtrace(g_traces[static_cast<std::size_t>(slot)].frames.data(), 24);
  t_in_backtrace = false;
}

void count(std::size_t bytes) {
  if (!g_counting.load(std::memory_order_relaxed)) return;
  if (g_inside_onednn.load(std::memory_order_relaxed) > 0) {
    g_onednn.fetch_add(1, std::memory_order_relaxed);
  } else if (bytes >= kLarge) {
    g_large.fetch_add(1, std::memory_order_relaxed);
    record_trace();
  } else {
    g_small.fetch_add(1, std::memory_order_relaxed);
    record_trace();
  }
}

// One frame as "function (module)", through addr2line on the module's offset: the library's
// internal functions are in its symbol table, not in the dynamic one backtrace_symbols reads.
std::string describe_frame(void* address) {
  Dl_info info{};
  if (dladdr(address, &info) == 0 || !info.dli_fname) return "?";
  // A return address points past its call: one byte back is inside the calling line.
  const auto offset = reinterpret_cast<std::uintptr_t>(address) - reinterpret_cast<std::uintptr_t>(info.dli_fbase) - 1;
  std::ostringstream command;
  command << "addr2line -f -C -e '" << info.dli_fname << "' 0x" << std::hex << offset;
  std::string function;
  if (FILE* pipe = popen(command.str().c_str(), "r")) {
    std::array<char, 4096> line{};
    if (std::fgets(line.data(), static_cast<int>(line.size()), pipe)) function = line.data();
    pclose(pipe);
  }
  if (!function.empty() && function.back() == '\n') function.pop_back();
  std::string module = info.dli_fname;
  return function + " (" + module.substr(module.rfind('/') + 1) + ")";
}

// The recorded stacks, the same ones merged, each with how many times it allocated.
void print_traces(const char* name) {
  std::map<std::vector<void*>, int> stacks;
  const int recorded = std::min(g_trace_count.load(), kMaxTraces);
  for (int i = 0; i < recorded; ++i) {
    const Trace& t = g_traces[static_cast<std::size_t>(i)];
    ++stacks[std::vector<void*>(t.frames.begin(), t.frames.begin() + t.depth)];
  }
  for (const auto& [frames, times] : stacks) {
    std::ostringstream out;
    out << name << ": " << times << " allocation(s) from\n";
    // Frame 0 is the malloc wrapper (record_trace and count are inlined in it); the stack is cut
    // at predict_on_batch, below which is the test.
    for (std::size_t f = 1; f < frames.size(); ++f) {
      const std::string frame = describe_frame(frames[f]);
      out << "    " << frame << "\n";
      if (frame.find("predict_on_batch") != std::string::npos) break;
    }
    BOOST_TEST_MESSAGE(out.str());
  }
}

}  // namespace

// oneDNN's entry point, interposed (libksave calls it through the dynamic linker, which binds this
// executable's definition first) to tell its allocations from ksave's.
extern "C" dnnl_status_t dnnl_primitive_execute(const_dnnl_primitive_t primitive, dnnl_stream_t stream, int nargs,
                                                const dnnl_exec_arg_t* args) {
  using Execute = dnnl_status_t (*)(const_dnnl_primitive_t, dnnl_stream_t, int, const dnnl_exec_arg_t*);
  static const auto real = reinterpret_cast<Execute>(dlsym(RTLD_NEXT, "dnnl_primitive_execute"));
  g_inside_onednn.fetch_add(1);
  const dnnl_status_t status = real(primitive, stream, nargs, args);
  g_inside_onednn.fetch_sub(1);
  return status;
}

// The small products ksave hands to oneDNN's sgemm, interposed likewise.
extern "C" dnnl_status_t dnnl_sgemm(char transa, char transb, dnnl_dim_t m, dnnl_dim_t n, dnnl_dim_t k, float alpha,
                                    const float* a, dnnl_dim_t lda, const float* b, dnnl_dim_t ldb, float beta, float* c,
                                    dnnl_dim_t ldc) {
  using Sgemm = dnnl_status_t (*)(char, char, dnnl_dim_t, dnnl_dim_t, dnnl_dim_t, float, const float*, dnnl_dim_t,
                                  const float*, dnnl_dim_t, float, float*, dnnl_dim_t);
  static const auto real = reinterpret_cast<Sgemm>(dlsym(RTLD_NEXT, "dnnl_sgemm"));
  g_inside_onednn.fetch_add(1);
  const dnnl_status_t status = real(transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  g_inside_onednn.fetch_sub(1);
  return status;
}

#if !defined(__SANITIZE_ADDRESS__)
extern "C" {
void* malloc(std::size_t bytes) {
  count(bytes);
  return __libc_malloc(bytes);
}
void* calloc(std::size_t n, std::size_t size) {
  count(n * size);
  return __libc_calloc(n, size);
}
void* realloc(void* p, std::size_t bytes) {
  count(bytes);
  return __libc_realloc(p, bytes);
}
void* aligned_alloc(std::size_t alignment, std::size_t bytes) {
  count(bytes);
  return __libc_memalign(alignment, bytes);
}
int posix_memalign(void** out, std::size_t alignment, std::size_t bytes) {
  count(bytes);
  *out = __libc_memalign(alignment, bytes);
  return *out ? 0 : 12;  // ENOMEM
}
}
#endif

using namespace ksave;

namespace {

Tensor ramp(Shape shape) {
  Tensor t(DType::Float32, std::move(shape));
  for (std::int64_t i = 0; i < t.size(); ++i) t.data<float>()[i] = static_cast<float>(i % 17) / 17.0f - 0.5f;
  return t;
}

struct Counts {
  long large, small, onednn;
};

constexpr int kCalls = 10;

Counts count_predicts(Model& model, const Tensor& x) {
  const Tensors inputs{x};  // built once: the caller's own list is not the library's allocation
  for (int i = 0; i < 3; ++i) model.predict_on_batch(inputs);  // warm-up
  if (g_tracing) {
    std::array<void*, 4> warm{};
    backtrace(warm.data(), 4);  // its first call loads the unwinder, which allocates
  }
  g_large = 0;
  g_small = 0;
  g_onednn = 0;
  g_trace_count = 0;
  g_counting = true;
  for (int i = 0; i < kCalls; ++i) model.predict_on_batch(inputs);
  g_counting = false;
  return {g_large.load(), g_small.load() / kCalls, g_onednn.load() / kCalls};
}

void expect_steady_state(const char* name, Model& model, const Tensor& x) {
#if defined(__SANITIZE_ADDRESS__)
  BOOST_TEST_MESSAGE(name << ": not counted under AddressSanitizer (it owns malloc)");
#else
  // One thread: the counts are then the same on every machine.
  set_intra_op_parallelism_threads(1);
  const Counts c = count_predicts(model, x);
  BOOST_TEST_MESSAGE(name << ": " << c.large << " allocations >= 4 KiB; per steady-state predict " << c.small
                          << " small ones by ksave, " << c.onednn << " inside oneDNN's execute and sgemm");
  if (g_tracing) print_traces(name);
  BOOST_TEST(c.large == 0);
  BOOST_TEST(c.small == 0, name << ": " << c.small
                                 << " allocations per predict (KSAVE_TRACE_ALLOCATIONS=1 prints where they come from)");
#endif
}

ModelPtr sequential(std::vector<LayerPtr> layers) { return std::make_shared<Sequential>(std::move(layers)); }

}  // namespace

BOOST_AUTO_TEST_CASE(the_counter_sees_allocations) {
#if !defined(__SANITIZE_ADDRESS__)
  g_large = 0;
  g_small = 0;
  g_counting = true;
  Tensor fresh(DType::Float32, {4096});  // 16 KiB, zeroed: a real allocation
  const auto* small = new std::vector<int>(3);
  g_counting = false;
  delete small;
  BOOST_TEST(g_large.load() == 1);
  BOOST_TEST(g_small.load() >= 2);  // the vector and its elements
#endif
}

BOOST_AUTO_TEST_CASE(mlp_predict_reuses_its_buffers) {
  auto model = sequential({Input({784}).layer(), make_layer("Dense", {{"units", 512}, {"activation", "relu"}}),
                           make_layer("Dense", {{"units", 512}, {"activation", "relu"}}),
                           make_layer("Dense", {{"units", 10}, {"activation", "softmax"}})});
  expect_steady_state("MLP 784-512-512-10, batch 128", *model, ramp({128, 784}));
}

BOOST_AUTO_TEST_CASE(cnn_predict_reuses_its_buffers) {
  auto model = sequential({Input({28, 28, 1}).layer(),
                           make_layer("Conv2D", {{"filters", 16}, {"kernel_size", {3, 3}}, {"activation", "relu"}}),
                           make_layer("MaxPooling2D", {{"pool_size", {2, 2}}}), make_layer("Flatten"),
                           make_layer("Dense", {{"units", 10}, {"activation", "softmax"}})});
  expect_steady_state("CNN, batch 64", *model, ramp({64, 28, 28, 1}));
}

BOOST_AUTO_TEST_CASE(lstm_predict_reuses_its_buffers) {
  auto model = sequential({Input({100, 64}).layer(), make_layer("LSTM", {{"units", 128}})});
  expect_steady_state("LSTM(128), batch 32 x 100 steps", *model, ramp({32, 100, 64}));
}

// A functional graph (residual blocks with Add, as ResNets are built): its call keeps a slot per
// tensor of the graph, which must come back to it, not from the heap, on every predict.
BOOST_AUTO_TEST_CASE(functional_predict_reuses_its_slots) {
  const KerasTensor in = Input({64}, "features");
  KerasTensor x = (*make_layer("Dense", {{"units", 64}, {"activation", "relu"}}))(in);
  for (int block = 0; block < 3; ++block) {
    const KerasTensor branch = (*make_layer("Dense", {{"units", 64}, {"activation", "relu"}}))(x);
    x = (*make_layer("Add", Json::object()))(KerasTensors{x, branch}).at(0);
  }
  const KerasTensor out = (*make_layer("Dense", {{"units", 10}, {"activation", "softmax"}}))(x);
  Functional model(KerasTensors{in}, KerasTensors{out}, "residual");
  expect_steady_state("functional residual MLP, batch 32", model, ramp({32, 64}));
}

// MobileNetV2's stride-2 block: ZeroPadding folded into the convolution after it, the
// BatchNormalization folded into its filters and ReLU6 as its post-op (inference folding).
BOOST_AUTO_TEST_CASE(folded_convolution_block_reuses_its_buffers) {
  const KerasTensor in = Input({32, 32, 8}, "image");
  KerasTensor x = (*make_layer("ZeroPadding2D", {{"padding", {{0, 1}, {0, 1}}}}))(in);
  x = (*make_layer("Conv2D", {{"filters", 16}, {"kernel_size", {3, 3}}, {"strides", {2, 2}}, {"use_bias", false}}))(x);
  x = (*make_layer("BatchNormalization", Json::object()))(x);
  x = (*make_layer("ReLU", {{"max_value", 6.0}}))(x);
  x = (*make_layer("DepthwiseConv2D", {{"kernel_size", {3, 3}}, {"padding", "same"}, {"use_bias", false}}))(x);
  x = (*make_layer("BatchNormalization", Json::object()))(x);
  x = (*make_layer("ReLU", {{"max_value", 6.0}}))(x);
  Functional model(KerasTensors{in}, KerasTensors{x}, "stride_two_block");
  expect_steady_state("MobileNetV2-style block, batch 8", model, ramp({8, 32, 32, 8}));
}

// MobileNetV2's stride-1 block: the residual Add runs inside the projection convolution, which
// adds into the block's input in place (oneDNN's sum post-op).
BOOST_AUTO_TEST_CASE(residual_block_with_the_add_in_its_projection_reuses_its_buffers) {
  const KerasTensor in = Input({16, 16, 8}, "image");
  KerasTensor s = (*make_layer("Conv2D", {{"filters", 8}, {"kernel_size", {3, 3}}, {"padding", "same"}}))(in);
  s = (*make_layer("ReLU", {{"max_value", 6.0}}))(s);
  KerasTensor x = (*make_layer("Conv2D", {{"filters", 24}, {"kernel_size", {1, 1}}, {"use_bias", false}}))(s);
  x = (*make_layer("BatchNormalization", Json::object()))(x);
  x = (*make_layer("ReLU", {{"max_value", 6.0}}))(x);
  x = (*make_layer("Conv2D", {{"filters", 8}, {"kernel_size", {1, 1}}, {"use_bias", false}}))(x);
  x = (*make_layer("BatchNormalization", Json::object()))(x);
  x = (*make_layer("Add", Json::object()))(KerasTensors{s, x}).at(0);
  Functional model(KerasTensors{in}, KerasTensors{x}, "residual_block");
  expect_steady_state("MobileNetV2-style residual block, batch 8", model, ramp({8, 16, 16, 8}));
}

// MobileNetV2's expand and depthwise convolutions as one primitive (oneDNN's depthwise post-op):
// the stage's attributes and both filters in oneDNN's layouts are kept between calls.
BOOST_AUTO_TEST_CASE(expand_and_depthwise_pair_reuses_its_buffers) {
  // 56x56, 16 -> 96: a shape oneDNN fuses (with its jit_1x1 kernel, at this test's one thread).
  const KerasTensor in = Input({56, 56, 16}, "image");
  KerasTensor x = (*make_layer("Conv2D", {{"filters", 96}, {"kernel_size", {1, 1}}, {"use_bias", false}}))(in);
  x = (*make_layer("BatchNormalization", Json::object()))(x);
  x = (*make_layer("ReLU", {{"max_value", 6.0}}))(x);
  x = (*make_layer("ZeroPadding2D", {{"padding", {{0, 1}, {0, 1}}}}))(x);
  x = (*make_layer("DepthwiseConv2D", {{"kernel_size", {3, 3}}, {"strides", {2, 2}}, {"use_bias", false}}))(x);
  x = (*make_layer("BatchNormalization", Json::object()))(x);
  x = (*make_layer("ReLU", {{"max_value", 6.0}}))(x);
  Functional model(KerasTensors{in}, KerasTensors{x}, "expand_depthwise");
  expect_steady_state("MobileNetV2-style expand + depthwise, batch 1", model, ramp({1, 56, 56, 16}));
}
