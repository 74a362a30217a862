// The table of TensorFlow op types the graph executor runs with ksave ops. Each importer maps a
// NodeDef's attrs (and the constant inputs TensorFlow passes as tensors: Reshape's shape,
// ConcatV2's axis, Sum's reduction indices, Transpose's perm, ...) onto ksave's op attributes.
// Nodes that touch variables, feeds or other functions are the executor's own (graph_executor).
#pragma once

#include <functional>
#include <span>
#include <string>
#include <vector>

#include "ksave/op.hpp"
#include "ksave_tf_graph.pb.h"

namespace ksave::plugins::savedmodel {

struct TfOpCall {
  const tfproto::NodeDef& node;
  std::span<const Tensor> inputs;
  const Attrs& attrs;        // attrs_from_node(node), converted once
  const std::string& where;  // "function F node N", for errors
  // The constant inputs from TfOpImporter::first_constant_input on are already in `attrs` (and
  // absent from `inputs`).
  bool constants_folded = false;
};

struct TfOpImporter {
  using Run = std::function<Tensors(const TfOpCall&)>;
  using OutputArgOffset = std::function<std::size_t(const tfproto::NodeDef&, const std::string& arg)>;
  TfOpImporter() = default;
  TfOpImporter(Run run_op, OutputArgOffset offset = {}) : run(std::move(run_op)), output_arg_offset(std::move(offset)) {}

  Run run;
  // Position of output arg `arg` among the flat outputs ("node:arg:idx" names); empty for ops
  // with one output arg.
  OutputArgOffset output_arg_offset;
  // For ops whose trailing inputs are parameters (Reshape's shape, Transpose's perm, ...): the
  // attrs with the inputs from `first_constant_input` on converted, so that a prepared body
  // converts Const inputs once and then runs with constants_folded.
  std::size_t first_constant_input = 0;
  std::function<Attrs(const TfOpCall&)> fold_constants;
};

// The importer of a TensorFlow op type, or null when ksave cannot run it.
const TfOpImporter* find_tf_op_importer(const std::string& op_type);

// ---- attribute helpers (shared with the executor) ----
const tfproto::AttrValue* find_attr(const tfproto::NodeDef& node, const std::string& name);
// The NodeDef attrs ksave ops understand (numbers, flags, strings, int/float lists, dtypes as
// names); shapes, functions and the "_"-prefixed bookkeeping attrs are left out.
Attrs attrs_from_node(const tfproto::NodeDef& node);
// Throws, naming the node, unless the call has `count` inputs.
void expect_inputs(const TfOpCall& call, std::size_t count);
// The integer values of a constant input (shape, axes, perm), checked to be at most rank 1.
std::vector<std::int64_t> int_values(const Tensor& t, const std::string& what);

}  // namespace ksave::plugins::savedmodel
