#include "ksave/tf/restore.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <set>

#include "ksave/layer.hpp"
#include "ksave/optimizer.hpp"
#include "ksave/tf/bundle.hpp"
#include "ksave/tf/object_graph.hpp"
#include "new_optimizer_state.hpp"

namespace ksave::tf {
namespace {

using TrackableObject = tfproto::TrackableObjectGraph::TrackableObject;

std::string describe(const Trackable& object) {
  if (auto* layer = dynamic_cast<const Layer*>(&object)) return layer->class_name() + " '" + layer->name() + "'";
  if (auto* variable = dynamic_cast<const Variable*>(&object)) return "variable '" + variable->name() + "'";
  return object.trackable_kind();
}

// Every live object reachable from `root` with the path TensorFlow would give it.
std::vector<std::pair<std::string, std::shared_ptr<Trackable>>> live_objects(const std::shared_ptr<Trackable>& root) {
  std::vector<std::pair<std::string, std::shared_ptr<Trackable>>> out{{"", root}};
  std::set<const Trackable*> seen{root.get()};
  for (std::size_t i = 0; i < out.size(); ++i) {
    const auto object = out[i].second;
    const std::string path = out[i].first;
    for (const auto& child : checkpoint_children(*object))
      if (child.object && seen.insert(child.object.get()).second)
        out.emplace_back(path.empty() ? escape_local_name(child.name) : path + "/" + escape_local_name(child.name), child.object);
  }
  return out;
}

}  // namespace

class RestoreSession {
 public:
  RestoreSession(std::shared_ptr<Trackable> root, std::shared_ptr<BundleReader> reader)
      : root_(std::move(root)), reader_(std::move(reader)) {
    has_graph_ = reader_->contains(kObjectGraphKey);
    if (has_graph_) {
      const Tensor serialized = reader_->read(kObjectGraphKey);
      if (serialized.dtype() != DType::String || serialized.size() != 1 ||
          !graph_.ParseFromString(serialized.string_values().front()))
        throw Error("checkpoint '" + reader_->prefix().string() + "': the object graph (" + kObjectGraphKey + ") does not parse");
      if (graph_.nodes_size() == 0) throw Error("checkpoint '" + reader_->prefix().string() + "': empty object graph");
      check_graph();
      bound_.assign(static_cast<std::size_t>(graph_.nodes_size()), nullptr);
      bound_[0] = root_;
      compute_has_values();
    }
  }

  void run() {
    if (!has_graph_) {
      restore_by_name();
    } else {
      walk({0});
      restore_bound_values();
    }
    report_mismatches();
    compute_status();
  }

  std::size_t restore_deferred() {
    if (!has_graph_) return 0;
    std::vector<Pending> pending;
    pending.swap(pending_);
    std::deque<int> queue;
    for (auto& p : pending) {
      auto parent = p.parent.lock();
      if (!parent || bound_[static_cast<std::size_t>(p.node)]) continue;
      std::shared_ptr<Trackable> child;
      for (const auto& c : checkpoint_children(*parent))
        if (c.name == p.name) child = c.object;
      if (child) {
        bound_[static_cast<std::size_t>(p.node)] = child;
        queue.push_back(p.node);
      } else {
        pending_.push_back(p);
      }
    }
    walk(queue);
    const std::size_t restored = restore_bound_values();
    report_mismatches();
    compute_status();
    return restored;
  }

  LoadStatus status;
  std::set<std::string> consumed;
  bool nontrivial() const { return !restored_.empty(); }

 private:
  struct Pending {
    std::weak_ptr<Trackable> parent;
    std::string name;
    int node;
  };

  std::string where() const { return "checkpoint '" + reader_->prefix().string() + "'"; }

  void check_graph() const {
    const int n = graph_.nodes_size();
    for (const auto& node : graph_.nodes()) {
      for (const auto& c : node.children())
        if (c.node_id() < 0 || c.node_id() >= n)
          throw Error(where() + ": object graph edge '" + c.local_name() + "' points to node " + std::to_string(c.node_id()) +
                      " of " + std::to_string(n));
      for (const auto& s : node.slot_variables())
        if (s.original_variable_node_id() < 0 || s.original_variable_node_id() >= n || s.slot_variable_node_id() < 0 ||
            s.slot_variable_node_id() >= n)
          throw Error(where() + ": slot variable '" + s.slot_name() + "' refers to a node outside the graph");
    }
  }

