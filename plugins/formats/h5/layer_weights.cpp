#include "layer_weights.hpp"

#include <iostream>
#include <map>


namespace ksave::plugins::h5 {

void warn(LoadStatus& status, const std::string& message) {
  status.warnings.push_back(message);
  std::cerr << "ksave: warning: " << message << "\n";
}

namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
  return out;
}

// One variable and where its value comes from: weight `index` of a stored layer, read in place,
// or an array already converted in memory (legacy layouts). The dataset is opened again when it
// is read rather than kept open from planning: each open dataset holds about 10 KiB of libhdf5's
// memory, which for every weight of a large model at once was most of the load's overhead over
// the weights themselves (issue 14: at most weights + 10%).
struct Assignment {
  VariablePtr variable;
  const StoredLayer* stored_layer = nullptr;
  std::size_t index = 0;
  Tensor value;
};

void execute(const StoredWeights& stored, std::vector<Assignment>& plan) {
  for (auto& a : plan) {
    if (a.stored_layer) {
      read_into_variable(stored.dataset(*a.stored_layer, a.index), *a.variable);
    } else {
      Tensor v = a.value.dtype() == a.variable->dtype() ? a.value : a.value.cast(a.variable->dtype());
      a.variable->assign_shared(v);
    }
  }
}

class Planner {
 public:
  Planner(const StoredWeights& stored, bool skip_mismatch, LoadStatus& status)
      : stored_(stored), skip_(skip_mismatch), status_(status) {}

  // Plans the assignment of a stored layer's weights to `variables` (the weights of `owner`,
  // or of the model itself for top_level_model_weights).
  void add(const StoredLayer& stored_layer, const Layer* owner, const std::vector<VariablePtr>& variables,
           const std::string& target) {
    std::vector<Dataset> datasets;
    std::vector<Shape> shapes;
    for (std::size_t i = 0; i < stored_layer.weight_names.size(); ++i) {
      Dataset d = stored_.dataset(stored_layer, i);
      if (!d.is_numeric())
        throw Error("weight '" + stored_layer.weight_names[i] + "' of layer '" + stored_layer.name + "' holds " +
                    d.type_description() + " data, expected numbers (" + d.location().describe() + ")");
      shapes.push_back(d.shape());
      datasets.push_back(std::move(d));
    }
    // Older Keras versions' layouts, converted by the class that knows them (Keras's
    // preprocess_weights_for_loading, declared per class: Layer::convert_stored_weights).
    if (owner && owner->stored_weights_need_conversion(shapes, stored_.keras_version)) {
      std::vector<Tensor> arrays;
      for (const auto& d : datasets) arrays.push_back(d.read_as(DType::Float32));
      arrays = owner->convert_stored_weights(std::move(arrays), stored_.keras_version);
      if (!check_count(stored_layer, arrays.size(), variables, target)) return;
      for (std::size_t i = 0; i < arrays.size(); ++i)
        if (check_shape(stored_layer, stored_layer.weight_names.size() == arrays.size() ? stored_layer.weight_names[i] : std::string("#").append(std::to_string(i)),
                        arrays[i].shape(), *variables[i], target))
          plan_.push_back({variables[i], nullptr, 0, arrays[i]});
      return;
    }
    if (!check_count(stored_layer, datasets.size(), variables, target)) return;
    for (std::size_t i = 0; i < datasets.size(); ++i)
      if (check_shape(stored_layer, stored_layer.weight_names[i], shapes[i], *variables[i], target))
        plan_.push_back({variables[i], &stored_layer, i, Tensor()});
  }

  void run() { execute(stored_, plan_); }

 private:
  bool check_count(const StoredLayer& stored_layer, std::size_t count, const std::vector<VariablePtr>& variables,
                   const std::string& target) {
    if (count == variables.size()) return true;
    std::vector<std::string> expected;
    for (const auto& v : variables) expected.push_back(v->name());
    std::string message = target + " expects " + std::to_string(variables.size()) + " weights (" + join(expected) +
                          "), but layer '" + stored_layer.name + "' in '" + stored_.group.location().file.string() + "' has " +
                          std::to_string(count) + " (" + join(stored_layer.weight_names) + ")";
    if (!skip_) throw Error(message);
    warn(status_, "skipping " + message);
    for (const auto& v : variables) status_.unmatched_in_model.push_back(v->name());
    return false;
  }

