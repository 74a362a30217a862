// An LD_PRELOAD library that makes the disk look full: once $KSAVE_ENOSPC_AFTER_BYTES bytes
// have been written to regular files (standard streams excepted), every further write to one
// fails with ENOSPC. For the disk-full test where no small filesystem can be mounted; it covers
// the calls ksave's writers go through: write/pwrite/writev (libstdc++ streams, libhdf5, the
// checkpoint writer) and fwrite (libzip).
#include <dlfcn.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace {

std::atomic<long long> written{0};

long long budget() {
  static const long long value = [] {
    const char* text = std::getenv("KSAVE_ENOSPC_AFTER_BYTES");
    return text ? std::atoll(text) : -1;
  }();
  return value;
}

// True when this write to `fd` of `bytes` must fail as on a full disk.
bool disk_full(int fd, std::size_t bytes) {
  if (fd <= 2 || budget() < 0) return false;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return false;
  if (written.fetch_add(static_cast<long long>(bytes)) + static_cast<long long>(bytes) <= budget()) return false;
  errno = ENOSPC;
  return true;
}

template <typename F>
F next(const char* name) {
  return reinterpret_cast<F>(::dlsym(RTLD_NEXT, name));
}

}  // namespace

extern "C" {

ssize_t write(int fd, const void* data, size_t n) {
  static auto real = next<ssize_t (*)(int, const void*, size_t)>("write");
  return disk_full(fd, n) ? -1 : real(fd, data, n);
}

ssize_t pwrite(int fd, const void* data, size_t n, off_t offset) {
  static auto real = next<ssize_t (*)(int, const void*, size_t, off_t)>("pwrite");
  return disk_full(fd, n) ? -1 : real(fd, data, n, offset);
}

ssize_t pwrite64(int fd, const void* data, size_t n, off64_t offset) {
  static auto real = next<ssize_t (*)(int, const void*, size_t, off64_t)>("pwrite64");
  return disk_full(fd, n) ? -1 : real(fd, data, n, offset);
}

ssize_t writev(int fd, const struct iovec* iov, int count) {
  static auto real = next<ssize_t (*)(int, const struct iovec*, int)>("writev");
  std::size_t n = 0;
  for (int i = 0; i < count; ++i) n += iov[i].iov_len;
  return disk_full(fd, n) ? -1 : real(fd, iov, count);
}

size_t fwrite(const void* data, size_t size, size_t count, FILE* stream) {
  static auto real = next<size_t (*)(const void*, size_t, size_t, FILE*)>("fwrite");
  return disk_full(::fileno(stream), size * count) ? 0 : real(data, size, count, stream);
}

}  // extern "C"
