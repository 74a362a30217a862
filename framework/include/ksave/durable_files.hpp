// Crash-safe saving: the pieces every format's writer uses so that an interrupted or failed save
// (kill -9, power loss, a full disk) leaves the previous file, folder or checkpoint as it was,
// and two writers of the same path never mix their output.
//
// The order is SQLite's and LevelDB's: write everything under a temporary name beside the
// target, fsync the files and folders written, rename into place, fsync the parent folder.
// A folder (SavedModel) is swapped with its predecessor in one renameat2(RENAME_EXCHANGE), so
// the path always holds a complete old or new version. write_atomically (saving.hpp) puts these
// together for a single file or folder; the checkpoint writer, whose files share a prefix
// rather than a folder, orders them itself.
#pragma once

#include <filesystem>
#include <string>

namespace ksave {

// The exclusive right to write `target` (a file, a folder or a checkpoint prefix), held through
// a lock file ".<name>.lock" beside it that flock(2) locks and that holds the writer's PID.
// The kernel drops the lock when its holder dies, so a writer killed with -9 never blocks the
// next one; and while the lock is held no other writer of `target` is alive, so every
// temporary left beside it (".<name>.tmp-<pid>-<n>...") belongs to a dead writer: the
// constructor removes them. A second writer of the same path, in this process or another,
// waits for the first to finish. The destructor removes the lock file.
class SaveLock {
 public:
  explicit SaveLock(const std::filesystem::path& target);
  ~SaveLock();
  SaveLock(const SaveLock&) = delete;
  SaveLock& operator=(const SaveLock&) = delete;

  // The absolute path being written.
  const std::filesystem::path& target() const { return target_; }
  // A fresh sibling name ".<name>.tmp-<pid>-<n><suffix>" that the next writer of the target
  // recognizes as a leftover. `suffix` is empty or a checkpoint file's ending (".index",
  // ".data-00000-of-00001").
  std::filesystem::path temporary(const std::string& suffix = "") const;

 private:
  std::filesystem::path target_;
  std::filesystem::path lock_file_;
  int fd_ = -1;
};

// True when `entry` (a file name) is a temporary a writer of `target_name` leaves behind when it
// dies: ".<target_name>.tmp-<pid>-<n>" with an optional checkpoint suffix, or the names
// ".<target_name>.tmp-<n>" / ".<target_name>.old-<n>" of ksave versions before the lock.
bool is_leftover_of(const std::string& entry, const std::string& target_name);

// fsync of a file, or of a folder's files, subfolders and the folder itself (what a rename
// then publishes must be on disk first). Throws naming the path and the system's reason.
void sync_tree(const std::filesystem::path& path);
// fsync of the folder holding `path`: makes a rename, link or unlink in it durable.
void sync_parent_folder(const std::filesystem::path& path);

// Puts the complete `temporary` at `target` in one step and removes what `target` held: a
// rename for a file over a file (or over nothing), renameat2(RENAME_EXCHANGE) for a folder over
// a folder; the parent folder is fsynced before the old version is removed. Filesystems
// without RENAME_EXCHANGE get two renames (the old version moved aside first). A file never
// replaces a folder nor a folder a file: that throws, and `target` stays.
void replace_with(const std::filesystem::path& temporary, const std::filesystem::path& target);

}  // namespace ksave
