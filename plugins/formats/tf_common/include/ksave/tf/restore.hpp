// Restoring an object-based checkpoint into live objects, as TensorFlow does: node 0 is the
// root, then each stored child edge is followed by its local name to the live object's child of
// that name; values are read through the keys stored in the graph. Checkpoints without an object
// graph (TF1 name-based) are restored by variable name.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "ksave/format.hpp"
#include "ksave/trackable.hpp"

namespace ksave::tf {

class RestoreSession;

// TensorFlow's CheckpointLoadStatus. The lists say what matched; the assertions throw naming
// what did not.
class CheckpointStatus {
 public:
  CheckpointStatus() = default;
  explicit CheckpointStatus(std::shared_ptr<RestoreSession> session);

  // Every value in the checkpoint went to an object and every object got a value.
  const CheckpointStatus& assert_consumed() const;
  // Every live object with variables got a value (checkpoint values without objects are fine).
  const CheckpointStatus& assert_existing_objects_matched() const;
  // Something besides the root matched (what Keras's load_weights checks).
  const CheckpointStatus& assert_nontrivial_match() const;
  // A partial restore is intended: no warning about unused values.
  CheckpointStatus& expect_partial();

  // Deferred restoration. TensorFlow restores a value the moment its object is created; ksave
  // layers have no creation hook, so values whose object did not exist yet (an unbuilt layer's
  // kernel, an optimizer's slots before its first step) are kept here and assigned by this call,
  // typically after model.build(...). Returns how many variables it restored.
  std::size_t restore_deferred();

  // The framework's status (the lists, warnings, partial flag).
  const LoadStatus& status() const;
  std::vector<std::string> matched_keys() const;

 private:
  std::shared_ptr<RestoreSession> session_;
};

// Restores the checkpoint at `prefix` into `root`.
CheckpointStatus restore_checkpoint(const std::shared_ptr<Trackable>& root, const std::filesystem::path& prefix);

}  // namespace ksave::tf