  // A node "has values" when it or anything below it has attributes or slots (TensorFlow's
  // has_checkpoint_values, computed when the file does not say).
  void compute_has_values() {
    const auto n = static_cast<std::size_t>(graph_.nodes_size());
    has_values_.assign(n, false);
    for (std::size_t i = 0; i < n; ++i) {
      const auto& node = graph_.nodes(static_cast<int>(i));
      has_values_[i] = node.attributes_size() > 0 || node.slot_variables_size() > 0 || node.has_registered_saver();
    }
    for (bool changed = true; changed;) {
      changed = false;
      for (std::size_t i = 0; i < n; ++i) {
        if (has_values_[i]) continue;
        for (const auto& c : graph_.nodes(static_cast<int>(i)).children())
          if (has_values_[static_cast<std::size_t>(c.node_id())]) {
            has_values_[i] = changed = true;
            break;
          }
      }
    }
  }

  void walk(std::deque<int> queue) {
    while (!queue.empty()) {
      const int n = queue.front();
      queue.pop_front();
      const auto object = bound_[static_cast<std::size_t>(n)];
      auto live = checkpoint_children(*object);
      if (auto optimizer = std::dynamic_pointer_cast<Optimizer>(object)) live = optimizer_children(*optimizer, n, std::move(live));
      for (const auto& ref : graph_.nodes(n).children()) {
        if (n == 0 && ref.node_id() == 0 && ref.local_name() == "root") continue;  // Keras's self-edge
        std::shared_ptr<Trackable> child;
        for (const auto& c : live)
          if (c.name == ref.local_name()) {
            child = c.object;
            break;
          }
        auto& slot = bound_[static_cast<std::size_t>(ref.node_id())];
        if (!child) {
          if (!slot && has_values_[static_cast<std::size_t>(ref.node_id())]) pending_.push_back({object, ref.local_name(), ref.node_id()});
          continue;
        }
        if (!slot) {
          slot = child;
          queue.push_back(ref.node_id());
        } else if (slot != child) {
          status.warnings.push_back(where() + ": checkpoint node " + std::to_string(ref.node_id()) + " ('" + ref.local_name() +
                                    "') matches two different objects; keeping the first");
        }
      }
    }
  }

  // The live children an optimizer node is matched against. Keras creates an optimizer's
  // hyperparameter variables lazily (at its first step): when the checkpoint has some the live
  // optimizer lacks, create them now to restore them. A Keras >= 2.11 optimizer's state has its
  // own names (new_optimizer_state.hpp), built over the model's trainable variables.
  std::vector<TrackableChild> optimizer_children(Optimizer& optimizer, int node, std::vector<TrackableChild> live) {
    const auto& stored = graph_.nodes(node).children();
    if (std::any_of(stored.begin(), stored.end(), [](const auto& ref) { return is_new_optimizer_child(ref.local_name()); })) {
      auto state = new_optimizer_state(optimizer, trained_variables());
      live.insert(live.end(), state.children.begin(), state.children.end());
      for (const auto& variable : state.set_by_config) set_by_config_.insert(variable.get());
      return live;
    }
    const auto missing = [&](const auto& ref) {
      return std::none_of(live.begin(), live.end(), [&](const TrackableChild& c) { return c.name == ref.local_name(); });
    };
    if (std::any_of(stored.begin(), stored.end(), missing)) {
      optimizer.build({});
      live = checkpoint_children(optimizer);
    }
    return live;
  }

  // The variables Keras builds an optimizer over (model.trainable_variables): the root's when it
  // is a model, else those of the first model among the root's children (tf.train.Checkpoint(model=...)).
  std::vector<VariablePtr> trained_variables() const {
    if (auto layer = std::dynamic_pointer_cast<Layer>(root_)) return layer->trainable_weights();
    for (const auto& child : checkpoint_children(*root_))
      if (auto layer = std::dynamic_pointer_cast<Layer>(child.object)) return layer->trainable_weights();
    return {};
  }

  // True when `key`'s bytes can be read straight into the variable's storage: its stored dtype
  // and shape are the variable's, and nothing else (a Tensor handed out by value(), another
  // variable) shares that storage, so no one can observe it being overwritten.
  bool readable_in_place(const Variable& variable, const std::string& key) const {
    const auto& storage = variable.value().storage();
    if (!storage || storage.use_count() != 1 || variable.dtype() == DType::String) return false;
    try {
      const auto& e = reader_->entry(key);
      return e.slices_size() == 0 && e.dtype() == to_tf_dtype(variable.dtype()) && reader_->shape(key) == variable.shape();
    } catch (const Error&) {
      return false;  // read() reports the problem as it always has
    }
  }

