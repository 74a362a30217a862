#include "trace_saved_objects.hpp"

#include <algorithm>
#include <iostream>
#include <map>
#include <optional>
#include <set>

#include "ksave/error.hpp"
#include "ksave/keras_tensor.hpp"
#include "ksave/optimizer.hpp"
#include "loader/revive_layer.hpp"
#include "object_graph_writer.hpp"
#include "trace_ops.hpp"

namespace ksave::plugins::savedmodel {

namespace {

using Value = tfproto::StructuredValue;

std::shared_ptr<SavedNode> node_of(const std::string& kind, std::vector<TrackableChild> children = {}) {
  auto node = std::make_shared<SavedNode>(kind);
  node->children = std::move(children);
  return node;
}

std::shared_ptr<SavedNode> list_wrapper(const std::vector<std::shared_ptr<Trackable>>& items) {
  std::vector<TrackableChild> children;
  for (std::size_t i = 0; i < items.size(); ++i) children.push_back({std::to_string(i), items[i]});
  return node_of("trackable_list_wrapper", std::move(children));
}

template <typename T>
std::vector<std::shared_ptr<Trackable>> as_trackables(const std::vector<std::shared_ptr<T>>& items) {
  return {items.begin(), items.end()};
}

// The arguments of a layer's call: "inputs", or "inputs_0", "inputs_1", ... for a list.
std::vector<TraceArg> call_args(const KerasTensors& inputs, const std::vector<std::string>& names) {
  std::vector<TraceArg> out;
  for (std::size_t i = 0; i < inputs.size(); ++i) out.push_back({names[i], inputs[i].shape(), inputs[i].dtype()});
  return out;
}
// A revived subclassed model's call, as its SavedModel traced it: each input under the name its
// spec gives it ("input_1"), or nothing when a spec does not say the input's rank.
std::optional<std::vector<TraceArg>> revived_call_args(const RevivedCall& revived) {
  std::vector<TraceArg> out;
  for (const auto& input : revived.traced_inputs()) {
    if (!input.spec.shape) return std::nullopt;
    out.push_back({input.key.empty() ? numbered("input", out.size() + 1) : input.key, *input.spec.shape, input.spec.dtype});
  }
  return out;
}
std::vector<std::string> generic_names(std::size_t count) {
  if (count == 1) return {"inputs"};
  std::vector<std::string> out;
  for (std::size_t i = 0; i < count; ++i) out.push_back(numbered("inputs", i));
  return out;
}
std::vector<std::string> arg_names(const std::vector<TraceArg>& args) {
  std::vector<std::string> out;
  for (const auto& a : args) out.push_back(a.name);
  return out;
}

// A call's inputs in a signature: one spec, or a list of specs for several inputs.
Value inputs_value(const std::vector<TraceArg>& args) {
  std::vector<Value> specs;
  for (const auto& a : args) specs.push_back(tensor_spec(a.name, a.shape, a.dtype));
  return specs.size() == 1 ? specs[0] : list_of(std::move(specs));
}
Value outputs_value(const TracedFunction& traced, const std::string& name) {
  std::vector<Value> specs;
  for (std::size_t i = 0; i < traced.outputs.size(); ++i)
    specs.push_back(tensor_spec(name.empty() ? numbered("tensor", i) : name, traced.output_shapes[i], traced.output_dtypes[i]));
  return specs.size() == 1 ? specs[0] : list_of(std::move(specs));
}

bool holds_stateful_layer(const Layer& layer) {
  if (layer.get_config().value("stateful", false)) return true;
  if (auto* model = dynamic_cast<const Model*>(&layer))
    for (const auto& sub : model->layers())
      if (holds_stateful_layer(*sub)) return true;
  for (const auto& [name, sub] : layer.tracked_layers())
    if (holds_stateful_layer(*sub)) return true;
  return false;
}

class ModelTracer {
 public:
  ModelTracer(const Model& model, bool include_optimizer) : model_(model), include_optimizer_(include_optimizer) {}

  TracedModel run() {
    TracedModel out;
    out.root = view_of(std::const_pointer_cast<Layer>(model_.shared_from_this()), true);
    out.functions = std::move(functions_);
    out.signature_function = signature_function_;
    out.signature_inputs = signature_inputs_;
    out.signature_outputs = signature_outputs_;
    return out;
  }

