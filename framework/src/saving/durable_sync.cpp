// fsync of what a save wrote, and the one-step replacement of the old version.
#include <fcntl.h>
#include <stdio.h>  // renameat2, RENAME_EXCHANGE (glibc >= 2.28)
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "ksave/durable_files.hpp"
#include "ksave/error.hpp"

namespace ksave {
namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const std::string& what, const fs::path& path) {
  throw Error("cannot " + what + " '" + path.string() + "': " + std::system_category().message(errno));
}

void sync_one(const fs::path& path, bool folder) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | (folder ? O_DIRECTORY : 0));
  if (fd < 0) fail("open, to flush it to disk,", path);
  // fsync flushes the inode's data whichever descriptor wrote it. Some filesystems cannot sync
  // a folder (EINVAL): their renames are as durable as they get.
  const bool failed = ::fsync(fd) != 0 && !(folder && errno == EINVAL);
  const int saved = errno;
  ::close(fd);
  errno = saved;
  if (failed) fail("flush to disk", path);
}

bool is_folder(const fs::path& path) {
  std::error_code ec;
  return fs::is_directory(fs::symlink_status(path, ec));
}

}  // namespace

void sync_tree(const fs::path& path) {
  if (!is_folder(path)) {
    sync_one(path, false);
    return;
  }
  for (const auto& entry : fs::recursive_directory_iterator(path)) {
    if (entry.is_symlink()) continue;
    sync_one(entry.path(), entry.is_directory());
  }
  sync_one(path, true);
}

void sync_parent_folder(const fs::path& path) {
  const fs::path parent = fs::absolute(path).parent_path();
  sync_one(parent.empty() ? fs::path(".") : parent, true);
}

void replace_with(const fs::path& temporary, const fs::path& target) {
  std::error_code ec;
  const bool target_exists = fs::exists(fs::symlink_status(target, ec));
  // Like replaces like: a file saved where a folder is (or the reverse) would silently delete
  // what the user keeps there. A link counts as what it points to.
  if (target_exists && fs::is_directory(target, ec) != is_folder(temporary))
    throw Error("cannot save '" + target.string() + "': it is " + (is_folder(temporary) ? "a file" : "a folder") +
                ", and this save writes " + (is_folder(temporary) ? "a folder" : "a file") + " (remove it first)");
  if (!target_exists || !is_folder(temporary)) {
    if (::rename(temporary.c_str(), target.c_str()) != 0) fail("move the new version into place at", target);
    sync_parent_folder(target);
    return;
  }
  if (::renameat2(AT_FDCWD, temporary.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) != 0) {
    if (errno != EINVAL && errno != ENOSYS) fail("swap the new version into place at", target);
    // No RENAME_EXCHANGE here: move the old version aside, then the new one in. A crash between
    // the two leaves the old version under the temporary's name (the next save removes it).
    const fs::path aside = temporary.string() + "-old";
    if (::rename(target.c_str(), aside.c_str()) != 0) fail("move the old version aside from", target);
    if (::rename(temporary.c_str(), target.c_str()) != 0) {
      const int saved = errno;
      ::rename(aside.c_str(), target.c_str());
      errno = saved;
      fail("move the new version into place at", target);
    }
    sync_parent_folder(target);
    fs::remove_all(aside, ec);
    return;
  }
  sync_parent_folder(target);
  fs::remove_all(temporary, ec);  // now the old version; a leftover if this is interrupted
}

}  // namespace ksave