  bool restore_variable(Variable& variable, const std::string& key) {
    if (restored_.count(&variable)) return false;
    if (readable_in_place(variable, key)) {
      // Saves allocating and paging in a second buffer per variable (for large weights the
      // page faults cost more than the read). All checks but the crc32c run before writing.
      Tensor destination = variable.value();
      reader_->read_into(key, destination);
      variable.mark_loaded();
      restored_.insert(&variable);
      consumed.insert(key);
      return true;
    }
    Tensor value = reader_->read(key);
    // float16 / bfloat16 values (a Keras layer of that dtype) widen exactly into ksave's float32
    // variables, as the HDF5 reader's conversion does.
    if ((value.dtype() == DType::Float16 || value.dtype() == DType::BFloat16) && variable.dtype() == DType::Float32)
      value = value.cast(DType::Float32);
    if (value.dtype() != variable.dtype() || value.shape() != variable.shape()) {
      // Collected, not thrown at once: the error lists them all, and when nothing else matches
      // it explains the architecture the checkpoint belongs to (the nested-model pitfall).
      mismatches_.push_back("value '" + key + "' is " + std::string(dtype_name(value.dtype())) + " " +
                            shape_to_string(value.shape()) + " but " + describe(variable) + " is " +
                            std::string(dtype_name(variable.dtype())) + " " + shape_to_string(variable.shape()));
      return false;
    }
    variable.assign_shared(std::move(value));
    restored_.insert(&variable);
    consumed.insert(key);
    return true;
  }

  // Restores the attributes of bound nodes and the slots of bound optimizers; returns how many
  // variables got a value.
  std::size_t restore_bound_values() {
    std::size_t count = 0;
    for (int n = 0; n < graph_.nodes_size(); ++n) {
      const auto& object = bound_[static_cast<std::size_t>(n)];
      if (!object) continue;
      auto variable = std::dynamic_pointer_cast<Variable>(object);
      for (const auto& attribute : graph_.nodes(n).attributes())
        if (variable && attribute.name().rfind(kVariableValue, 0) == 0 && restore_variable(*variable, attribute.checkpoint_key()))
          ++count;
      if (auto optimizer = std::dynamic_pointer_cast<Optimizer>(object)) count += restore_slots(*optimizer, n);
    }
    return count;
  }

  std::size_t restore_slots(Optimizer& optimizer, int node) {
    std::size_t count = 0;
    bool built = false;
    for (const auto& ref : graph_.nodes(node).slot_variables()) {
      auto original = std::dynamic_pointer_cast<Variable>(bound_[static_cast<std::size_t>(ref.original_variable_node_id())]);
      if (!original) continue;  // its variable is not (yet) in the model: stays unused
      auto find_slot = [&]() -> VariablePtr {
        for (const auto& [name, slot] : optimizer.slots(*original))
          if (name == ref.slot_name()) return slot;
        return nullptr;
      };
      VariablePtr slot = find_slot();
      if (!slot && !built) {
        // Keras creates slots lazily; a restore creates them for every matched variable first.
        std::vector<VariablePtr> originals;
        for (const auto& r : graph_.nodes(node).slot_variables())
          if (auto v = std::dynamic_pointer_cast<Variable>(bound_[static_cast<std::size_t>(r.original_variable_node_id())]))
            if (std::find(originals.begin(), originals.end(), v) == originals.end()) originals.push_back(v);
        optimizer.build(originals);
        built = true;
        slot = find_slot();
      }
      if (!slot) continue;
      bound_[static_cast<std::size_t>(ref.slot_variable_node_id())] = slot;
      for (const auto& attribute : graph_.nodes(ref.slot_variable_node_id()).attributes())
        if (attribute.name().rfind(kVariableValue, 0) == 0 && restore_variable(*slot, attribute.checkpoint_key())) ++count;
    }
    return count;
  }

  void restore_by_name() {
    for (const auto& [path, object] : live_objects(root_))
      if (auto variable = std::dynamic_pointer_cast<Variable>(object)) {
        const std::string key = variable_full_name(*variable);
        if (reader_->contains(key)) restore_variable(*variable, key);
      }
  }

  // Values whose object has another shape or dtype are an error, as in TensorFlow ("Received
  // incompatible tensor with shape ..."; TF 2.21 raises it even when nothing else matched, which
  // is how the guide's nested-model pitfall shows today). When nothing else matched, the error
  // also says which sub-model the checkpoint looks saved from.
  void report_mismatches() {
    if (mismatches_.empty()) return;
    std::string list;
    for (const auto& m : mismatches_) list += (list.empty() ? "" : "; ") + m;
    if (restored_.empty()) list += "; " + nothing_matched();
    throw Error(where() + ": " + list);
  }

