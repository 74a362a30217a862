// The graph_def of a traced SavedModel: the function library plus the graph TensorFlow writes
// beside it — a VarHandleOp (and its Read/ReadVariableOp) per checkpointed variable, a
// Placeholder "serving_default_<input>" per signature input and the StatefulPartitionedCall that runs
// the signature wrapper on them (the signature's "StatefulPartitionedCall:<i>" tensors), the init
// NoOp, and the saver: "saver_filename", the object graph as a Const, and the calls of
// __inference__traced_save / __inference__traced_restore that SaveV2/RestoreV2 the variables
// under their checkpoint keys (what SaverDef names, for TF1-style loaders such as TF Serving).
#pragma once

#include "ksave/tf/object_graph.hpp"
#include "ksave_tf_saved_model.pb.h"
#include "trace_saved_objects.hpp"

namespace ksave::plugins::savedmodel {

struct ServingGraph {
  tfproto::GraphDef graph;
  tfproto::SaverDef saver;
};

// `plan` is the object graph of the traced view (its variables and checkpoint keys). The saver
// functions are added to `traced.functions` before the library is copied into the graph.
ServingGraph serving_graph(TracedModel& traced, const tf::ObjectGraphPlan& plan);

}  // namespace ksave::plugins::savedmodel
