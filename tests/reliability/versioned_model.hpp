// Two versions of one model for the reliability harnesses: the same architecture of about N MiB
// of float32 Dense weights, with weights (and, for whole-model formats, a model name) that say
// which version they are. Every kind of save the library offers writes them, and a load tells
// which version a path holds, bit for bit, or that it holds neither.
#pragma once

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "ksave/model.hpp"

namespace ksave::reliability {

// One way of saving: a whole model in a format, or weights only.
struct SaveKind {
  std::string name;         // "h5", "keras", "savedmodel", "json", "h5-weights", ...
  std::string format;       // the format saved in, whatever the path
  std::string target;       // the file, folder or prefix name the save writes
  bool whole_model;         // save_model (else save_weights)
  bool holds_weights;       // false for an architecture-only JSON
  std::set<std::string> files;  // what the folder holds after a completed save, and nothing else
};

const std::vector<SaveKind>& save_kinds();
// The kind of this name (throws listing the names).
const SaveKind& save_kind(const std::string& name);

struct Version {
  int number = 0;     // what the weights and the model name encode
  int megabytes = 1;  // the model's size (one Dense(512, 512) layer per MiB)
};

ModelPtr versioned_model(const Version& version);
void save_version(const SaveKind& kind, const Model& model, const std::filesystem::path& target);
// The number of the candidate that `target` holds exactly (every weight bit for bit, and the
// model name for whole models). Throws saying what was found when it is none of them or does
// not load.
int loaded_version(const SaveKind& kind, const std::filesystem::path& target, const std::vector<Version>& candidates);
// Entries of `folder` that a completed save of `kind` does not leave (temporaries, lock files).
std::vector<std::string> unexpected_entries(const SaveKind& kind, const std::filesystem::path& folder);

}  // namespace ksave::reliability
