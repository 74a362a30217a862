// The object graph a SavedModel with traced functions holds (save_traces=true), as tf.keras 2.11
// and 2.12 write it: every layer gets the SavedModel-only children `variables`,
// `trainable_variables`, `regularization_losses` (list wrappers), `keras_api` (a generic object
// with the layer's lists and functions) and the functions `__call__` and
// `call_and_return_all_conditional_losses`, whose concrete functions (`trace_N` children) are
// the layer's traced call; the root model adds `_default_save_signature` (the traced model) and
// `signatures` (the serving_default wrapper). The view is a trackable graph over the live model,
// so the same breadth-first walk numbers saved_model.pb's nodes and the variables/ checkpoint.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "function_library.hpp"
#include "ksave/model.hpp"

namespace ksave::plugins::savedmodel {

// One node of the view that is not a live object of the model: a layer seen through the view
// (kind "keras_layer"), a list/dict wrapper, a generic object, a function, a concrete function
// or the signature map (kinds named by their SavedUserObject identifier or SavedObject kind).
class SavedNode : public Trackable {
 public:
  explicit SavedNode(std::string kind) : kind_(std::move(kind)) {}
  std::string trackable_kind() const override { return kind_; }
  std::vector<TrackableChild> trackable_children() const override { return children; }

  std::vector<TrackableChild> children;
  LayerPtr layer;                                // kind "keras_layer"
  std::vector<std::string> concrete_functions;   // kind "function"
  std::string concrete_function;                 // kind "bare_concrete_function"
  std::vector<std::string> argument_keywords;    // kind "bare_concrete_function"
  bool method = false;        // a layer's call method (FullArgSpec self, inputs, ...) or a plain function
  bool model_call = false;    // a model's call (inputs, training, mask)

 private:
  std::string kind_;
};

inline constexpr const char* kKerasLayerNode = "keras_layer";

// One input or output of the serving signature: its key, shape (batch kUnknown) and dtype.
struct SignatureTensor {
  std::string key;
  Shape shape;
  DType dtype = DType::Float32;
};

struct TracedModel {
  std::shared_ptr<Trackable> root;  // the view's root: the model with its SavedModel children
  TraceLibrary functions;
  std::string signature_function;   // the serving_default wrapper ("" for a model not traced)
  // serving_default's keyword inputs (the model's input names, or the names a revived
  // subclassed model's trace gave them) and outputs (the output layers' names, or output_1,
  // output_2, ... for a model without output layers, as tf.keras names a subclassed model's),
  // both in the model's order.
  std::vector<SignatureTensor> signature_inputs, signature_outputs;
};

// Traces every layer of `model` and the model itself and builds the view. Throws naming the layer
// when a call cannot be traced (save with save_traces=false then).
TracedModel trace_model(const Model& model, bool include_optimizer);

// The signature functions return their outputs as a dict, which TensorFlow flattens in sorted
// key order: output `i` of the call is the i-th key. Position of each output among the sorted keys.
std::vector<std::size_t> sorted_output_positions(const std::vector<SignatureTensor>& outputs);

// Whether the layer's traced call takes `training` and `mask` after its inputs: a model's does
// (ksave traces it with training=False), but not that of a revived subclassed model whose own
// Python call had no `training` argument (traced again as it was, as tf.keras itself wrote it).
bool call_takes_training(const Layer& layer);

// The FunctionSpec of a function or concrete-function node, as tf.keras writes it.
tfproto::FunctionSpec function_spec(const SavedNode& node);

}  // namespace ksave::plugins::savedmodel
