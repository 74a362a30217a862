#include "raw_bytes.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "ksave/error.hpp"

namespace ksave::plugins::h5 {

std::shared_ptr<const RawBytes> RawBytes::of_file(const std::filesystem::path& path) { return open_file(path); }

std::shared_ptr<RawBytes> RawBytes::open_file(const std::filesystem::path& path) {
  std::shared_ptr<RawBytes> bytes(new RawBytes);
  bytes->fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (bytes->fd_ < 0 || ::fstat(bytes->fd_, &st) != 0)
    throw Error("cannot open '" + path.string() + "': " + std::system_category().message(errno));
  bytes->size_ = static_cast<std::uint64_t>(st.st_size);
  return bytes;
}

std::shared_ptr<const RawBytes> RawBytes::of_file_range(const std::filesystem::path& path, std::uint64_t offset,
                                                        std::uint64_t size) {
  std::shared_ptr<RawBytes> range = open_file(path);
  if (offset > range->size_ || size > range->size_ - offset)
    throw Error("'" + path.string() + "' has " + std::to_string(range->size_) + " bytes, too few for the " + std::to_string(size) +
                " bytes at offset " + std::to_string(offset) + " its directory declares");
  range->base_ = offset;
  range->size_ = size;
  return range;
}

std::shared_ptr<const RawBytes> RawBytes::of_image(std::shared_ptr<const std::vector<char>> image) {
  std::shared_ptr<RawBytes> bytes(new RawBytes);
  bytes->size_ = image->size();
  bytes->image_ = std::move(image);
  return bytes;
}

RawBytes::~RawBytes() {
  if (fd_ >= 0) ::close(fd_);
}

bool RawBytes::read(std::uint64_t offset, std::size_t n, void* out) const {
  if (offset > size_ || n > size_ - offset) return false;
  if (image_) {
    std::memcpy(out, image_->data() + offset, n);
    return true;
  }
  auto* to = static_cast<char*>(out);
  while (n > 0) {
    const ssize_t got = ::pread(fd_, to, n, static_cast<off_t>(base_ + offset));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    to += got;
    offset += static_cast<std::uint64_t>(got);
    n -= static_cast<std::size_t>(got);
  }
  return true;
}

}  // namespace ksave::plugins::h5