 private:
  // The layer as a view node (one per layer, however many paths reach it).
  std::shared_ptr<Trackable> view_of(const LayerPtr& layer, bool root = false) {
    auto found = views_.find(layer.get());
    if (found != views_.end()) return found->second;
    auto view = node_of(kKerasLayerNode);
    view->layer = layer;
    views_[layer.get()] = view;
    // A model's layers are traced (their calls have recorded inputs); deeper sublayers (an RNN's
    // cell) get function nodes without concrete functions, as in tf.keras.
    if (auto* model = dynamic_cast<const Model*>(layer.get()))
      for (const auto& sub : model->layers()) traced_layers_.insert(sub.get());
    std::vector<TrackableChild> own;
    for (const auto& child : layer->trackable_children()) {
      if (child.name == "optimizer") continue;
      own.push_back({child.name, view_of_child(child.object)});
    }
    if (layer->class_name() == "InputLayer") {  // tf.keras saves no functions or lists for it
      view->children = std::move(own);
      return view;
    }
    auto* model = dynamic_cast<const Model*>(layer.get());
    const bool traced = traced_layers_.count(layer.get()) || root;
    std::vector<TrackableChild> extras = saved_model_children(*layer, model, traced, root);
    if (model) {
      view->children = std::move(own);
      view->children.insert(view->children.end(), extras.begin(), extras.end());
      if (root && include_optimizer_ && model_.optimizer()) view->children.push_back({"optimizer", model_.optimizer()});
      if (root && !signature_function_.empty()) view->children.push_back({"signatures", signature_map()});
    } else {
      view->children = std::move(extras);
      view->children.insert(view->children.end(), own.begin(), own.end());
    }
    return view;
  }

  // A layer's child as the view shows it: a layer as its view node; an object that holds layers
  // without being one (StackedRNNCells' `cells` list) mirrored with its layers' view nodes, so
  // that each cell is one node however many paths reach it, as in tf-keras's own files (its
  // loader binds a cell's variables to the one object it revives: a second node of the same cell
  // left the revived cells' 6 variables unbound); anything else as it is.
  std::shared_ptr<Trackable> view_of_child(const std::shared_ptr<Trackable>& object) {
    if (auto layer = std::dynamic_pointer_cast<Layer>(object)) return view_of(layer);
    if (auto found = mirrors_.find(object.get()); found != mirrors_.end()) return found->second;
    std::vector<TrackableChild> children = object->trackable_children();
    bool holds_layers = false;
    for (auto& child : children) {
      std::shared_ptr<Trackable> shown = view_of_child(child.object);
      holds_layers = holds_layers || shown != child.object;
      child.object = std::move(shown);
    }
    std::shared_ptr<Trackable> shown = object;
    if (holds_layers)
      shown = node_of(object->trackable_kind() == "list" ? "trackable_list_wrapper" : "_generic_user_object",
                      std::move(children));
    mirrors_[object.get()] = shown;
    return shown;
  }

  std::vector<TrackableChild> saved_model_children(const Layer& layer, const Model* model, bool traced, bool root) {
    auto variables = list_wrapper(as_trackables(layer.weights()));
    auto trainable = list_wrapper(as_trackables(layer.trainable_weights()));
    auto losses = list_wrapper({});
    auto call = node_of("function");
    auto call_with_losses = node_of("function");
    call->method = call_with_losses->method = true;
    call->model_call = call_with_losses->model_call = call_takes_training(layer);
    std::shared_ptr<SavedNode> default_signature;
    if (traced) trace_layer(layer, model, root, *call, *call_with_losses, default_signature);

    std::vector<std::shared_ptr<Trackable>> sublayers;
    if (model)
      for (const auto& sub : model->layers()) sublayers.push_back(view_of(sub));
    else
      for (const auto& [name, sub] : layer.tracked_layers()) sublayers.push_back(view_of(sub));
    std::vector<TrackableChild> api;
    if (keras_identifier(layer) == "_tf_keras_rnn_layer") api.push_back({"states", list_wrapper({})});
    api.insert(api.end(), {{"non_trainable_variables", list_wrapper(as_trackables(layer.non_trainable_weights()))},
                           {"layers", list_wrapper(sublayers)},
                           {"metrics", list_wrapper({})},
                           {"layer_regularization_losses", list_wrapper({})},
                           {"layer_metrics", node_of("trackable_dict_wrapper")},
                           {"variables", variables},
                           {"trainable_variables", trainable},
                           {"regularization_losses", losses},
                           {"__call__", call}});
    if (default_signature) api.push_back({"_default_save_signature", default_signature});
    api.push_back({"call_and_return_all_conditional_losses", call_with_losses});
    api.push_back({"call_and_return_conditional_losses", call_with_losses});

    std::vector<TrackableChild> out = {{"variables", variables},
                                       {"trainable_variables", trainable},
                                       {"regularization_losses", losses},
                                       {"keras_api", node_of("_generic_user_object", std::move(api))},
                                       {"__call__", call},
                                       {"call_and_return_all_conditional_losses", call_with_losses}};
    if (default_signature) out.push_back({"_default_save_signature", default_signature});
    return out;
  }

