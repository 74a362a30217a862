// Keras layers and subclassed models whose class no plugin defines, revived from their traced
// functions as tf.keras does (RevivedLayer, RevivedNetwork): the layer keeps its saved config, its variables come from the object
// graph, and its call runs keras_api.call_and_return_conditional_losses. The SavedModel writer
// follows TensorFlow's layout, so ksave's own files revive the same way.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>

#include "graph_objects.hpp"
#include "ksave/custom_objects.hpp"
#include "revived_configs.hpp"
#include "ksave_tf_saved_model.pb.h"

namespace ksave::plugins::savedmodel {

// A layer or subclassed model revived from its traced functions: the tensors its call was traced
// on. Saving it again traces the call on them, since no symbolic call recorded its inputs (a
// subclassed model has no Input layers), so that the new SavedModel serves it too.
class RevivedCall {
 public:
  virtual ~RevivedCall() = default;
  virtual const std::vector<FlatSpec>& traced_inputs() const = 0;
  virtual bool takes_training() const = 0;  // whether the traced Python call has `training`
};

struct RevivedLayers {
  // custom_objects entries for every Keras layer or subclassed-model class of the SavedModel that
  // neither `given` nor the registry resolves; each builds the revived object of the saved node
  // with the config's name. Empty (and the function library untouched) when every class is known.
  CustomObjects classes;
  // Build the model from configs->reduce(model config, classes): the revived layers' own keys
  // (which may name classes nothing defines) are kept aside and given back to each layer.
  std::shared_ptr<RevivedConfigs> configs;
};
RevivedLayers revived_layer_classes(const std::shared_ptr<const tfproto::SavedModel>& saved_model,
                                    const tfproto::MetaGraphDef& meta_graph,
                                    const std::optional<tfproto::KerasSavedMetadata>& keras_metadata,
                                    const std::filesystem::path& directory, const CustomObjects& given);

}  // namespace ksave::plugins::savedmodel
