#include "model_export.hpp"

#include <set>

#include "activations.hpp"
#include "converter.hpp"
#include "pad_before_transpose.hpp"

namespace ksave::plugins::onnx_export {
namespace {

std::string describe(const Layer& layer) { return "'" + layer.name() + "' (" + layer.class_name() + ")"; }

const Model* graph_model(const Layer& layer) {
  const auto* model = dynamic_cast<const Model*>(&layer);
  return model && !model->inputs().empty() ? model : nullptr;
}

void collect_problems(const Layer& layer, std::vector<std::string>& problems, std::set<const Layer*>& seen) {
  if (!seen.insert(&layer).second) return;
  if (const auto* model = dynamic_cast<const Model*>(&layer)) {
    if (model->inputs().empty()) {
      problems.push_back(describe(layer) + ": a subclassed model has no layer graph to export");
      return;
    }
    for (const LayerPtr& l : model->layers()) collect_problems(*l, problems, seen);
    return;
  }
  const auto& table = converters();
  const auto found = table.find(layer.class_name());
  if (found == table.end()) {
    problems.push_back(describe(layer) + ": no ONNX mapping for this class");
    return;
  }
  const Json config = layer.get_config();
  for (const char* key : {"activation", "recurrent_activation"}) {
    if (!config.contains(key)) continue;
    const std::string name = activation_name(config[key]);
    if (!activation_has_onnx_form(name)) problems.push_back(describe(layer) + ": " + key + " '" + name + "' has no ONNX form");
  }
  if (found->second.unsupported)
    if (const std::string why = found->second.unsupported(layer, config); !why.empty())
      problems.push_back(describe(layer) + ": " + why);
  if (found->second.wraps_layers)
    for (const auto& [attribute, sublayer] : layer.tracked_layers()) collect_problems(*sublayer, problems, seen);
}

// The walk of one model's graph: each Keras tensor's ONNX value, computed from the outputs back.
class GraphWalk {
 public:
  explicit GraphWalk(Emitter& onnx) : onnx_(onnx) {}

  std::vector<Value> call_model(const Model& model, const std::vector<Value>& inputs, const std::string& scope) {
    const KerasTensors& model_inputs = model.inputs();
    if (model_inputs.size() != inputs.size())
      throw Error("model " + describe(model) + " takes " + std::to_string(model_inputs.size()) + " inputs, called with " +
                  std::to_string(inputs.size()));
    Values values;
    for (std::size_t i = 0; i < inputs.size(); ++i) values[key(model_inputs[i])] = inputs[i];
    std::vector<Value> outputs;
    for (const KerasTensor& t : model.outputs()) outputs.push_back(value_of(t, values, scope));
    return outputs;
  }

  std::vector<Value> convert(const LayerCall& call) {
    if (const Model* nested = graph_model(*call.layer)) {
      std::vector<Value> outputs = call_model(*nested, call.inputs, call.scope + "/");
      // A model passes no mask on (ksave's Model computes none for its outputs).
      for (Value& v : outputs) v.mask.clear();
      return outputs;
    }
    const auto& table = converters();
    const auto found = table.find(call.layer->class_name());
    if (found == table.end()) throw Error("layer " + describe(*call.layer) + " has no ONNX mapping");
    Conversion conversion(onnx_, call, [this](const LayerCall& inner) { return convert(inner); });
    std::vector<Value> outputs;
    try {
      outputs = found->second.convert(conversion);
    } catch (const Error& e) {
      const std::string message = e.what();
      if (message.find("'" + call.layer->name() + "'") != std::string::npos) throw;
      throw Error("layer " + describe(*call.layer) + ": " + message);
    }
    if (outputs.size() != call.output_shapes.size())
      throw Error("layer " + describe(*call.layer) + ": its converter gave " + std::to_string(outputs.size()) +
                  " outputs, the layer has " + std::to_string(call.output_shapes.size()));
    // Keras's default compute_mask: a layer that supports masking passes its first input's mask on.
    bool set_masks = false;
    for (const Value& v : outputs) set_masks = set_masks || !v.mask.empty();
    if (!set_masks && call.layer->supports_masking() && !call.inputs.empty())
      for (Value& v : outputs) v.mask = call.inputs[0].mask;
    return outputs;
  }

