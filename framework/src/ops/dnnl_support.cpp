#include "dnnl_support.hpp"

#include <cstdlib>

#include "ksave/error.hpp"
#include "parallel.hpp"

namespace ksave::detail::onednn {

const dnnl::engine& engine() {
  static const dnnl::engine cpu(dnnl::engine::kind::cpu, 0);
  return cpu;
}

namespace {

dnnl::stream& thread_stream() {
  thread_local dnnl::stream stream(engine());
  return stream;
}

struct AlignedFree {
  void operator()(void* p) const { std::free(p); }
};

// A growing 64-byte aligned buffer.
struct Buffer {
  std::unique_ptr<void, AlignedFree> data;
  std::size_t bytes = 0;
  void* reserve(std::size_t wanted) {
    if (wanted > bytes) {
      const std::size_t rounded = (wanted + 4095) / 4096 * 4096;
      void* p = std::aligned_alloc(64, rounded);
      if (!p) throw Error("out of memory allocating " + std::to_string(rounded) + " bytes of oneDNN scratch");
      data.reset(p);
      bytes = rounded;
    }
    return data.get();
  }
};

constexpr int kScratchSlot = -1;

Buffer& buffer(int slot) {
  thread_local std::unordered_map<int, Buffer> buffers;
  return buffers[slot];
}

}  // namespace

memory::dims row_major(const memory::dims& dims) {
  memory::dims strides(dims.size(), 1);
  for (int i = static_cast<int>(dims.size()) - 2; i >= 0; --i)
    strides[static_cast<std::size_t>(i)] = strides[static_cast<std::size_t>(i) + 1] * dims[static_cast<std::size_t>(i) + 1];
  return strides;
}

memory::desc plain(const memory::dims& dims, const memory::dims& strides) {
  return memory::desc(dims, memory::data_type::f32, strides);
}

dnnl::primitive_attr attributes(const dnnl::post_ops& post) {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  attr.set_post_ops(post);
  return attr;
}

float* thread_buffer(int slot, std::size_t floats) {
  return static_cast<float*>(buffer(slot).reserve(floats * sizeof(float)));
}

void run(const dnnl::primitive& p, std::unordered_map<int, memory>& args) {
  apply_kernel_threads();
  dnnl::stream& stream = thread_stream();
  p.execute(stream, args);
  stream.wait();
}

void run(const dnnl::primitive& p, const std::vector<Arg>& args, const memory::desc& scratch) {
  std::unordered_map<int, memory> bound;
  for (const Arg& a : args) bound.emplace(a.id, memory(a.desc, engine(), const_cast<void*>(a.data)));
  if (scratch.get_size() > 0)
    bound.emplace(DNNL_ARG_SCRATCHPAD, memory(scratch, engine(), buffer(kScratchSlot).reserve(scratch.get_size())));
  run(p, bound);
}

std::optional<dnnl::reorder> reorder_between(const memory::desc& from, const memory::desc& to) {
  if (from == to) return std::nullopt;
  return dnnl::reorder(dnnl::reorder::primitive_desc(engine(), from, engine(), to));
}

void reorder(const dnnl::reorder& r, const memory::desc& from, const void* src, const memory::desc& to, void* dst) {
  std::unordered_map<int, memory> args{{DNNL_ARG_FROM, memory(from, engine(), const_cast<void*>(src))},
                                       {DNNL_ARG_TO, memory(to, engine(), dst)}};
  run(r, args);
}

const void* in_layout(const std::optional<dnnl::reorder>& r, const memory::desc& from, const memory::desc& to,
                      const void* data, int slot) {
  if (!r) return data;
  float* copy = thread_buffer(slot, to.get_size() / sizeof(float));
  reorder(*r, from, data, to, copy);
  return copy;
}

void fail(const std::string& op, const dnnl::error& e) {
  throw Error(op + ": oneDNN refused the computation: " + e.what() + " (status " +
              std::to_string(static_cast<int>(e.status)) + ")");
}

}  // namespace ksave::detail::onednn
