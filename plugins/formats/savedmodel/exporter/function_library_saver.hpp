// The saver of a SavedModel's graph, as tf.saved_model.save writes it: __inference__traced_save
// (SaveV2 of every variable's value and of the object graph under their checkpoint keys, into a
// temporary shard merged with MergeV2Checkpoints) and __inference__traced_restore (RestoreV2, then
// AssignVariableOp into each variable), called from the graph by StatefulPartitionedCall_1 and
// _2 on the "saver_filename" placeholder. SaverDef names those tensors; TF1-style loaders (TF
// Serving's LoadSavedModel) run the restore op to load variables/.
#pragma once

#include <map>
#include <string>

#include "function_library.hpp"
#include "ksave/tf/object_graph.hpp"
#include "ksave_tf_saved_model.pb.h"

namespace ksave::plugins::savedmodel {

// Adds both functions to `functions` and their calls to `graph`; `handles` are the graph's
// VarHandleOp names of the plan's variables.
tfproto::SaverDef add_saver(TraceLibrary& functions, tfproto::GraphDef& graph, const tf::ObjectGraphPlan& plan,
                            const std::map<const Variable*, std::string>& handles);

}  // namespace ksave::plugins::savedmodel