  bool check_shape(const StoredLayer& stored_layer, const std::string& weight_name, const Shape& shape, const Variable& variable,
                   const std::string& target) {
    if (shape == variable.shape()) return true;
    std::string message = target + ", weight '" + variable.name() + "': the file's '" + weight_name + "' (layer '" +
                          stored_layer.name + "') has shape " + shape_to_string(shape) + ", the model expects " +
                          shape_to_string(variable.shape());
    if (!skip_) throw Error("weight shape mismatch: " + message);
    warn(status_, "skipping " + message);
    status_.unmatched_in_model.push_back(variable.name());
    return false;
  }

  const StoredWeights& stored_;
  bool skip_;
  LoadStatus& status_;
  std::vector<Assignment> plan_;
};

std::vector<VariablePtr> own_variables_in_order(const Model& model) {
  std::vector<VariablePtr> out;
  for (const auto& [_, v] : model.own_variables())
    if (v->trainable()) out.push_back(v);
  for (const auto& [_, v] : model.own_variables())
    if (!v->trainable()) out.push_back(v);
  return out;
}

void plan_top_level(Planner& planner, const StoredWeights& stored, const Model& model, LoadStatus& status) {
  auto own = own_variables_in_order(model);
  if (stored.top_level && (!stored.top_level->weight_names.empty() || !own.empty())) {
    planner.add(*stored.top_level, nullptr, own, "model '" + model.name() + "' (its own weights)");
  } else if (!own.empty()) {
    for (const auto& v : own) status.unmatched_in_model.push_back(v->name());
  }
}

}  // namespace

LoadStatus load_weights_by_order(const StoredWeights& stored, Model& model, bool skip_mismatch) {
  LoadStatus status;
  std::vector<LayerPtr> model_layers;
  for (const auto& l : model.layers())
    if (!l->weights().empty()) model_layers.push_back(l);
  std::vector<const StoredLayer*> file_layers;
  for (const auto& l : stored.layers)
    if (!l.weight_names.empty()) file_layers.push_back(&l);
  if (model_layers.size() != file_layers.size()) {
    std::vector<std::string> model_names, file_names;
    for (const auto& l : model_layers) model_names.push_back(l->name());
    for (const auto* l : file_layers) file_names.push_back(l->name);
    throw Error("layer count mismatch loading '" + stored.group.location().file.string() + "' into model '" + model.name() +
                "': the file has " + std::to_string(file_layers.size()) + " layers with weights (" + join(file_names) +
                "), the model has " + std::to_string(model_layers.size()) + " (" + join(model_names) + ")");
  }
  Planner planner(stored, skip_mismatch, status);
  for (std::size_t k = 0; k < model_layers.size(); ++k) {
    const Layer& layer = *model_layers[k];
    planner.add(*file_layers[k], &layer, layer.weights(), "layer '" + layer.name() + "' (" + layer.class_name() + ")");
  }
  plan_top_level(planner, stored, model, status);
  planner.run();
  return status;
}

LoadStatus load_weights_by_name(const StoredWeights& stored, Model& model, bool skip_mismatch) {
  LoadStatus status;
  std::map<std::string, LayerPtr> by_name;
  for (const auto& l : model.layers()) by_name[l->name()] = l;
  Planner planner(stored, skip_mismatch, status);
  std::vector<std::string> missing_in_model;
  std::map<std::string, bool> loaded;
  for (const auto& stored_layer : stored.layers) {
    auto it = by_name.find(stored_layer.name);
    if (it == by_name.end()) {
      if (!stored_layer.weight_names.empty()) {
        missing_in_model.push_back(stored_layer.name);
        for (const auto& w : stored_layer.weight_names) status.unused_in_file.push_back(stored_layer.name + "/" + w);
      }
      continue;
    }
    const Layer& layer = *it->second;
    planner.add(stored_layer, &layer, layer.weights(), "layer '" + layer.name() + "' (" + layer.class_name() + ")");
    loaded[layer.name()] = true;
  }
  for (const auto& l : model.layers())
    if (!loaded.count(l->name()))
      for (const auto& v : l->weights()) status.unmatched_in_model.push_back(v->name());
  if (!missing_in_model.empty())
    warn(status, "the model has no layer named " + join(missing_in_model) + " (layers with weights in '" +
                     stored.group.location().file.string() + "'); their weights were not loaded");
  plan_top_level(planner, stored, model, status);
  planner.run();
  return status;
}

}  // namespace ksave::plugins::h5
