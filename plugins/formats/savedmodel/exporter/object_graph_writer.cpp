#include "object_graph_writer.hpp"

#include <deque>
#include <map>

#include "ksave/error.hpp"
#include "ksave/keras_tensor.hpp"
#include "ksave/optimizer.hpp"
#include "ksave/serialization.hpp"
#include "ksave/tf/bundle.hpp"
#include "ksave/tf/object_graph.hpp"
#include "ksave/variable.hpp"
#include "trace_saved_objects.hpp"

namespace ksave::plugins::savedmodel {

namespace {

void set_version(tfproto::VersionDef* version, int producer, int min_consumer) {
  version->set_producer(producer);
  version->set_min_consumer(min_consumer);
}

Json shape_json(const Shape& shape) {
  Json out = Json::array();
  for (auto dim : shape) out.push_back(dim == kUnknown ? Json(nullptr) : Json(dim));
  return out;
}

Json tensor_shape_json(const Shape& shape) { return {{"class_name", "TensorShape"}, {"items", shape_json(shape)}}; }

// The shapes a layer was built for: its first call's inputs (one shape, or a list of them), or,
// for a layer never called in a graph (a subclassed model's layer, MultiHeadAttention's
// EinsumDense sublayers), the shapes it was built with: tf-keras builds a revived sublayer from
// them before restoring its variables.
Json build_input_shape(const Layer& layer) {
  KerasTensors inputs;
  try {
    inputs = layer.input_tensors(0);
  } catch (const Error&) {
    const auto& shapes = layer.build_input_shapes();
    if (!shapes || shapes->empty()) return nullptr;
    if (shapes->size() == 1) return tensor_shape_json(shapes->front());
    Json out = Json::array();
    for (const auto& shape : *shapes) out.push_back(tensor_shape_json(shape));
    return out;
  }
  if (inputs.size() == 1) return tensor_shape_json(inputs[0].shape());
  Json out = Json::array();
  for (const auto& input : inputs) out.push_back(tensor_shape_json(input.shape()));
  return out;
}

Json optional_json(const std::optional<std::int64_t>& value) { return value ? Json(*value) : Json(nullptr); }

Json input_spec_json(const InputSpec& spec) {
  Json axes = Json::object();
  for (const auto& [axis, size] : spec.axes) axes[std::to_string(axis)] = size;
  Json shape = spec.shape ? Json{{"class_name", "__tuple__"}, {"items", shape_json(*spec.shape)}} : Json(nullptr);
  return {{"class_name", "InputSpec"},
          {"config", {{"dtype", nullptr}, {"shape", std::move(shape)}, {"ndim", optional_json(spec.ndim)}, {"max_ndim", nullptr},
                      {"min_ndim", optional_json(spec.min_ndim)}, {"axes", std::move(axes)}}}};
}

// The input_spec the layer declares (Layer::input_spec: Dense, the convolutions, the recurrent
// layers, any plugin's class) for its first call's single input; null for layers that declare none.
Json layer_input_spec(const Layer& layer) {
  KerasTensors inputs;
  try {
    inputs = layer.input_tensors(0);
  } catch (const Error&) {
    return nullptr;
  }
  if (inputs.size() != 1 || inputs[0].shape().empty()) return nullptr;
  const std::optional<InputSpec> spec = layer.input_spec(inputs[0].shape());
  if (!spec) return nullptr;
  return spec->in_a_list ? Json::array({input_spec_json(*spec)}) : input_spec_json(*spec);
}

// A model's save_spec and full_save_spec: tf.TensorSpec encodings of its inputs.
Json tensor_spec_json(const KerasTensor& input) {
  return {{"class_name", "TypeSpec"}, {"type_spec", "tf.TensorSpec"},
          {"serialized", Json::array({tensor_shape_json(input.shape()), std::string(dtype_name(input.dtype())), input.layer()->name()})}};
}

void add_model_specs(const Model& model, Json& out) {
  const KerasTensors& inputs = model.inputs();
  if (inputs.empty()) return;
  Json specs = Json::array(), input_specs = Json::array();
  for (const auto& input : inputs) {
    specs.push_back(tensor_spec_json(input));
    input_specs.push_back(input_spec_json(InputSpec{.shape = input.shape(), .ndim = static_cast<std::int64_t>(input.shape().size())}));
  }
  out["input_spec"] = input_specs;
  out["build_input_shape"] = build_input_shape(model);
  out["is_graph_network"] = dynamic_cast<const Sequential*>(&model) != nullptr || dynamic_cast<const Functional*>(&model) != nullptr;
  out["full_save_spec"] = {{"class_name", "__tuple__"}, {"items", Json::array({specs, Json::object()})}};
  out["save_spec"] = specs.size() == 1 ? specs[0] : specs;
}

// The metadata JSON of a layer, keys in tf.keras 2.11's order (§5.2). `shared_object_id` numbers
// the layers as tf.keras's shared-object scope does.
Json layer_metadata(const Layer& layer, const Model* root_model, bool with_training_config, int shared_object_id) {
  Json serialized;
  {
    ConfigDialectScope dialect(ConfigDialect::SavedModel);
    serialized = serialize(layer);
  }
  const auto* model = dynamic_cast<const Model*>(&layer);
  // Whether Keras passes `training` to the traced call when it revives a layer of an unknown
  // class: a model's traces take it, a layer's (inference only) do not (function_spec).
  Json out = {{"name", layer.name()}, {"trainable", layer.trainable()}, {"expects_training_arg", call_takes_training(layer)},
              // A mixed policy as its config writes it (tf-keras's policy.serialize), a plain one by name.
              {"dtype", layer.mixed_precision() ? serialized.at("config").at("dtype") : Json(std::string(dtype_name(layer.dtype())))},
              {"batch_input_shape", layer.batch_input_shape() ? shape_json(*layer.batch_input_shape()) : Json(nullptr)}};
  if (!model) out["stateful"] = false;
  out["must_restore_from_config"] = false;
  out["preserve_input_structure_in_config"] = false;
  out["autocast"] = model == nullptr;
  out["class_name"] = serialized.at("class_name");
  out["config"] = serialized.at("config");
  out["shared_object_id"] = shared_object_id;
  if (!model) {
    if (Json spec = layer_input_spec(layer); !spec.is_null()) out["input_spec"] = spec;
    if (Json shape = build_input_shape(layer); !shape.is_null()) out["build_input_shape"] = shape;
    return out;
  }
  add_model_specs(*model, out);
  if (!out.contains("is_graph_network")) out["is_graph_network"] = false;
  if (root_model != &layer) return out;
  out["keras_version"] = kKerasVersion;
  out["backend"] = "tensorflow";
  out["model_config"] = serialized;
  if (with_training_config && !root_model->training_config().is_null()) out["training_config"] = root_model->training_config();
  return out;
}

// The live layer behind a node: the layer itself, or the layer a SavedModel view node shows.
const Layer* layer_of(const std::shared_ptr<Trackable>& object) {
  if (auto node = std::dynamic_pointer_cast<SavedNode>(object)) return node->layer.get();
  return dynamic_cast<const Layer*>(object.get());
}

// The nodes of the traced view that are not live objects: wrappers, functions, signatures.
bool set_view_kind(const SavedNode& node, tfproto::SavedObject& out) {
  const std::string kind = node.trackable_kind();
  if (kind == "function") {
    auto* function = out.mutable_function();
    for (const auto& name : node.concrete_functions) function->add_concrete_functions(name);
    *function->mutable_function_spec() = function_spec(node);
    for (const auto& child : out.children()) *out.add_dependencies() = child;
    return true;
  }
  if (kind == "bare_concrete_function") {
    auto* bare = out.mutable_bare_concrete_function();
    bare->set_concrete_function_name(node.concrete_function);
    for (const auto& keyword : node.argument_keywords) bare->add_argument_keywords(keyword);
    bare->set_allowed_positional_arguments(1);
    *bare->mutable_function_spec() = function_spec(node);
    return true;
  }
  if (kind == kKerasLayerNode) return false;
  auto* user = out.mutable_user_object();
  user->set_identifier(kind);  // trackable_list_wrapper, _generic_user_object, signature_map, ...
  set_version(user->mutable_version(), 1, 1);
  return true;
}

void set_saved_kind(const std::shared_ptr<Trackable>& object, tfproto::SavedObject& out) {
  if (auto node = std::dynamic_pointer_cast<SavedNode>(object); node && set_view_kind(*node, out)) return;
  if (auto variable = std::dynamic_pointer_cast<Variable>(object)) {
    auto* v = out.mutable_variable();
    v->set_dtype(tf::to_tf_dtype(variable->dtype()));
    for (auto dim : variable->shape()) v->mutable_shape()->add_dim()->set_size(dim);
    v->set_trainable(variable->trainable());
    v->set_name(tf::variable_full_name(*variable));
    return;
  }
  auto* user = out.mutable_user_object();
  if (const Layer* layer = layer_of(object)) {
    user->set_identifier(keras_identifier(*layer));
    set_version(user->mutable_version(), 1, 1);
  } else if (auto optimizer = std::dynamic_pointer_cast<Optimizer>(object)) {
    // tf.keras's identifiers for OptimizerV2 and for the Keras >= 2.11 optimizers.
    user->set_identifier(optimizer->new_generation() ? "experimentalOptimizer" : "optimizer");
    set_version(user->mutable_version(), 2, 1);
  } else if (object->trackable_kind() == "list") {
    user->set_identifier("trackable_list_wrapper");
    set_version(user->mutable_version(), 1, 1);
  } else if (object->trackable_kind() == "metric") {
    user->set_identifier("_tf_keras_metric");
    set_version(user->mutable_version(), 1, 1);
  } else {
    user->set_identifier("_generic_user_object");
    set_version(user->mutable_version(), 1, 1);
  }
}

// The SavedConcreteFunction of each traced function; bound inputs are the node ids of the
// variables it captures.
void add_concrete_functions(const TraceLibrary& functions, const tf::ObjectGraphPlan& plan, tfproto::SavedObjectGraph& graph) {
  std::map<const Trackable*, int> ids;
  for (std::size_t i = 0; i < plan.nodes.size(); ++i) ids.emplace(plan.nodes[i].get(), static_cast<int>(i));
  for (const auto& [name, function] : functions.concrete()) {
    tfproto::SavedConcreteFunction& saved = (*graph.mutable_concrete_functions())[name];
    for (const auto& variable : function.captures) {
      auto it = ids.find(variable.get());
      if (it == ids.end())
        throw Error("the traced function " + name + " reads variable '" + variable->name() +
                    "', which is not in the model's object graph");
      saved.add_bound_inputs(it->second);
    }
    *saved.mutable_canonicalized_input_signature() = function.input_signature;
    *saved.mutable_output_signature() = function.output_signature;
  }
}

}  // namespace

std::string keras_identifier(const Layer& layer) {
  if (dynamic_cast<const Sequential*>(&layer)) return "_tf_keras_sequential";
  if (dynamic_cast<const Functional*>(&layer)) return "_tf_keras_network";
  if (dynamic_cast<const Model*>(&layer)) return "_tf_keras_model";
  const std::string class_name = layer.class_name();
  if (class_name == "InputLayer") return "_tf_keras_input_layer";
  if (layer.is_recurrent_layer()) return "_tf_keras_rnn_layer";
  return "_tf_keras_layer";
}

SavedGraphs build_saved_graphs(const std::shared_ptr<Trackable>& root, const Model& model, bool with_training_config,
                               const TraceLibrary* functions) {
  const tf::ObjectGraphPlan plan = tf::build_object_graph(root);
  SavedGraphs out;
  const int n = plan.graph.nodes_size();
  // Each node's first breadth-first path ("root.layer_with_weights-0.kernel"), as tf.keras names it.
  std::vector<std::string> paths(static_cast<std::size_t>(n));
  paths[0] = "root";
  std::deque<int> queue{0};
  std::vector<bool> seen(static_cast<std::size_t>(n), false);
  seen[0] = true;
  while (!queue.empty()) {
    const int id = queue.front();
    queue.pop_front();
    for (const auto& child : plan.graph.nodes(id).children()) {
      const auto c = static_cast<std::size_t>(child.node_id());
      if (seen[c]) continue;
      seen[c] = true;
      paths[c] = paths[static_cast<std::size_t>(id)] + "." + child.local_name();
      queue.push_back(child.node_id());
    }
  }
  for (int id = 0; id < n; ++id) {
    const auto& node = plan.graph.nodes(id);
    const auto& object = plan.nodes[static_cast<std::size_t>(id)];
    tfproto::SavedObject saved;
    for (const auto& child : node.children()) {
      auto* ref = saved.add_children();
      ref->set_node_id(child.node_id());
      ref->set_local_name(child.local_name());
    }
    set_saved_kind(object, saved);
    for (const auto& slot : node.slot_variables()) *saved.add_slot_variables() = slot;
    *out.object_graph.add_nodes() = std::move(saved);
    // The root may be a wrapper of the model (without its optimizer): its metadata is the model's.
    const Layer* layer = id == 0 ? &model : layer_of(object);
    if (layer == nullptr) continue;
    auto* keras = out.keras_metadata.add_nodes();
    keras->set_node_id(id);
    keras->set_node_path(paths[static_cast<std::size_t>(id)]);
    keras->set_identifier(keras_identifier(*layer));
    keras->set_metadata(layer_metadata(*layer, &model, with_training_config, id == 0 ? n : id).dump());
    set_version(keras->mutable_version(), 2, 1);
  }
  if (functions) add_concrete_functions(*functions, plan, out.object_graph);
  return out;
}

}  // namespace ksave::plugins::savedmodel