 private:
  using Key = std::pair<const Node*, int>;
  using Values = std::map<Key, Value>;
  static Key key(const KerasTensor& t) { return {t.node().get(), t.index()}; }

  Value value_of(const KerasTensor& t, Values& values, const std::string& scope) {
    if (auto found = values.find(key(t)); found != values.end()) return found->second;
    const Node& node = *t.node();
    if (node.inputs.empty())
      throw Error("layer " + describe(*node.layer) + " is an input the model was not given in its inputs");
    LayerCall call;
    call.layer = node.layer.get();
    call.config = node.layer->get_config();
    call.call_kwargs = node.call_kwargs;
    for (const KerasTensor& in : node.inputs) call.inputs.push_back(value_of(in, values, scope));
    call.output_shapes = node.output_shapes;
    call.output_dtypes = node.output_dtypes;
    call.scope = scope + node.layer->name();
    const std::vector<Value> outputs = convert(call);
    for (std::size_t i = 0; i < outputs.size(); ++i) values[{&node, static_cast<int>(i)}] = outputs[i];
    return values.at(key(t));
  }

  Emitter& onnx_;
};

}  // namespace

int ir_version_for(int opset) { return opset <= 14 ? 7 : 8; }

std::vector<std::string> export_problems(const Model& model) {
  std::vector<std::string> problems;
  std::set<const Layer*> seen;
  collect_problems(model, problems, seen);
  return problems;
}

proto::ModelProto export_model(const Model& model, const ExportOptions& options) {
  if (options.opset < kMinOpset || options.opset > kMaxOpset)
    throw Error("opset " + std::to_string(options.opset) + " is not supported (choose " +
                std::to_string(kMinOpset) + " to " + std::to_string(kMaxOpset) + ")");
  if (const auto problems = export_problems(model); !problems.empty()) {
    std::string list;
    for (const auto& p : problems) list += "\n  " + p;
    throw Error("model '" + model.name() + "' cannot be exported to ONNX: " + std::to_string(problems.size()) +
                (problems.size() == 1 ? " layer has" : " layers have") + " no ONNX form:" + list);
  }
  proto::ModelProto out;
  out.set_ir_version(ir_version_for(options.opset));
  auto* opset = out.add_opset_import();
  opset->set_domain("");
  opset->set_version(options.opset);
  out.set_producer_name("ksave");
  out.set_producer_version(kPluginVersion);
  out.set_doc_string("Keras model '" + model.name() + "' (" + model.class_name() + "), exported by ksave");
  auto* graph = out.mutable_graph();
  graph->set_name(model.name());
  auto* source = out.add_metadata_props();
  source->set_key("keras_class_name");
  source->set_value(model.class_name());

  GraphBuilder builder(*graph, options.opset);
  Emitter onnx(builder);
  // Graph inputs and outputs keep the Keras names, so they are taken first.
  std::vector<Value> inputs;
  for (const KerasTensor& t : model.inputs()) {
    Value v{builder.unique_name(t.layer()->name()), t.shape(), t.dtype(), {}, ""};
    builder.add_input(v.name, v.dtype, v.shape);
    inputs.push_back(std::move(v));
  }
  std::vector<std::string> output_names;
  for (const KerasTensor& t : model.outputs()) output_names.push_back(builder.unique_name(t.layer()->name()));
  GraphWalk walk(onnx);
  const std::vector<Value> outputs = walk.call_model(model, inputs, "");
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    builder.add_node_with_outputs("Identity", {onnx.in_keras_layout(outputs[i])}, {output_names[i]}, {}, output_names[i]);
    builder.add_output(output_names[i], outputs[i].dtype, outputs[i].shape);
  }
  move_pads_after_transposes(*graph, builder);
  for (const auto& [domain, version] : builder.other_domains()) {
    auto* imported = out.add_opset_import();
    imported->set_domain(domain);
    imported->set_version(version);
  }
  return out;
}

}  // namespace ksave::plugins::onnx_export
