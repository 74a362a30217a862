// Sharded checkpoint saves across the ranks of a data-parallel job.
#include <algorithm>
#include <cstring>
#include <numeric>
#include <optional>
#include <span>

#include "bundle_publish.hpp"
#include "ksave/collectives.hpp"
#include "ksave/durable_files.hpp"
#include "ksave/error.hpp"
#include "ksave/tf/bundle.hpp"
#include "ksave/tf/object_graph.hpp"

namespace ksave::tf {
namespace fs = std::filesystem;

namespace {

using Entries = std::map<std::string, tfproto::BundleEntryProto>;

void put_bytes(std::string& out, const std::string& bytes) {
  const std::uint64_t n = bytes.size();
  out.append(reinterpret_cast<const char*>(&n), sizeof n);
  out += bytes;
}

std::string take_bytes(const std::string& in, std::size_t& at) {
  std::uint64_t n = 0;
  if (at + sizeof n > in.size()) throw Error("sharded checkpoint: truncated entry list from a rank");
  std::memcpy(&n, in.data() + at, sizeof n);
  at += sizeof n;
  if (at + n > in.size()) throw Error("sharded checkpoint: truncated entry list from a rank");
  std::string out = in.substr(at, n);
  at += n;
  return out;
}

std::string encode(const Entries& entries) {
  std::string out;
  for (const auto& [key, entry] : entries) {
    put_bytes(out, key);
    put_bytes(out, entry.SerializeAsString());
  }
  return out;
}

void decode_into(const std::string& message, Entries& entries) {
  for (std::size_t at = 0; at < message.size();) {
    std::string key = take_bytes(message, at);
    tfproto::BundleEntryProto entry;
    if (!entry.ParseFromString(take_bytes(message, at))) throw Error("sharded checkpoint: bad entry for '" + key + "' from a rank");
    entries.emplace(std::move(key), std::move(entry));
  }
}

// Rank 0's `text` on every rank (its size first: a broadcast moves equal lengths).
std::string broadcast_from_chief(Collectives& collectives, std::string text) {
  std::uint64_t size = text.size();
  collectives.broadcast(std::as_writable_bytes(std::span(&size, 1)), 0);
  text.resize(size);
  collectives.broadcast(std::as_writable_bytes(std::span(text.data(), text.size())), 0);
  return text;
}

void write_sharded(const std::shared_ptr<Trackable>& root, const fs::path& prefix, Collectives& collectives) {
  const int rank = collectives.rank(), shards = collectives.size();
  const ObjectGraphPlan plan = build_object_graph(root);
  const Tensor graph = Tensor::strings({plan.graph.SerializeAsString()}, {});
  std::vector<std::uint64_t> bytes;
  for (const auto& t : plan.tensors) bytes.push_back(t.variable->value().nbytes());
  const std::vector<int> shard_of = assign_to_shards(bytes, shards, plan.graph.ByteSizeLong());

  const std::string where = "sharded save of checkpoint '" + prefix.string() + "'";
  // Rank 0 holds the prefix's SaveLock for the whole save and publishes the bundle the ranks
  // wrote under its temporary prefix, as a save from one process does (bundle_publish.hpp). The
  // name goes out by broadcast: the first allgather of the save stays the one after the shards.
  std::optional<SaveLock> lock;
  std::string temporary, lock_error;
  if (rank == 0) {
    try {
      if (!prefix.parent_path().empty()) fs::create_directories(prefix.parent_path());
      lock.emplace(prefix);
      temporary = lock->temporary().string();
    } catch (const std::exception& e) {
      lock_error = e.what();
    }
  }
  temporary = broadcast_from_chief(collectives, temporary);
  if (temporary.empty()) throw Error(where + ": rank 0 could not lock the prefix" + (rank == 0 ? ": " + lock_error : ""));
  std::optional<ShardWriter> shard;
  run_agreed(collectives, where + ": writing the data shard", [&] {
    shard.emplace(prefix, temporary, rank, shards);
    for (std::size_t i = 0; i < plan.tensors.size(); ++i)
      if (shard_of[i] == rank) shard->add(plan.tensors[i].key, plan.tensors[i].variable->value());
    if (rank == 0) shard->add(kObjectGraphKey, graph);
    shard->close();
  });
  const std::vector<std::string> all = collectives.allgather(encode(shard->entries()));
  run_agreed(collectives, where + ": publishing the bundle", [&] {
    if (rank != 0) return;
    Entries merged;
    for (const std::string& entries_of_rank : all) decode_into(entries_of_rank, merged);
    write_index(prefix, temporary, shards, merged);
    publish_bundle(*lock, temporary, shards);
  });
}

}  // namespace

std::vector<int> assign_to_shards(const std::vector<std::uint64_t>& bytes, int shards, std::uint64_t preloaded) {
  if (shards < 1) throw Error("a checkpoint needs at least one shard, got " + std::to_string(shards));
  std::vector<std::size_t> order(bytes.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return bytes[a] > bytes[b]; });
  std::vector<std::uint64_t> load(static_cast<std::size_t>(shards), 0);
  load[0] = preloaded;
  std::vector<int> shard_of(bytes.size());
  for (std::size_t i : order) {
    const auto lightest = static_cast<std::size_t>(std::min_element(load.begin(), load.end()) - load.begin());
    shard_of[i] = static_cast<int>(lightest);
    load[lightest] += bytes[i];
  }
  return shard_of;
}

void save_object_checkpoint(const std::shared_ptr<Trackable>& root, const fs::path& prefix) {
  if (Collectives* collectives = current_multi_process_collectives())
    write_sharded(root, prefix, *collectives);
  else
    write_object_checkpoint(root, prefix);
}

}  // namespace ksave::tf
