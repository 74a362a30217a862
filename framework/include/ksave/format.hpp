// The file format interface. Each format (json, h5, tf-checkpoint, savedmodel) is a plugin
// implementing the parts it supports; the functions in saving.hpp pick one at run time.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "ksave/custom_objects.hpp"
#include "ksave/json.hpp"
#include "ksave/loaded_functions.hpp"
#include "ksave/model.hpp"

namespace ksave {

struct SaveOptions {
  std::string format;              // explicit format name; empty = from the path
  bool include_optimizer = true;   // Keras's include_optimizer
  bool save_traces = true;         // SavedModel: keep traced functions
  bool overwrite = true;
  // Options only one format understands, by key (onnx: {"opset": 15, "external_data": true}).
  // A format refuses keys it does not know.
  Json format_options = Json::object();
};

struct LoadOptions {
  CustomObjects custom_objects;
  bool compile = true;
  bool by_name = false;        // load_weights: match layers by name instead of order
  bool skip_mismatch = false;  // with by_name: skip layers whose shapes differ (with a warning)
  // For files from untrusted sources: load_model and load_weights read the file in a child
  // process first (check_in_child_process, saving.hpp), so that a damaged or hostile file that
  // crashes or hangs a reader (libhdf5 1.10.8 has such bugs) gives an Error here instead of
  // taking this process down; then they read it for real. `time_limit_seconds` bounds the
  // child's read (0: no bound).
  bool check_in_child_process = false;
  double time_limit_seconds = 600;
};

// What a weights load matched (TensorFlow's CheckpointLoadStatus, simplified for every format).
struct LoadStatus {
  std::vector<std::string> unused_in_file;     // saved values no variable took
  std::vector<std::string> unmatched_in_model; // model variables that got no value
  std::vector<std::string> warnings;
  // Throws listing both sides when anything is unmatched.
  void assert_consumed() const;
  // Throws when a model variable got no value.
  void assert_existing_objects_matched() const;
  // Silences the warning about unused values (TensorFlow's expect_partial).
  void expect_partial() { partial_ok = true; }
  bool partial_ok = false;
};

// ShardedSaveWeights: under a multi-process CollectiveScope (collectives.hpp) every rank calls
// save_weights and the format writes one shard per rank; other formats are written by rank 0.
enum class Capability { SaveModel, LoadModel, SaveWeights, LoadWeights, Inspect, LoadFunctions, ShardedSaveWeights };

// How a format presents itself to the core, so that adding one needs no edit in the core or
// the command line: which path endings pick it when saving, whether it is the choice for paths
// no format claims, whether its files hold values, and in which order content is tried.
struct FormatTraits {
  // Endings of the paths save_model / save_weights write in this format (".h5", ".weights.h5");
  // compared without case, the longest ending that matches wins. A format that lists no model
  // ending is picked by ".<its name>".
  std::vector<std::string> model_endings{};
  std::vector<std::string> weights_endings{};
  // Picked when no format claims a path's ending (Keras: a SavedModel folder for models, a TF
  // checkpoint prefix for weights).
  bool default_for_models = false;
  bool default_for_weights = false;
  // False for an architecture-only format (its models need weights from elsewhere).
  bool holds_values = true;
  // Content recognition tries formats of higher priority first (then in registration order).
  int sniff_priority = 0;
};

class Format {
 public:
  virtual ~Format() = default;
  virtual std::string name() const = 0;  // "json", "h5", "tf-checkpoint", "savedmodel"
  virtual std::vector<Capability> capabilities() const = 0;
  bool can(Capability capability) const;
  virtual FormatTraits traits() const { return {}; }
  // True when the file or folder at `path` is in this format, judged by its content.
  virtual bool sniff(const std::filesystem::path& path) const = 0;
  // True when `path`, which is no file or folder itself, names this format's files (a TF
  // checkpoint prefix "ckpt" names ckpt.index and ckpt.data-*).
  virtual bool names_files_at(const std::filesystem::path&) const { return false; }

  virtual void save_model(const Model& model, const std::filesystem::path& path,
                          const SaveOptions& options);
  virtual ModelPtr load_model(const std::filesystem::path& path, const LoadOptions& options);
  virtual void save_weights(const Model& model, const std::filesystem::path& path,
                            const SaveOptions& options);
  virtual LoadStatus load_weights(Model& model, const std::filesystem::path& path,
                                  const LoadOptions& options);
  // A description for `ksave inspect` (format, producer, weights, training config, ...).
  virtual Json inspect(const std::filesystem::path& path) const;
  // The saved graph's signatures as callables (tf.saved_model.load), for formats that hold graphs.
  virtual LoadedFunctionsPtr load_functions(const std::filesystem::path& path);
};

using FormatPtr = std::shared_ptr<Format>;

}  // namespace ksave