  // A function node's concrete function: a `trace_N` child and its SavedConcreteFunction.
  void add_trace(SavedNode& function, const std::string& name, const std::vector<TraceArg>& args, TracedConcreteFunction concrete) {
    auto bare = node_of("bare_concrete_function");
    bare->concrete_function = name;
    bare->argument_keywords = arg_names(args);
    bare->method = function.method;
    bare->model_call = function.model_call;
    function.children.push_back({numbered("trace", function.concrete_functions.size()), bare});
    function.concrete_functions.push_back(name);
    concrete.name = name;
    functions_.add_concrete(std::move(concrete));
  }

  // layer_call_and_return_conditional_losses (the traced call) and layer_call_fn (its wrapper),
  // once with the generic argument names and, for a model, once with its input names.
  void trace_layer(const Layer& layer, const Model* model, bool root, SavedNode& call, SavedNode& call_with_losses,
                   std::shared_ptr<SavedNode>& default_signature) {
    // A stateful layer's call would replace the states it keeps: saving must not change the
    // model, so it and the models holding it keep their functions without traces.
    if (holds_stateful_layer(layer)) return;
    const std::optional<std::vector<TraceArg>> recorded = recorded_call_args(layer, model);
    if (!recorded || recorded->empty()) return;  // nothing says what to trace it on
    std::vector<std::vector<TraceArg>> variants;
    if (model) variants.push_back(*recorded);  // a model's call under its input names, then generic ones
    variants.push_back(*recorded);
    const std::vector<std::string> generic = generic_names(recorded->size());
    for (std::size_t i = 0; i < generic.size(); ++i) variants.back()[i].name = generic[i];
    // A layer is traced on its first call, with that call's kwargs (a TFOpLambda's arguments).
    const auto nodes = model ? std::vector<std::shared_ptr<Node>>{} : layer.inbound_nodes();
    const Json* call_kwargs = !nodes.empty() && nodes.front() ? &nodes.front()->call_kwargs : nullptr;
    TracedFunction first;
    try {
      first = trace(layer, variants.front(), "", call_kwargs);
    } catch (const UntraceableCall& e) {
      // Saved as TensorFlow does for functions it cannot trace: the layer keeps its function
      // nodes without concrete functions (it loads through its class; no serving signature).
      std::cerr << "ksave: warning: the call of layer '" << layer.name() << "' (" << layer.class_name()
                << ") is saved without its traced function: " << e.what() << "\n";
      return;
    }
    for (const auto& args : variants) {
      const TracedFunction traced = with_arg_names(first, args);
      const std::string inner = functions_.unique_name(layer.name() + "_layer_call_and_return_conditional_losses");
      functions_.add_traced(inner, traced);
      const std::string outer = functions_.unique_name(layer.name() + "_layer_call_fn");
      functions_.add_wrapper(outer, inner, arg_names(args));
      std::vector<Value> call_args_value{inputs_value(args)};
      if (call_takes_training(layer)) call_args_value.insert(call_args_value.end(), {bool_value(false), none_value()});
      const Value input_signature = tuple_of({tuple_of(call_args_value), dict_of({})});
      add_trace(call_with_losses, inner, args,
                {"", traced.captures, input_signature, tuple_of({outputs_value(traced, ""), list_of({})})});
      add_trace(call, outer, args, {"", traced.captures, input_signature, outputs_value(traced, "unknown")});
    }
    if (root) default_signature = add_signature_functions(first);
  }

