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

memory::desc nhwc(std::int64_t n, std::int64_t c, std::int64_t h, std::int64_t w) {
  return plain({n, c, h, w}, {h * w * c, 1, w * c, c});
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

namespace {
thread_local int t_primitive_threads = 0;  // 0: none taken yet, the intra-op count
}  // namespace

int primitive_threads() { return t_primitive_threads > 0 ? t_primitive_threads : kernel_threads(); }
void set_primitive_threads(int threads) { t_primitive_threads = threads; }

namespace {

// A primitive's arguments: those of the call and, when it has one, the scratchpad.
struct CallArgs {
  std::span<const Arg> args;
  const Arg* scratch = nullptr;
  std::size_t size() const { return args.size() + (scratch ? 1 : 0); }
  const Arg& operator[](std::size_t i) const { return i < args.size() ? args[i] : *scratch; }
};

// The memory objects a primitive last ran with on this thread, and the C argument list that points
// at them. A steady state rebinds their data pointers instead of creating memory objects and
// argument maps per call (each of those allocates).
//
// Every primitive lives in a PrimitiveCache entry beside the descriptors its callers pass (entries
// are never removed nor changed), so a descriptor at the address bound last time is the same
// descriptor: only one at another address is compared field by field. A steady-state call then
// reads neither descriptor (about 700 bytes each, out of cache after the kernels ran), and sets
// only the data pointers that changed (the weights stay, recycled activations often do).
struct BoundArgs {
  std::vector<memory> memories;
  std::vector<dnnl_exec_arg_t> c_args;
  std::vector<const memory::desc*> descs;  // where the bound descriptors live
  std::vector<const void*> data;           // the bound data pointers

  bool matches(const CallArgs& call) {
    if (call.size() != c_args.size()) return false;
    for (std::size_t i = 0; i < call.size(); ++i) {
      if (call[i].id != c_args[i].arg) return false;
      if (&call[i].desc == descs[i]) continue;
      if (memories[i].get_desc() != call[i].desc) return false;
      descs[i] = &call[i].desc;
    }
    return true;
  }
  void bind(const CallArgs& call) {
    memories.clear(), c_args.clear(), descs.clear(), data.clear();
    for (std::size_t i = 0; i < call.size(); ++i) {
      memories.emplace_back(call[i].desc, engine(), const_cast<void*>(call[i].data));
      c_args.push_back({call[i].id, memories.back().get()});
      descs.push_back(&call[i].desc);
      data.push_back(call[i].data);
    }
  }
  void rebind(const CallArgs& call) {
    for (std::size_t i = 0; i < call.size(); ++i)
      if (call[i].data != data[i]) {
        memories[i].set_data_handle(const_cast<void*>(call[i].data));
        data[i] = call[i].data;
      }
  }
};

BoundArgs& bound_args(const dnnl::primitive& p, const CallArgs& call) {
  // Keyed by the primitive's handle: cached primitives live as long as the process. Primitives
  // made and dropped per call would only add entries, so the table is bounded.
  thread_local std::unordered_map<dnnl_primitive_t, BoundArgs> kept;
  if (kept.size() > 4096) kept.clear();
  BoundArgs& bound = kept[p.get()];
  if (bound.matches(call)) {
    bound.rebind(call);
  } else {
    bound.bind(call);
  }
  return bound;
}

void execute(const dnnl::primitive& p, const CallArgs& call) {
  apply_threads(primitive_threads());
  dnnl::stream& stream = thread_stream();
  const BoundArgs& bound = bound_args(p, call);
  dnnl::error::wrap_c_api(dnnl_primitive_execute(p.get(), stream.get(), static_cast<int>(bound.c_args.size()),
                                                 bound.c_args.data()),
                          "could not execute a primitive");
  stream.wait();
}

}  // namespace

void run(const dnnl::primitive& p, std::span<const Arg> args, const memory::desc& scratch) {
  if (scratch.get_size() == 0) return execute(p, {args});
  const Arg scratchpad{DNNL_ARG_SCRATCHPAD, scratch, buffer(kScratchSlot).reserve(scratch.get_size())};
  execute(p, {args, &scratchpad});
}

std::optional<dnnl::reorder> reorder_between(const memory::desc& from, const memory::desc& to) {
  if (from == to) return std::nullopt;
  return dnnl::reorder(dnnl::reorder::primitive_desc(engine(), from, engine(), to));
}

void reorder(const dnnl::reorder& r, const memory::desc& from, const void* src, const memory::desc& to, void* dst) {
  run(r, {{DNNL_ARG_FROM, from, src}, {DNNL_ARG_TO, to, dst}}, memory::desc());
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
