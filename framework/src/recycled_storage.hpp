// Op outputs' Storage without a heap allocation per call. std::allocate_shared puts a Storage and
// its shared_ptr control block in one block; RecyclingAllocator takes those blocks from a free
// list (and returns them there), and its destroy() gives the tensor's bytes back to the buffer
// pool as the Storage dies. A steady state of predict calls then allocates nothing for the
// storage of its outputs: the blocks and the bytes of the previous call are handed out again.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <new>
#include <type_traits>

#include "buffers.hpp"
#include "ksave/tensor.hpp"

namespace ksave::detail {

// Blocks of one size and alignment, kept on a free list once freed (never given back to the
// allocator: the list holds at most as many blocks as tensors were ever alive at once).
template <std::size_t Size, std::size_t Align>
class FreeBlocks {
 public:
  static void* take() {
    if constexpr (!kRecycle) return ::operator new(kBlock, std::align_val_t{Align});
    {
      const std::lock_guard lock(mutex());
      if (Node* node = head()) {
        head() = node->next;
        return node;
      }
    }
    return ::operator new(kBlock, std::align_val_t{Align});
  }

  static void give_back(void* p) {
    if constexpr (!kRecycle) {
      ::operator delete(p, std::align_val_t{Align});
    } else {
      const std::lock_guard lock(mutex());
      head() = new (p) Node{head()};
    }
  }

 private:
  struct Node {
    Node* next;
  };
  static constexpr std::size_t kBlock = Size < sizeof(Node) ? sizeof(Node) : Size;
#if defined(__SANITIZE_ADDRESS__)
  // AddressSanitizer must see every block freed, or a use after free would go unreported.
  static constexpr bool kRecycle = false;
#else
  static constexpr bool kRecycle = true;
#endif
  static std::mutex& mutex() {
    static std::mutex* m = new std::mutex;  // never destroyed: tensors may die after main returns
    return *m;
  }
  static Node*& head() {
    static Node* h = nullptr;
    return h;
  }
};

template <typename T>
struct RecyclingAllocator {
  using value_type = T;
  RecyclingAllocator() = default;
  template <typename U>
  RecyclingAllocator(const RecyclingAllocator<U>&) noexcept {}

  T* allocate(std::size_t n) {
    if (n != 1) return std::allocator<T>{}.allocate(n);
    return static_cast<T*>(FreeBlocks<sizeof(T), alignof(T)>::take());
  }
  void deallocate(T* p, std::size_t n) {
    if (n != 1) return std::allocator<T>{}.deallocate(p, n);
    FreeBlocks<sizeof(T), alignof(T)>::give_back(p);
  }
  // The Storage's bytes came from take_recycled (Storage::allocate_for_overwrite).
  template <typename U>
  void destroy(U* p) {
    if constexpr (std::is_same_v<U, Storage>) give_back_recycled(p->data(), p->bytes());
    p->~U();
  }
  template <typename U>
  bool operator==(const RecyclingAllocator<U>&) const noexcept {
    return true;
  }
};

}  // namespace ksave::detail
