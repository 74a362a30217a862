#include "ksave/tf/object_graph.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "ksave/optimizer.hpp"
#include "ksave/tf/bundle.hpp"
#include "new_optimizer_state.hpp"

namespace ksave::tf {

std::string escape_local_name(const std::string& name) {
  std::string out;
  for (char c : name) {
    if (c == '.') out += "..";
    else if (c == '/') out += ".S";
    else out += c;
  }
  return out;
}

namespace {

class WithoutOptimizer : public Trackable {
 public:
  explicit WithoutOptimizer(std::shared_ptr<Trackable> model) : model_(std::move(model)) {}
  std::vector<TrackableChild> trackable_children() const override {
    std::vector<TrackableChild> out;
    for (auto& child : model_->trackable_children())
      if (child.name != "optimizer") out.push_back(std::move(child));
    return out;
  }
  std::string trackable_kind() const override { return model_->trackable_kind(); }

 private:
  std::shared_ptr<Trackable> model_;
};

}  // namespace

std::shared_ptr<Trackable> without_optimizer(std::shared_ptr<Trackable> model) {
  return std::make_shared<WithoutOptimizer>(std::move(model));
}

std::vector<TrackableChild> checkpoint_children(const Trackable& object) {
  std::vector<TrackableChild> children = object.trackable_children();
  for (std::size_t i = 0; i + 1 < children.size(); ++i) {
    const bool plain = children[i].name.rfind("layer-", 0) == 0;
    const bool weighted_next = children[i + 1].name.rfind("layer_with_weights-", 0) == 0;
    if (plain && weighted_next && children[i].object == children[i + 1].object) {
      std::swap(children[i], children[i + 1]);
      ++i;
    }
  }
  return children;
}

std::string variable_full_name(const Variable& variable) { return variable.shared_name(); }

namespace {

using TrackableObject = tfproto::TrackableObjectGraph::TrackableObject;

// The children a writer files: a Keras >= 2.11 / Keras 3 optimizer's under that generation's
// names (_variables, _iterations, slot lists), so TensorFlow restores them into such an optimizer.
// A wrapper (the LossScaleOptimizer) files its own children (its "loss_scale") after the wrapped
// optimizer's, as tf-keras's DelegatingTrackableMixin does.
std::vector<TrackableChild> written_children(const Trackable& object) {
  if (const auto* optimizer = dynamic_cast<const Optimizer*>(&object); optimizer && optimizer->new_generation()) {
    std::vector<TrackableChild> children = written_new_optimizer_state(*optimizer).children;
    if (const auto inner = optimizer->inner_optimizer()) {
      const std::vector<TrackableChild> delegated = inner->trackable_children();
      for (const auto& own : optimizer->trackable_children())
        if (std::none_of(delegated.begin(), delegated.end(), [&](const TrackableChild& c) { return c.name == own.name; }))
          children.push_back(own);
    }
    return children;
  }
  return checkpoint_children(object);
}

std::string join_path(const std::string& parent, const std::string& escaped) {
  return parent.empty() ? escaped : parent + "/" + escaped;
}

void add_variable_attribute(TrackableObject& node, const Variable& variable, const std::string& key) {
  auto* attribute = node.add_attributes();
  attribute->set_name(kVariableValue);
  attribute->set_full_name(variable_full_name(variable));
  attribute->set_checkpoint_key(key);
}

}  // namespace

ObjectGraphPlan build_object_graph(const std::shared_ptr<Trackable>& root) {
  ObjectGraphPlan plan;
  std::map<const Trackable*, int> ids;
  std::vector<std::string> paths;
  auto add_node = [&](const std::shared_ptr<Trackable>& object, std::string path) {
    const int id = static_cast<int>(plan.nodes.size());
    ids.emplace(object.get(), id);
    plan.nodes.push_back(object);
    paths.push_back(std::move(path));
    plan.graph.add_nodes();
    return id;
  };
  add_node(root, "");
  for (std::size_t n = 0; n < plan.nodes.size(); ++n) {  // the node list grows: breadth first
    const auto object = plan.nodes[n];
    for (const auto& child : written_children(*object)) {
      if (!child.object) continue;
      auto it = ids.find(child.object.get());
      const int id = it != ids.end() ? it->second : add_node(child.object, join_path(paths[n], escape_local_name(child.name)));
      auto* ref = plan.graph.mutable_nodes(static_cast<int>(n))->add_children();
      ref->set_node_id(id);
      ref->set_local_name(child.name);
    }
  }
  const std::size_t ordinary = plan.nodes.size();
  for (std::size_t n = 0; n < ordinary; ++n) {
    if (auto variable = std::dynamic_pointer_cast<Variable>(plan.nodes[n])) {
      const std::string key = paths[n] + "/.ATTRIBUTES/" + kVariableValue;
      add_variable_attribute(*plan.graph.mutable_nodes(static_cast<int>(n)), *variable, key);
      plan.tensors.push_back({key, variable});
    }
  }
  // Slot variables: per optimizer, slot names in first-seen order, then variables in node order.
  for (std::size_t o = 0; o < ordinary; ++o) {
    auto optimizer = std::dynamic_pointer_cast<Optimizer>(plan.nodes[o]);
    if (!optimizer || optimizer->new_generation()) continue;  // new optimizers list slots as children
    std::vector<std::string> slot_names;
    for (std::size_t n = 0; n < ordinary; ++n)
      if (auto variable = std::dynamic_pointer_cast<Variable>(plan.nodes[n]))
        for (const auto& [slot_name, slot] : optimizer->slots(*variable))
          if (std::find(slot_names.begin(), slot_names.end(), slot_name) == slot_names.end()) slot_names.push_back(slot_name);
    for (const auto& slot_name : slot_names) {
      for (std::size_t n = 0; n < ordinary; ++n) {
        auto variable = std::dynamic_pointer_cast<Variable>(plan.nodes[n]);
        if (!variable) continue;
        for (const auto& [name, slot] : optimizer->slots(*variable)) {
          if (name != slot_name || !slot || ids.count(slot.get())) continue;
          const std::string path =
              paths[n] + "/.OPTIMIZER_SLOT/" + paths[o] + "/" + escape_local_name(slot_name);
          const int id = add_node(slot, path);
          const std::string key = path + "/.ATTRIBUTES/" + kVariableValue;
          add_variable_attribute(*plan.graph.mutable_nodes(id), *slot, key);
          plan.tensors.push_back({key, slot});
          auto* ref = plan.graph.mutable_nodes(static_cast<int>(o))->add_slot_variables();
          ref->set_original_variable_node_id(static_cast<int>(n));
          ref->set_slot_name(slot_name);
          ref->set_slot_variable_node_id(id);
        }
      }
    }
  }
  return plan;
}

void write_object_checkpoint(const std::shared_ptr<Trackable>& root, const std::filesystem::path& prefix) {
  const ObjectGraphPlan plan = build_object_graph(root);
  BundleWriter writer(prefix);
  for (const auto& tensor : plan.tensors) writer.add(tensor.key, tensor.variable->value());
  writer.add(kObjectGraphKey, Tensor::strings({plan.graph.SerializeAsString()}, {}));
  writer.finish();
}

}  // namespace ksave::tf
