// TFOpLambda and SlicingOpLambda: the TensorFlow function a layer names (its config's
// "function") with the arguments of each call (the node's kwargs), written as ONNX operators.
// A function without an ONNX form is refused by name before anything is written.
#include <map>

#include "converter.hpp"
#include "ksave/tf_function_names.hpp"
#include "tf_op_converters.hpp"

namespace ksave::plugins::onnx_export {
namespace {

constexpr const char* kGetitem = "__operators__.getitem";

const std::map<std::string, TfOpConverter>& tf_ops() {
  static const std::map<std::string, TfOpConverter> table = [] {
    std::map<std::string, TfOpConverter> all;
    for (auto part : {elementwise_tf_ops(), reduction_tf_ops(), shape_tf_ops()})
      for (auto& [name, convert] : part) all.emplace(name, std::move(convert));
    all.emplace(kGetitem, getitem_tf_op);
    return all;
  }();
  return table;
}

// The function a layer's config names, by its canonical name (ksave/tf_function_names.hpp).
std::string function_of(const Json& config) {
  return tf_function_names::canonical_tf_function(config.value("function", std::string()));
}

std::vector<Value> tf_op(Conversion& c) {
  TfOpCall call(c);
  const auto found = tf_ops().find(function_of(c.config()));
  if (found == tf_ops().end()) throw Error(call.object() + ": this TensorFlow function has no ONNX form");
  return found->second(call);
}

std::string tf_op_problem(const Layer&, const Json& config) {
  const std::string function = config.value("function", std::string());
  return tf_ops().count(function_of(config)) ? "" : "the TensorFlow function 'tf." + function + "' has no ONNX form";
}

bool is_single_number(const Value& v) {
  for (Dim d : v.shape)
    if (d != 1) return false;
  return true;
}

}  // namespace

Perm shared_layout(const std::vector<Value>& values) {
  const Value* lead = nullptr;
  for (const Value& v : values) {
    if (is_single_number(v)) continue;
    if (!lead) lead = &v;
    else if (v.rank() != lead->rank() || v.perm != lead->perm) return {};
  }
  if (!lead) return {};
  for (const Value& v : values)
    if (v.rank() > lead->rank()) return {};
  return lead->perm;
}

std::string float_in_shared_layout(Emitter& onnx, const Value& v, const Perm& layout) {
  return onnx.float_in_layout(v, is_single_number(v) ? v.perm : layout);
}

namespace {

// Keras 3's TFSMLayer calls a SavedModel's signature: a whole TensorFlow graph, which this exporter
// (Keras layers to ONNX operators) does not translate op by op.
std::string tfsm_layer_problem(const Layer&, const Json&) {
  return "a TFSMLayer runs a SavedModel's TensorFlow graph, which ksave does not convert to ONNX; convert the "
         "SavedModel itself (tf2onnx), or rebuild its layers in the model";
}

}  // namespace

void add_tf_op_converters(ConverterTable& t) {
  t["TFSMLayer"] = {never_converted, tfsm_layer_problem};
  t["TFOpLambda"] = {tf_op, tf_op_problem};
  t["SlicingOpLambda"] = {tf_op, tf_op_problem};
}

}  // namespace ksave::plugins::onnx_export
