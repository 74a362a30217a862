// The graph_def of a traced SavedModel: the function library plus the serving graph TensorFlow
// writes beside it — a VarHandleOp (and its Read/ReadVariableOp) per variable the signature
// captures, a Placeholder "serving_default_<input>" per model input, and the
// StatefulPartitionedCall that runs the signature wrapper on them, whose outputs are the
// signature's "StatefulPartitionedCall:<i>" tensors.
#pragma once

#include "ksave_tf_graph.pb.h"
#include "trace_saved_objects.hpp"

namespace ksave::plugins::savedmodel {

tfproto::GraphDef serving_graph(const TracedModel& traced, const Model& model);

}  // namespace ksave::plugins::savedmodel
