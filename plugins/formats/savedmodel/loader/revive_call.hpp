// Calling an object's traced function from a SavedModel, as tf.keras's revived layers do: the
// object graph node holds a function (e.g. keras_api.call_and_return_conditional_losses) with
// one concrete function per traced input signature; the one whose tensor inputs match (and
// whose baked-in `training` flag matches the call) runs, with its captured inputs.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "graph_runtime/graph_executor.hpp"
#include "graph_objects.hpp"
#include "ksave/op.hpp"
#include "ksave_tf_saved_model.pb.h"

namespace ksave::plugins::savedmodel {

// The parsed SavedModel and its function library, shared by everything revived from it.
struct SavedModelGraph {
  std::shared_ptr<const tfproto::SavedModel> saved_model;
  const tfproto::MetaGraphDef* meta_graph = nullptr;
  std::unique_ptr<FunctionLibrary> library;
  std::unique_ptr<SavedVariables> variables;  // the object graph's variables (TF2 files)
  std::filesystem::path directory;

  static std::shared_ptr<SavedModelGraph> open(std::shared_ptr<const tfproto::SavedModel> saved_model,
                                               const tfproto::MetaGraphDef& meta_graph, const std::filesystem::path& directory);
  const tfproto::SavedObjectGraph& objects() const { return meta_graph->object_graph_def(); }
};

// Supplies the value of a captured input (a variable node) of a concrete function.
using CaptureResolver = std::function<GraphValue(int node_id)>;

class TracedCall {
 public:
  // The function under `path` (child names from `node`, e.g. {"keras_api",
  // "call_and_return_conditional_losses"}); throws naming the node when there is none.
  TracedCall(std::shared_ptr<SavedModelGraph> graph, int node, const std::vector<std::vector<std::string>>& candidate_paths,
             std::string where);

  // Runs the matching concrete function; returns the leaves of the first element of its output
  // structure (the call's outputs; the losses that follow are dropped).
  Tensors operator()(const Tensors& inputs, bool training, const CaptureResolver& captures) const;

  // The tensor inputs of the concrete function an inference call runs (the first traced
  // without training, else the first): what saving the object again traces its call on when
  // no symbolic call recorded its inputs (a subclassed model).
  const std::vector<FlatSpec>& inference_inputs() const;
  // Whether the traced Python call has a `training` argument (its FullArgSpec).
  bool takes_training() const { return takes_training_; }

 private:
  struct Concrete {
    std::string name;
    const tfproto::SavedConcreteFunction* spec;
    std::vector<FlatSpec> inputs;
    std::optional<bool> training;  // the baked-in training flag, when the signature has one
    std::size_t output_count;
  };
  const Concrete& choose(const Tensors& inputs, bool training) const;

  std::shared_ptr<SavedModelGraph> graph_;
  std::vector<Concrete> concretes_;
  bool takes_training_ = false;
  std::string where_;
};

}  // namespace ksave::plugins::savedmodel
