#include "file_range_driver.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iterator>

#include "ksave/error.hpp"

namespace ksave::plugins::h5 {
namespace {

constexpr haddr_t kMaxAddress = static_cast<haddr_t>(1) << 62;

// What the file access list carries (copied by libhdf5 as plain bytes: fapl_size).
struct RangeInfo {
  std::uint64_t offset;
  std::uint64_t size;
  RangeReadObserver* observer;  // may be null
};

// An observed read goes in pieces this large, each handed to the observer while it is in the
// cache (a second pass over a weight of many MiB would read it from memory again).
constexpr std::uint64_t kObservedPiece = 256 << 10;

// libhdf5 hands the driver's functions this struct as an H5FD_t*; the public part comes first.
struct RangeFile {
  H5FD_t pub;
  int fd;
  RangeInfo range;
  haddr_t eoa;
};

RangeFile* as_range(H5FD_t* f) { return reinterpret_cast<RangeFile*>(f); }
const RangeFile* as_range(const H5FD_t* f) { return reinterpret_cast<const RangeFile*>(f); }

H5FD_t* range_open(const char* name, unsigned flags, hid_t fapl, haddr_t) {
  const auto* info = static_cast<const RangeInfo*>(H5Pget_driver_info(fapl));
  if (!info || (flags & (H5F_ACC_RDWR | H5F_ACC_TRUNC | H5F_ACC_CREAT))) return nullptr;  // reading only
  const int fd = ::open(name, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  // libhdf5 frees nothing of ours: range_close does; calloc so that its public fields start at 0.
  auto* file = static_cast<RangeFile*>(std::calloc(1, sizeof(RangeFile)));
  if (!file) {
    ::close(fd);
    return nullptr;
  }
  file->fd = fd;
  file->range = *info;
  return &file->pub;
}

herr_t range_close(H5FD_t* f) {
  ::close(as_range(f)->fd);
  std::free(as_range(f));
  return 0;
}

herr_t range_query(const H5FD_t*, unsigned long* flags) {
  // Small metadata reads gathered and raw data read through the sieve buffer, as for sec2.
  if (flags) *flags = H5FD_FEAT_ACCUMULATE_METADATA | H5FD_FEAT_DATA_SIEVE | H5FD_FEAT_AGGREGATE_METADATA;
  return 0;
}

haddr_t range_get_eoa(const H5FD_t* f, H5FD_mem_t) { return as_range(f)->eoa; }

herr_t range_set_eoa(H5FD_t* f, H5FD_mem_t, haddr_t addr) {
  as_range(f)->eoa = addr;
  return 0;
}

haddr_t range_get_eof(const H5FD_t* f, H5FD_mem_t) { return as_range(f)->range.size; }

// Reads inside the range; what lies past its end reads as zeros, as sec2 reads past a file's
// end (libhdf5 then refuses the structures it finds there).
herr_t range_read(H5FD_t* f, H5FD_mem_t, hid_t, haddr_t addr, size_t size, void* buffer) {
  const RangeFile* file = as_range(f);
  if (addr == HADDR_UNDEF || addr > kMaxAddress || size > kMaxAddress - addr) return -1;
  auto* to = static_cast<char*>(buffer);
  const std::uint64_t inside = addr >= file->range.size ? 0 : std::min<std::uint64_t>(size, file->range.size - addr);
  RangeReadObserver* observer = file->range.observer;
  const std::uint64_t piece = observer ? kObservedPiece : inside;
  std::uint64_t done = 0;
  while (done < inside) {
    const std::uint64_t want = std::min(inside - done, piece);
    const ssize_t got = ::pread(file->fd, to + done, want, static_cast<off_t>(file->range.offset + addr + done));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return -1;  // the archive is shorter than its directory said
    if (observer) observer->bytes_read(addr + done, to + done, static_cast<std::size_t>(got));
    done += static_cast<std::uint64_t>(got);
  }
  std::memset(to + inside, 0, size - inside);
  return 0;
}

herr_t range_write(H5FD_t*, H5FD_mem_t, hid_t, haddr_t, size_t, const void*) { return -1; }

hid_t range_driver() {
  static const H5FD_class_t kClass = [] {
    H5FD_class_t c{};
    c.name = "ksave_file_range";
    c.maxaddr = kMaxAddress;
    c.fc_degree = H5F_CLOSE_WEAK;
    c.fapl_size = sizeof(RangeInfo);
    c.open = range_open;
    c.close = range_close;
    c.query = range_query;
    c.get_eoa = range_get_eoa;
    c.set_eoa = range_set_eoa;
    c.get_eof = range_get_eof;
    c.read = range_read;
    c.write = range_write;
    const H5FD_mem_t free_lists[H5FD_MEM_NTYPES] = H5FD_FLMAP_DICHOTOMY;  // as sec2's
    std::copy(std::begin(free_lists), std::end(free_lists), std::begin(c.fl_map));
    return c;
  }();
  // Registered once per process; libhdf5 keeps the class until it shuts down.
  static const hid_t id = H5FDregister(&kClass);
  return id;
}

}  // namespace

Id file_range_access_list(std::uint64_t offset, std::uint64_t size, RangeReadObserver* observer) {
  const hid_t driver = range_driver();
  if (driver < 0) throw Error("cannot register ksave's HDF5 file-range driver: " + hdf5_error_text());
  Id fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  const RangeInfo info{offset, size, observer};
  if (H5Pset_driver(fapl.get(), driver, &info) < 0)
    throw Error("cannot select ksave's HDF5 file-range driver: " + hdf5_error_text());
  H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_STRONG);
  return fapl;
}

}  // namespace ksave::plugins::h5
