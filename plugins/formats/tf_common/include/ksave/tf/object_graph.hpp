// The object graph of object-based checkpoints (`_CHECKPOINTABLE_OBJECT_GRAPH`), built from
// ksave's trackable graph with TensorFlow's rules: breadth-first node order, an object keeps its
// first (shortest) path, keys `<escaped path>/.ATTRIBUTES/VARIABLE_VALUE`, optimizer slots after
// every other node under `<variable path>/.OPTIMIZER_SLOT/<optimizer path>/<slot>`.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "ksave/trackable.hpp"
#include "ksave/variable.hpp"
#include "ksave_tf_object_graph.pb.h"

namespace ksave::tf {

inline constexpr const char* kObjectGraphKey = "_CHECKPOINTABLE_OBJECT_GRAPH";
inline constexpr const char* kVariableValue = "VARIABLE_VALUE";

// TensorFlow's escape_local_name: "." → "..", then "/" → ".S".
std::string escape_local_name(const std::string& name);

// An object's children in the order TensorFlow lists them. The framework's models list
// `layer-N` before `layer_with_weights-K`; tf.keras lists `layer_with_weights-K` first, which
// decides the BFS path (and so the key) of every weighted layer — this puts them back in order.
std::vector<TrackableChild> checkpoint_children(const Trackable& object);

// The model as a save with include_optimizer=false sees it: the same children minus
// "optimizer", so every other key stays what it is (tf.keras drops that one dependency).
std::shared_ptr<Trackable> without_optimizer(std::shared_ptr<Trackable> model);

// The variable's TF1-style name: "dense/kernel:0" → "dense/kernel".
std::string variable_full_name(const Variable& variable);

struct SavedTensor {
  std::string key;
  VariablePtr variable;
};

struct ObjectGraphPlan {
  tfproto::TrackableObjectGraph graph;
  std::vector<std::shared_ptr<Trackable>> nodes;  // the live object of each node id
  std::vector<SavedTensor> tensors;                // in the order TensorFlow writes them
};

ObjectGraphPlan build_object_graph(const std::shared_ptr<Trackable>& root);

// Writes the bundle of `root` at `prefix` from this process alone: every variable, then the
// serialized graph, in one data shard.
void write_object_checkpoint(const std::shared_ptr<Trackable>& root, const std::filesystem::path& prefix);

// Writes the bundle of `root` at `prefix` as a sharded save when a multi-process CollectiveScope
// is current (ksave/collectives.hpp; every rank calls this with the same model): rank R writes
// `<prefix>.data-0000R-of-0000N` with the tensors assigned to it (balanced by bytes), rank 0 the
// merged `.index`, whose entries name their shard, as TensorFlow's sharded saves (MergeBundles)
// produce. Shards are renamed into place only once every rank has written its own, and the index
// last, so a rank that dies mid-save leaves no index at `prefix`. Otherwise write_object_checkpoint.
void save_object_checkpoint(const std::shared_ptr<Trackable>& root, const std::filesystem::path& prefix);

// The shard of each tensor, from their sizes in bytes: largest first, each to the shard with
// the fewest bytes so far (ties: lowest shard), after `preloaded` bytes already in shard 0.
std::vector<int> assign_to_shards(const std::vector<std::uint64_t>& bytes, int shards, std::uint64_t preloaded = 0);

}  // namespace ksave::tf
