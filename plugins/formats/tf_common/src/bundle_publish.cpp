#include "bundle_publish.hpp"

#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <iterator>
#include <regex>
#include <system_error>
#include <vector>

#include "ksave/error.hpp"
#include "ksave/tf/bundle.hpp"

namespace ksave::tf {
namespace fs = std::filesystem;

namespace {

fs::path backup_of(const fs::path& prefix) {
  std::string name = ".";  // built by appending (GCC 12 -Wrestrict false positive on "." + string)
  name += prefix.filename().string();
  name += ".prev";
  return prefix.parent_path() / name;
}

// The data shard files present at `prefix`, whatever their count ("<name>.data-SSSSS-of-NNNNN").
std::vector<fs::path> data_files_of(const fs::path& prefix) {
  static const std::regex kShard(R"(\.data-[0-9]{5}-of-[0-9]{5})");
  const std::string head = prefix.filename().string();
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(prefix.parent_path(), ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > head.size() && name.compare(0, head.size(), head) == 0 &&
        std::regex_match(name.begin() + static_cast<std::ptrdiff_t>(head.size()), name.end(), kShard))
      files.push_back(entry.path());
  }
  return files;
}

// The same shard file under another prefix.
fs::path with_prefix(const fs::path& file, const fs::path& from, const fs::path& to) {
  return to.parent_path() / (to.filename().string() + file.filename().string().substr(from.filename().string().size()));
}

bool present(const fs::path& path) {
  std::error_code ec;
  return fs::exists(fs::symlink_status(path, ec));
}

std::string bytes_of(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

[[noreturn]] void fail(const std::string& what, const fs::path& path, const fs::path& prefix) {
  throw Error("cannot save checkpoint '" + prefix.string() + "': cannot " + what + " '" + path.string() +
              "': " + std::system_category().message(errno));
}

// A second name for `from`: a hard link, or a synced copy where the filesystem has none.
void second_name(const fs::path& from, const fs::path& to, const fs::path& prefix) {
  std::error_code ec;
  fs::remove(to, ec);
  if (::link(from.c_str(), to.c_str()) == 0) return;
  if (errno != EPERM && errno != EOPNOTSUPP && errno != EMLINK) fail("link", to, prefix);
  fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
  if (ec) throw Error("cannot save checkpoint '" + prefix.string() + "': cannot copy '" + from.string() + "' to '" +
                      to.string() + "': " + ec.message());
  sync_tree(to);
}

void rename_over(const fs::path& from, const fs::path& to, const fs::path& prefix) {
  if (::rename(from.c_str(), to.c_str()) != 0) fail("rename '" + from.string() + "' to", to, prefix);
}

// A publish interrupted after the backup index was made and before the new index arrived:
// the index at the prefix is still the old one (same bytes as the backup's), while the prefix's
// data shards may already be new.
bool interrupted_mid_swap(const fs::path& prefix, const fs::path& backup) {
  if (!present(index_path(backup))) return false;
  return !present(index_path(prefix)) || bytes_of(index_path(prefix)) == bytes_of(index_path(backup));
}

// Removes a backup: its index first (a backup without an index is never read), then its data.
void remove_backup(const fs::path& backup) {
  std::error_code ec;
  fs::remove(index_path(backup), ec);
  sync_parent_folder(backup);
  for (const auto& file : data_files_of(backup)) fs::remove(file, ec);
}

// Leaves the prefix holding what readers currently read there, and no backup.
void finish_interrupted_publish(const SaveLock& lock) {
  const fs::path& prefix = lock.target();
  const fs::path backup = backup_of(prefix);
  if (interrupted_mid_swap(prefix, backup)) {
    // Readers read the backup: its files go back to the prefix, each through a new name renamed
    // over the prefix's, so that the backup stays whole until the prefix is.
    for (const auto& file : data_files_of(backup)) {
      const fs::path at_prefix = with_prefix(file, backup, prefix);
      std::error_code ec;
      if (fs::equivalent(file, at_prefix, ec)) continue;  // not replaced yet (rename would do nothing)
      const fs::path temporary = lock.temporary(file.filename().string().substr(backup.filename().string().size()));
      second_name(file, temporary, prefix);
      rename_over(temporary, at_prefix, prefix);
    }
    if (!present(index_path(prefix))) {
      const fs::path temporary = lock.temporary(".index");
      second_name(index_path(backup), temporary, prefix);
      rename_over(temporary, index_path(prefix), prefix);
    }
    sync_parent_folder(prefix);
  }
  remove_backup(backup);
}

}  // namespace

void publish_bundle(const SaveLock& lock, const fs::path& temporary, int num_shards) {
  const fs::path& prefix = lock.target();
  finish_interrupted_publish(lock);
  const fs::path backup = backup_of(prefix);
  if (present(index_path(prefix))) {
    // The backup's data before its index: an index is only ever read with all its data present.
    for (const auto& file : data_files_of(prefix)) second_name(file, with_prefix(file, prefix, backup), prefix);
    sync_parent_folder(prefix);
    second_name(index_path(prefix), index_path(backup), prefix);
    sync_parent_folder(prefix);
  }
  for (int i = 0; i < num_shards; ++i)
    rename_over(shard_path(temporary, i, num_shards), shard_path(prefix, i, num_shards), prefix);
  sync_parent_folder(prefix);
  rename_over(index_path(temporary), index_path(prefix), prefix);
  sync_parent_folder(prefix);
  remove_backup(backup);
  // Shards of an old bundle with another shard count are no longer named by any index.
  std::error_code ec;
  for (const auto& file : data_files_of(prefix)) {
    bool current = false;
    for (int i = 0; i < num_shards && !current; ++i) current = file == shard_path(prefix, i, num_shards);
    if (!current) fs::remove(file, ec);
  }
}

void remove_bundle(const SaveLock& lock) {
  const fs::path& prefix = lock.target();
  std::error_code ec;
  fs::remove(index_path(prefix), ec);
  sync_parent_folder(prefix);
  for (const auto& file : data_files_of(prefix)) fs::remove(file, ec);
  remove_backup(backup_of(prefix));
}

fs::path readable_bundle_prefix(const fs::path& prefix) {
  const fs::path backup = backup_of(prefix);
  return interrupted_mid_swap(prefix, backup) ? backup : prefix;
}

}  // namespace ksave::tf
