// What TF2 SavedModel functions need from the saved object graph: the flat tensor specs of a
// concrete function's structured inputs and outputs (nest.flatten order: dict keys sorted), and
// the variables its captured inputs (bound_inputs) stand for, valued from variables/ by walking
// the checkpoint's object graph by local names as tf.saved_model.load does.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "graph_runtime/graph_executor.hpp"
#include "ksave/loaded_functions.hpp"
#include "ksave/tf/bundle.hpp"
#include "ksave_tf_saved_model.pb.h"

namespace ksave::plugins::savedmodel {

struct FlatSpec {
  std::string key;  // the dict key (or the TensorSpec's own name) of the leaf
  TensorSpec spec;
};
// Tensor leaves in flattening order; non-tensor leaves (None, Python numbers) are not inputs.
std::vector<FlatSpec> flatten_tensor_specs(const tfproto::StructuredValue& value, const std::string& where);

// The SavedObjectGraph node `id`, checked to exist.
const tfproto::SavedObject& saved_node(const tfproto::SavedObjectGraph& graph, int id, const std::string& where);
// The child of node `id` named `local_name`, or -1.
int saved_child(const tfproto::SavedObjectGraph& graph, int id, const std::string& local_name);

class SavedVariables {
 public:
  // Reads variables/ of `directory` (when the object graph has variables).
  SavedVariables(const tfproto::SavedObjectGraph& graph, const std::filesystem::path& directory);
  // The variable of saved node `id`, with its value from the bundle (made once, then shared).
  VariablePtr variable(int id);

 private:
  const tfproto::SavedObjectGraph& graph_;
  std::filesystem::path directory_;
  std::unique_ptr<tf::BundleReader> bundle_;
  std::map<int, std::string> keys_;  // saved node id → checkpoint key
  std::mutex mutex_;                 // signatures may run on several threads
  std::map<int, VariablePtr> made_;
};

// The values of a concrete function's captured inputs: variables, and asset paths under the
// SavedModel's assets/.
GraphValues captured_inputs(const tfproto::MetaGraphDef& meta_graph, const tfproto::SavedConcreteFunction& function,
                            SavedVariables& variables, const std::filesystem::path& directory, const std::string& where);

}  // namespace ksave::plugins::savedmodel
