// The SavedObjectGraph and the keras_metadata.pb nodes of a model, from the same breadth-first
// trackable graph the variables/ checkpoint is written from, so node ids agree in both.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ksave/json.hpp"
#include "ksave/model.hpp"
#include "ksave_tf_saved_model.pb.h"

namespace ksave::plugins::savedmodel {
class TraceLibrary;
}

namespace ksave::plugins::savedmodel {

struct SavedGraphs {
  tfproto::SavedObjectGraph object_graph;
  tfproto::KerasSavedMetadata keras_metadata;
};

// `root` is what is checkpointed (the model, or the model without its optimizer); `model` is the
// model itself, whose metadata gets keras_version, model_config and (when `with_training_config`)
// training_config. With `functions` (a traced view's library), the object graph gets their
// SavedConcreteFunction entries.
SavedGraphs build_saved_graphs(const std::shared_ptr<Trackable>& root, const Model& model, bool with_training_config,
                               const TraceLibrary* functions = nullptr);

// The user-object identifier tf.keras gives a layer ("_tf_keras_sequential", "_tf_keras_layer", ...).
std::string keras_identifier(const Layer& layer);

}  // namespace ksave::plugins::savedmodel
