// Steady-state predict does not allocate tensor memory: after warm-up calls (which plan the
// buffers and create the oneDNN primitives), a predict of the MLP, CNN and LSTM makes no
// heap allocation of 4 KiB or more — every activation, gradient-free output and scratch buffer
// is reused — and so maps no fresh memory and takes no page faults. Counted with a malloc
// interposer (this executable's malloc, calloc, realloc, aligned_alloc and posix_memalign wrap
// glibc's). Smaller bookkeeping allocations (shapes, tensor handles) are counted and reported.
#define BOOST_TEST_MODULE steady_state_allocations
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <cstddef>
#include <cstdlib>

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
std::atomic<long> g_large{0}, g_small{0};
constexpr std::size_t kLarge = 4096;

void count(std::size_t bytes) {
  if (!g_counting.load(std::memory_order_relaxed)) return;
  (bytes >= kLarge ? g_large : g_small).fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

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
  long large, small;
};

Counts count_predicts(Model& model, const Tensor& x, int calls) {
  for (int i = 0; i < 3; ++i) model.predict_on_batch({x});  // warm-up
  g_large = 0;
  g_small = 0;
  g_counting = true;
  for (int i = 0; i < calls; ++i) model.predict_on_batch({x});
  g_counting = false;
  return {g_large.load(), g_small.load()};
}

void expect_no_large_allocations(const char* name, Model& model, const Tensor& x) {
#if defined(__SANITIZE_ADDRESS__)
  BOOST_TEST_MESSAGE(name << ": not counted under AddressSanitizer (it owns malloc)");
#else
  const Counts c = count_predicts(model, x, 10);
  BOOST_TEST_MESSAGE(name << ": " << c.large << " allocations >= 4 KiB and " << c.small / 10
                          << " small ones per steady-state predict");
  BOOST_TEST(c.large == 0);
#endif
}

ModelPtr sequential(std::vector<LayerPtr> layers) { return std::make_shared<Sequential>(std::move(layers)); }

}  // namespace

BOOST_AUTO_TEST_CASE(the_counter_sees_allocations) {
#if !defined(__SANITIZE_ADDRESS__)
  g_large = 0;
  g_counting = true;
  Tensor fresh(DType::Float32, {4096});  // 16 KiB, zeroed: a real allocation
  g_counting = false;
  BOOST_TEST(g_large.load() == 1);
#endif
}

BOOST_AUTO_TEST_CASE(mlp_predict_reuses_its_buffers) {
  auto model = sequential({Input({784}).layer(), make_layer("Dense", {{"units", 512}, {"activation", "relu"}}),
                           make_layer("Dense", {{"units", 512}, {"activation", "relu"}}),
                           make_layer("Dense", {{"units", 10}, {"activation", "softmax"}})});
  expect_no_large_allocations("MLP 784-512-512-10, batch 128", *model, ramp({128, 784}));
}

BOOST_AUTO_TEST_CASE(cnn_predict_reuses_its_buffers) {
  auto model = sequential({Input({28, 28, 1}).layer(),
                           make_layer("Conv2D", {{"filters", 16}, {"kernel_size", {3, 3}}, {"activation", "relu"}}),
                           make_layer("MaxPooling2D", {{"pool_size", {2, 2}}}), make_layer("Flatten"),
                           make_layer("Dense", {{"units", 10}, {"activation", "softmax"}})});
  expect_no_large_allocations("CNN, batch 64", *model, ramp({64, 28, 28, 1}));
}

BOOST_AUTO_TEST_CASE(lstm_predict_reuses_its_buffers) {
  auto model = sequential({Input({100, 64}).layer(), make_layer("LSTM", {{"units", 128}})});
  expect_no_large_allocations("LSTM(128), batch 32 x 100 steps", *model, ramp({32, 100, 64}));
}
