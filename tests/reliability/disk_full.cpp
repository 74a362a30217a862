// The disk-full test: for every kind of save, a save that runs out of space must fail with a
// clear error naming the path, leave the previous version loadable and whole, and leave nothing
// behind.
//
//   ksave_disk_full tmpfs   a small tmpfs mounted for the test (needs root; exit 77 = skipped
//                           when mounting is not allowed), filled until 4 KiB remain
//   ksave_disk_full shim    the ENOSPC write shim ($KSAVE_ENOSPC_SHIM) preloaded into the saver,
//                           failing writes after 4 KiB
#include <sys/mount.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <system_error>
#include <vector>

#include "child_process.hpp"
#include "harness_support.hpp"
#include "ksave/error.hpp"

namespace ksave::reliability {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kRoomLeft = 4096;
constexpr int kSkipped = 77;

// Fills the filesystem holding `file` until `room` bytes remain.
void fill_until(const fs::path& file, std::size_t room) {
  const std::size_t available = fs::space(file.parent_path()).available;
  if (available <= room) return;
  std::ofstream out(file, std::ios::binary);
  const std::vector<char> block(1 << 16, '\0');
  for (std::size_t left = available - room; left > 0 && out;) {
    const std::size_t n = std::min(left, block.size());
    out.write(block.data(), static_cast<std::streamsize>(n));
    left -= n;
  }
}

// One kind: the previous version saved with room to spare, then a bigger one into a full disk.
int check_kind(const SaveKind& kind, const fs::path& root, bool shim) {
  const fs::path folder = root / kind.name;
  fs::create_directories(folder);
  const fs::path target = folder / kind.target;
  const Version previous{0, 2}, next{1, 16};
  save_completely(kind, target, previous);
  std::vector<std::string> environment;
  if (shim) {
    const char* library = std::getenv("KSAVE_ENOSPC_SHIM");
    if (!library) throw Error("$KSAVE_ENOSPC_SHIM (the ENOSPC write shim) is not set");
    environment = {std::string("LD_PRELOAD=") + library, "KSAVE_ENOSPC_AFTER_BYTES=" + std::to_string(kRoomLeft)};
  } else {
    fill_until(root / "filler", kRoomLeft);
  }
  // A sanitized driver would refuse a library preloaded ahead of its runtime without the first
  // option; the second, because a file libhdf5 could not close stays allocated (see hdf5_lock).
  environment.push_back("ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=0");
  std::string errors;
  const int status = run_driver(kind, target, next, environment, errors);
  if (!shim) fs::remove(root / "filler");
  int failures = 0;
  auto fail = [&](const std::string& what) {
    ++failures;
    std::printf("FAILED: %s: %s\n", kind.name.c_str(), what.c_str());
  };
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 1)
    fail("the save into a full disk ended with " + describe_status(status) + ", expected an error (exit status 1)");
  if (errors.find(target.string()) == std::string::npos) fail("the error does not name '" + target.string() + "': " + errors);
  try {
    if (loaded_version(kind, target, {previous, next}) != previous.number) fail("the path holds the new version");
  } catch (const std::exception& e) {
    fail(std::string("the previous version did not survive: ") + e.what());
  }
  std::string extra;
  for (const auto& e : unexpected_entries(kind, folder)) extra += " " + e;
  if (!extra.empty()) fail("left behind:" + extra);
  std::printf("%s: %s", kind.name.c_str(), failures ? "failed\n" : ("refused with: " + errors).c_str());
  return failures;
}

int run(const std::string& mode) {
  if (mode != "tmpfs" && mode != "shim") throw Error("unknown mode '" + mode + "' (tmpfs or shim)");
  const bool shim = mode == "shim";
  const fs::path root = fresh_folder("disk-full-" + mode);
  if (!shim && ::mount("tmpfs", root.c_str(), "tmpfs", 0, "size=40m") != 0) {
    std::printf("SKIPPED: cannot mount a tmpfs at '%s': %s (run as root, or see the shim variant)\n", root.c_str(),
                std::system_category().message(errno).c_str());
    return kSkipped;
  }
  int failures = 0;
  try {
    for (const SaveKind& kind : save_kinds()) failures += check_kind(kind, root, shim);
  } catch (const std::exception& e) {
    std::printf("FAILED: %s\n", e.what());
    ++failures;
  }
  if (!shim) ::umount2(root.c_str(), MNT_DETACH);
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace ksave::reliability

int main(int argc, char** argv) {
  return ksave::reliability::harness_main(argc, argv, "ksave_disk_full tmpfs|shim", ksave::reliability::run);
}