  // The arguments of a traced call: a model's inputs under their names (Input layers', or
  // those a revived subclassed model's trace gave them), a layer's as its first call had them.
  static std::optional<std::vector<TraceArg>> recorded_call_args(const Layer& layer, const Model* model) {
    if (model && model->inputs().empty()) {
      const auto* revived = dynamic_cast<const RevivedCall*>(&layer);
      return revived ? revived_call_args(*revived) : std::nullopt;  // a subclassed model never called
    }
    KerasTensors inputs;
    try {
      inputs = model ? model->inputs() : layer.input_tensors(0);
    } catch (const Error&) {
      return std::nullopt;  // no recorded call (its graph is gone)
    }
    std::vector<std::string> names;
    for (const auto& input : inputs) names.push_back(input.layer()->name());
    return call_args(inputs, model ? names : generic_names(inputs.size()));
  }

  // The serving signature's outputs, in model order: keyed by output layer name ("<name>_<i>"
  // when two outputs share a layer) with the layers' shapes, or for a model without output
  // layers (a revived subclassed model) output_1, output_2, ... with the traced shapes.
  std::vector<SignatureTensor> signature_outputs(const TracedFunction& model_call) const {
    const KerasTensors& outputs = model_.outputs();
    std::vector<SignatureTensor> out;
    if (outputs.empty()) {
      for (std::size_t i = 0; i < model_call.outputs.size(); ++i)
        out.push_back({numbered("output", i + 1), model_call.output_shapes[i], model_call.output_dtypes[i]});
      return out;
    }
    if (outputs.size() != model_call.outputs.size())
      throw Error("the traced call of model '" + model_.name() + "' returned " + std::to_string(model_call.outputs.size()) +
                  " tensors for its " + std::to_string(outputs.size()) + " outputs");
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      std::string key = outputs[i].layer()->name();
      if (std::any_of(out.begin(), out.end(), [&](const SignatureTensor& o) { return o.key == key; })) key = numbered(key, i);
      out.push_back({key, outputs[i].shape(), outputs[i].dtype()});
    }
    return out;
  }

  // _wrapped_model (the model's call, traced with its input names) and the serving_default
  // wrapper around it.
  std::shared_ptr<SavedNode> add_signature_functions(const TracedFunction& model_call) {
    const std::vector<TraceArg>& args = model_call.args;
    signature_outputs_ = signature_outputs(model_call);
    for (const auto& a : args) signature_inputs_.push_back({a.name, a.shape, a.dtype});
    // TensorFlow calls a signature with its keyword arguments flattened in sorted key order (as
    // tf.keras's signature_wrapper declares them): the serving placeholders, the argument
    // keywords and the wrapper's arguments all follow that order, not the model's.
    std::stable_sort(signature_inputs_.begin(), signature_inputs_.end(),
                     [](const SignatureTensor& a, const SignatureTensor& b) { return a.key < b.key; });
    // The signature returns a dict: its results in sorted key order.
    TracedFunction traced = model_call;
    const std::vector<std::size_t> positions = sorted_output_positions(signature_outputs_);
    std::map<std::string, Value> outputs;
    for (std::size_t i = 0; i < positions.size(); ++i) {
      const std::string& key = signature_outputs_[i].key;
      traced.outputs[positions[i]] = model_call.outputs[i];
      traced.output_shapes[positions[i]] = model_call.output_shapes[i];
      traced.output_dtypes[positions[i]] = model_call.output_dtypes[i];
      outputs[key] = tensor_spec(key, model_call.output_shapes[i], model_call.output_dtypes[i]);
    }
    const std::string wrapped = functions_.unique_name("_wrapped_model");
    functions_.add_traced(wrapped, traced);
    std::map<std::string, Value> keyword_specs;
    for (const auto& a : args) keyword_specs[a.name] = tensor_spec(a.name, a.shape, a.dtype);
    auto bare = node_of("bare_concrete_function");
    bare->concrete_function = wrapped;
    bare->argument_keywords = arg_names(args);
    functions_.add_concrete({wrapped, traced.captures, tuple_of({tuple_of({inputs_value(args)}), dict_of({})}), dict_of(outputs)});

    signature_function_ = functions_.unique_name("signature_wrapper");
    functions_.add_wrapper(signature_function_, wrapped, arg_names(args), /*keyword_order=*/true);
    functions_.add_concrete({signature_function_, traced.captures, tuple_of({tuple_of({}), dict_of(keyword_specs)}), dict_of(outputs)});
    return bare;
  }

