// The Keras side of a SavedModel: the per-object metadata JSON tf.keras stores, from
// keras_metadata.pb (TF >= 2.5) or from the deprecated SavedUserObject.metadata strings in the
// object graph (TF 2.0-2.4).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "ksave/json.hpp"
#include "ksave_tf_saved_model.pb.h"

namespace ksave::plugins::savedmodel {

struct KerasRootMetadata {
  std::string identifier;  // "_tf_keras_sequential", "_tf_keras_network", "_tf_keras_model"
  Json metadata;           // the root's metadata JSON, tuple wrappers replaced by lists
  std::string source;      // where it came from, for messages
};

// True for tf.keras's SavedUserObject identifiers ("_tf_keras_*").
bool is_keras_identifier(const std::string& identifier);

// tf.keras's JSON encodings of Python values back to plain JSON: {"class_name": "__tuple__",
// "items": [...]} and {"class_name": "TensorShape", "items": [...]} become lists.
Json untuple(const Json& value);

// The root object's Keras metadata. Throws when the SavedModel is not a Keras model (naming the
// root's kind) or when the metadata is missing or not JSON.
KerasRootMetadata keras_root_metadata(const tfproto::MetaGraphDef& meta_graph,
                                      const std::optional<tfproto::KerasSavedMetadata>& keras_metadata,
                                      const std::filesystem::path& directory);

// {"class_name", "config"} of the root model, ready for model_from_config. A subclassed model
// saved without a config (marked so by tf.keras <= 2.12, written as {} by later versions) gets
// {"name": <its saved name>}: its class is then revived from the traced call.
Json model_config_of(const KerasRootMetadata& root);

// What the root object of the SavedModel is, for messages: "user object '_tf_keras_model'",
// "variable", ...
std::string describe_object_kind(const tfproto::SavedObject& object);

}  // namespace ksave::plugins::savedmodel
