#include "object_graph_writer.hpp"

#include <deque>

#include "ksave/optimizer.hpp"
#include "ksave/serialization.hpp"
#include "ksave/tf/bundle.hpp"
#include "ksave/tf/object_graph.hpp"
#include "ksave/variable.hpp"

namespace ksave::plugins::savedmodel {

namespace {

void set_version(tfproto::VersionDef* version, int producer, int min_consumer) {
  version->set_producer(producer);
  version->set_min_consumer(min_consumer);
}

bool is_rnn(const std::string& class_name) {
  return class_name == "LSTM" || class_name == "GRU" || class_name == "SimpleRNN" || class_name == "RNN" ||
         class_name == "ConvLSTM2D";
}

Json shape_json(const Shape& shape) {
  Json out = Json::array();
  for (auto dim : shape) out.push_back(dim == kUnknown ? Json(nullptr) : Json(dim));
  return out;
}

// The metadata JSON of a layer, keys in tf.keras's order (§5.2).
Json layer_metadata(const Layer& layer, const Model* root_model, bool with_training_config) {
  const Json serialized = serialize(layer);
  Json out = {{"name", layer.name()}, {"trainable", layer.trainable()}, {"expects_training_arg", true},
              {"dtype", std::string(dtype_name(layer.dtype()))},
              {"batch_input_shape", layer.batch_input_shape() ? shape_json(*layer.batch_input_shape()) : Json(nullptr)}};
  const bool model = dynamic_cast<const Model*>(&layer) != nullptr;
  if (!model) out["stateful"] = false;
  out["must_restore_from_config"] = false;
  out["class_name"] = serialized.at("class_name");
  out["config"] = serialized.at("config");
  if (!model) return out;
  out["is_graph_network"] = dynamic_cast<const Sequential*>(&layer) != nullptr || dynamic_cast<const Functional*>(&layer) != nullptr;
  if (root_model != &layer) return out;
  out["keras_version"] = kKerasVersion;
  out["backend"] = "tensorflow";
  out["model_config"] = serialized;
  if (with_training_config && !root_model->training_config().is_null()) out["training_config"] = root_model->training_config();
  return out;
}

tfproto::SavedObject saved_object_for(const std::shared_ptr<Trackable>& object) {
  tfproto::SavedObject out;
  if (auto variable = std::dynamic_pointer_cast<Variable>(object)) {
    auto* v = out.mutable_variable();
    v->set_dtype(tf::to_tf_dtype(variable->dtype()));
    for (auto dim : variable->shape()) v->mutable_shape()->add_dim()->set_size(dim);
    v->set_trainable(variable->trainable());
    v->set_name(tf::variable_full_name(*variable));
    return out;
  }
  auto* user = out.mutable_user_object();
  if (auto layer = std::dynamic_pointer_cast<Layer>(object)) {
    user->set_identifier(keras_identifier(*layer));
    set_version(user->mutable_version(), 1, 1);
  } else if (std::dynamic_pointer_cast<Optimizer>(object)) {
    user->set_identifier("optimizer");
    set_version(user->mutable_version(), 2, 1);
  } else if (object->trackable_kind() == "metric") {
    user->set_identifier("_tf_keras_metric");
    set_version(user->mutable_version(), 1, 1);
  } else {
    user->set_identifier("_generic_user_object");
    set_version(user->mutable_version(), 1, 1);
  }
  return out;
}

}  // namespace

std::string keras_identifier(const Layer& layer) {
  if (dynamic_cast<const Sequential*>(&layer)) return "_tf_keras_sequential";
  if (dynamic_cast<const Functional*>(&layer)) return "_tf_keras_network";
  if (dynamic_cast<const Model*>(&layer)) return "_tf_keras_model";
  const std::string class_name = layer.class_name();
  if (class_name == "InputLayer") return "_tf_keras_input_layer";
  if (is_rnn(class_name)) return "_tf_keras_rnn_layer";
  return "_tf_keras_layer";
}

SavedGraphs build_saved_graphs(const std::shared_ptr<Trackable>& root, const Model& model, bool with_training_config) {
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
    tfproto::SavedObject saved = saved_object_for(object);
    for (const auto& child : node.children()) {
      auto* ref = saved.add_children();
      ref->set_node_id(child.node_id());
      ref->set_local_name(child.local_name());
    }
    for (const auto& slot : node.slot_variables()) *saved.add_slot_variables() = slot;
    *out.object_graph.add_nodes() = std::move(saved);
    // The root may be a wrapper of the model (without its optimizer): its metadata is the model's.
    const Layer* layer = id == 0 ? &model : dynamic_cast<const Layer*>(object.get());
    if (layer == nullptr) continue;
    auto* keras = out.keras_metadata.add_nodes();
    keras->set_node_id(id);
    keras->set_node_path(paths[static_cast<std::size_t>(id)]);
    keras->set_identifier(keras_identifier(*layer));
    keras->set_metadata(layer_metadata(*layer, &model, with_training_config).dump());
    set_version(keras->mutable_version(), 2, 1);
  }
  return out;
}

}  // namespace ksave::plugins::savedmodel
