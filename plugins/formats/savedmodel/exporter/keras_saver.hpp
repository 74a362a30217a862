// tf.keras's model.save(path) in the SavedModel format: saved_model.pb (a MetaGraphDef tagged
// "serve"), keras_metadata.pb, variables/, assets/ and fingerprint.pb, written atomically as one
// folder. With save_traces (the default) every layer's and the model's call is traced into the
// graph_def's function library, the object graph is tf.keras's traced view of the model
// (trace_saved_objects.hpp) with a serving_default signature, and variables/ is the checkpoint
// of that same view; with save_traces=false the object graph and variables/ are those of a TF
// checkpoint of the model, with no functions and no signature, as tf.keras writes them.
#pragma once

#include <filesystem>

#include "ksave/format.hpp"

namespace ksave::plugins::savedmodel {

void save_keras_saved_model(const Model& model, const std::filesystem::path& path, const SaveOptions& options);

}  // namespace ksave::plugins::savedmodel