  void compute_status() {
    LoadStatus fresh;
    fresh.partial_ok = status.partial_ok;
    for (const auto& w : status.warnings)
      if (w.find("matches two different objects") != std::string::npos) fresh.warnings.push_back(w);
    if (has_graph_) {
      for (const auto& node : graph_.nodes())
        for (const auto& attribute : node.attributes())
          if (!consumed.count(attribute.checkpoint_key())) fresh.unused_in_file.push_back(attribute.checkpoint_key());
    } else {
      for (const auto& key : reader_->keys())
        if (!consumed.count(key)) fresh.unused_in_file.push_back(key);
    }
    std::vector<std::shared_ptr<Trackable>> optimizers;
    std::vector<VariablePtr> variables;
    for (const auto& [path, object] : live_objects(root_)) {
      if (auto variable = std::dynamic_pointer_cast<Variable>(object)) {
        variables.push_back(variable);
        if (!restored_.count(variable.get()) && !set_by_config_.count(variable.get()))
          fresh.unmatched_in_model.push_back((path.empty() ? "" : path + " ") + "(" + variable->name() + ")");
      }
      if (std::dynamic_pointer_cast<Optimizer>(object)) optimizers.push_back(object);
    }
    for (const auto& o : optimizers) {
      auto& optimizer = static_cast<Optimizer&>(*o);
      for (const auto& variable : variables)
        for (const auto& [name, slot] : optimizer.slots(*variable))
          if (slot && !restored_.count(slot.get()))
            fresh.unmatched_in_model.push_back("optimizer slot '" + name + "' of " + variable->name());
    }
    if (restored_.empty() && !fresh.unused_in_file.empty()) fresh.warnings.push_back(where() + ": " + nothing_matched());
    else if (!fresh.unused_in_file.empty() && !fresh.partial_ok)
      fresh.warnings.push_back(where() + ": " + std::to_string(fresh.unused_in_file.size()) +
                               " saved values have no object in this model (such as an optimizer's state when the model is "
                               "loaded for inference); nothing else is wrong");
    status = std::move(fresh);
  }

  // The nested-model pitfall: a checkpoint written from a sub-model matches nothing when loaded
  // into the outer model. Find the descendant whose children carry the stored root's names.
  std::string nothing_matched() const {
    std::string message = "nothing in the checkpoint matched " + describe(*root_);
    if (!has_graph_) return message + " (no variable has the name of a stored key)";
    std::set<std::string> stored;
    for (const auto& c : graph_.nodes(0).children()) stored.insert(c.local_name());
    std::size_t best_score = 0;
    std::string best;
    for (const auto& [path, object] : live_objects(root_)) {
      if (object == root_ || std::dynamic_pointer_cast<Variable>(object)) continue;
      std::size_t score = 0;
      for (const auto& c : checkpoint_children(*object)) score += stored.count(c.name);
      if (score > best_score) {
        best_score = score;
        best = describe(*object) + " (at '" + path + "')";
      }
    }
    if (best.empty()) return message + "; its objects have none of the names the checkpoint stores";
    return message + "; the checkpoint looks saved from a model like the nested " + best +
           ": load it into that sub-model instead";
  }

  std::shared_ptr<Trackable> root_;
  std::shared_ptr<BundleReader> reader_;
  bool has_graph_ = false;
  tfproto::TrackableObjectGraph graph_;
  std::vector<std::shared_ptr<Trackable>> bound_;
  std::vector<bool> has_values_;
  std::vector<Pending> pending_;
  std::set<const Variable*> restored_;
  std::set<const Variable*> set_by_config_;  // see NewOptimizerState::set_by_config
  std::vector<std::string> mismatches_;
};

CheckpointStatus::CheckpointStatus(std::shared_ptr<RestoreSession> session) : session_(std::move(session)) {}

const LoadStatus& CheckpointStatus::status() const {
  static const LoadStatus empty;
  return session_ ? session_->status : empty;
}

const CheckpointStatus& CheckpointStatus::assert_consumed() const {
  status().assert_consumed();
  return *this;
}

const CheckpointStatus& CheckpointStatus::assert_existing_objects_matched() const {
  status().assert_existing_objects_matched();
  return *this;
}

const CheckpointStatus& CheckpointStatus::assert_nontrivial_match() const {
  if (!session_ || !session_->nontrivial()) {
    std::string message = "nothing in the checkpoint matched besides the root object";
    for (const auto& w : status().warnings) message += "; " + w;
    throw Error(message);
  }
  return *this;
}

CheckpointStatus& CheckpointStatus::expect_partial() {
  if (session_) {
    session_->status.expect_partial();
    auto& w = session_->status.warnings;
    w.erase(std::remove_if(w.begin(), w.end(), [](const std::string& s) { return s.find("were not used") != std::string::npos; }),
            w.end());
  }
  return *this;
}

std::size_t CheckpointStatus::restore_deferred() { return session_ ? session_->restore_deferred() : 0; }

std::vector<std::string> CheckpointStatus::matched_keys() const {
  return session_ ? std::vector<std::string>(session_->consumed.begin(), session_->consumed.end()) : std::vector<std::string>{};
}

CheckpointStatus restore_checkpoint(const std::shared_ptr<Trackable>& root, const std::filesystem::path& prefix) {
  auto session = std::make_shared<RestoreSession>(root, std::make_shared<BundleReader>(prefix));
  session->run();
  return CheckpointStatus(session);
}

}  // namespace ksave::tf