  std::shared_ptr<SavedNode> signature_map() {
    auto serving = node_of("bare_concrete_function");
    serving->concrete_function = signature_function_;
    for (const auto& input : signature_inputs_) serving->argument_keywords.push_back(input.key);
    return node_of("signature_map", {{"serving_default", serving}});
  }

  TracedFunction trace(const Layer& layer, const std::vector<TraceArg>& args, const std::string& scope,
                       const Json* call_kwargs = nullptr) {
    auto self = std::const_pointer_cast<Layer>(layer.shared_from_this());
    CallContext ctx;
    ctx.kwargs = call_kwargs;
    try {
      return trace_call(args, layer.weights(), scope, [&](const Tensors& x) { return (*self)(x, ctx); });
    } catch (const UntraceableCall&) {
      throw;
    } catch (const Error& e) {
      throw Error("cannot trace the call of layer '" + layer.name() + "' (" + layer.class_name() +
                  ") for the SavedModel: " + e.what() + " — save with save_traces=false to leave the traces out");
    }
  }

  const Model& model_;
  bool include_optimizer_;
  TraceLibrary functions_;
  std::string signature_function_;
  std::vector<SignatureTensor> signature_inputs_, signature_outputs_;
  std::map<const Layer*, std::shared_ptr<SavedNode>> views_;
  std::map<const Trackable*, std::shared_ptr<Trackable>> mirrors_;  // see view_of_child
  std::set<const Layer*> traced_layers_;
};

// FullArgSpec(args, varargs, varkw, defaults, kwonlyargs, kwonlydefaults, annotations).
Value full_arg_spec(std::vector<std::string> args, const char* varargs, const char* varkw, std::vector<Value> defaults, bool has_defaults) {
  auto text = [](const std::string& s) {
    Value v;
    v.set_string_value(s);
    return v;
  };
  std::vector<Value> arg_values;
  for (const auto& a : args) arg_values.push_back(text(a));
  Value out;
  auto* tuple = out.mutable_named_tuple_value();
  tuple->set_name("FullArgSpec");
  auto add = [&](const char* key, Value value) {
    auto* pair = tuple->add_values();
    pair->set_key(key);
    *pair->mutable_value() = std::move(value);
  };
  add("args", list_of(std::move(arg_values)));
  add("varargs", varargs ? text(varargs) : none_value());
  add("varkw", varkw ? text(varkw) : none_value());
  add("defaults", has_defaults ? list_of(std::move(defaults)) : none_value());
  add("kwonlyargs", list_of({}));
  add("kwonlydefaults", none_value());
  add("annotations", dict_of({}));
  return out;
}

}  // namespace

std::vector<std::size_t> sorted_output_positions(const std::vector<SignatureTensor>& outputs) {
  std::vector<std::string> sorted;
  for (const auto& output : outputs) sorted.push_back(output.key);
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::size_t> out;
  for (const auto& output : outputs)
    out.push_back(static_cast<std::size_t>(std::find(sorted.begin(), sorted.end(), output.key) - sorted.begin()));
  return out;
}

bool call_takes_training(const Layer& layer) {
  if (!dynamic_cast<const Model*>(&layer)) return false;
  const auto* revived = dynamic_cast<const RevivedCall*>(&layer);
  return !revived || revived->takes_training();
}

TracedModel trace_model(const Model& model, bool include_optimizer) { return ModelTracer(model, include_optimizer).run(); }

tfproto::FunctionSpec function_spec(const SavedNode& node) {
  tfproto::FunctionSpec spec;
  if (!node.method) {
    *spec.mutable_fullargspec() = full_arg_spec({}, "args", "kwargs", {}, false);
  } else if (node.model_call) {
    *spec.mutable_fullargspec() = full_arg_spec({"self", "inputs", "training", "mask"}, nullptr, nullptr, {bool_value(false), none_value()}, true);
    spec.set_is_method(true);
  } else {
    *spec.mutable_fullargspec() = full_arg_spec({"self", "inputs"}, nullptr, nullptr, {}, false);
    spec.set_is_method(true);
  }
  spec.mutable_input_signature()->mutable_none_value();
  return spec;
}

}  // namespace ksave::plugins::savedmodel
