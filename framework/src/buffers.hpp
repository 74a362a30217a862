// Where tensor bytes come from. Two kinds of buffer:
// - zeroed: large ones are anonymous mappings (the kernel's zero pages, untouched until written),
//   smaller ones recycled buffers cleared with memset;
// - recycled: op outputs, which the op overwrites. A freed one goes back to a pool of its size
//   class instead of to the allocator, and the next request of that class takes it: after the
//   first call of a model, predict reuses the same buffers (no mapping, no page faults).
#pragma once

#include <cstddef>
#include <memory>

namespace ksave::detail {

// From this size on, zeroed buffers are fresh anonymous mappings: their pages cost nothing until
// written, where a memset would touch every one of them. Smaller ones are pool buffers, cleared.
constexpr std::size_t kMappedZerosFrom = std::size_t{1} << 20;

// 64-byte aligned, zeroed; the shared_ptr frees it.
std::shared_ptr<void> zeroed_buffer(std::size_t bytes);
// 64-byte aligned, contents unspecified (NaN bytes under KSAVE_POISON_BUFFERS=1); freed into the
// pool when the last owner goes.
std::shared_ptr<void> recycled_buffer(std::size_t bytes);
// The same pool without a shared_ptr around it (no control block to allocate): the caller gives
// the bytes back with the size it asked for.
void* take_recycled(std::size_t bytes);
void give_back_recycled(void* p, std::size_t bytes);

}  // namespace ksave::detail
