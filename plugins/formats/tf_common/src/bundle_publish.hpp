// Putting a new checkpoint bundle in place of an old one with the same prefix, so that a crash at
// any moment leaves a complete bundle to read: the old one or the new one.
//
// A bundle is several files named after its prefix (".index" and ".data-SSSSS-of-NNNNN") that
// no single rename can replace together, and the index does not name its data files. So the
// old bundle's files are first given a second name (hard links under the backup prefix
// ".<name>.prev"), then the new data shards are renamed over the old ones, then the new index
// over the old index, and the backup is removed. A reader that finds a backup whose index is
// byte-identical to the index at the prefix knows the swap was interrupted before the new index
// arrived, and reads the backup; otherwise it reads the prefix. Every step is fsynced before the
// next, so this holds after a power loss too. The next writer of the prefix, holding its
// SaveLock, finishes or undoes what a dead writer left.
#pragma once

#include <filesystem>

#include "ksave/durable_files.hpp"

namespace ksave::tf {

// Moves the complete bundle written under `temporary` (files synced to disk) to the prefix that
// `lock` holds, first finishing or undoing what a dead writer of that prefix left.
void publish_bundle(const SaveLock& lock, const std::filesystem::path& temporary, int num_shards);

// Removes the bundle at `prefix` (index first, so no index ever names missing data) and any
// backup of an interrupted publish. The caller holds the SaveLock of `prefix`.
void remove_bundle(const SaveLock& lock);

// The prefix whose files form the complete bundle last published at `prefix`: `prefix` itself,
// or its backup when a publish was interrupted mid-swap.
std::filesystem::path readable_bundle_prefix(const std::filesystem::path& prefix);

}  // namespace ksave::tf
