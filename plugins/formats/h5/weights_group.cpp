#include "weights_group.hpp"

#include <algorithm>

#include "ksave/serialization.hpp"
#include "string_attributes.hpp"

namespace ksave::plugins::h5 {

Dataset StoredWeights::dataset(const StoredLayer& layer, std::size_t index) const {
  const std::string& weight = layer.weight_names.at(index);
  Group layer_group = group.group(layer.name);
  if (!layer_group.has_dataset(weight))
    throw Error("weight '" + weight + "' of layer '" + layer.name + "' is listed in weight_names but its dataset is missing (" +
                layer_group.location().describe() + ")");
  return layer_group.dataset(weight);
}

StoredWeights read_weights_listing(const Group& group) {
  auto layer_names = read_string_list(group, "layer_names");
  if (!layer_names)
    throw Error("no Keras weights in " + group.location().describe() + ": attribute 'layer_names' is missing");
  StoredWeights stored{group.self(), "1", std::nullopt, {}, std::nullopt};
  if (auto version = read_string(group, "keras_version")) stored.keras_version = *version;
  stored.backend = read_string(group, "backend");
  for (const auto& name : *layer_names) {
    if (!group.has_group(name))
      throw Error("layer '" + name + "' is listed in layer_names but its group is missing (" + group.location().describe() + ")");
    Group layer_group = group.group(name);
    auto weight_names = read_string_list(layer_group, "weight_names");
    if (!weight_names) throw Error("attribute 'weight_names' is missing (" + layer_group.location().describe() + ")");
    stored.layers.push_back({name, *weight_names});
  }
  if (group.has_group("top_level_model_weights")) {
    Group top = group.group("top_level_model_weights");
    stored.top_level = StoredLayer{"top_level_model_weights", read_string_list(top, "weight_names").value_or(std::vector<std::string>{})};
  }
  return stored;
}

Group weights_group_of(const File& file) {
  if (file.has_attribute("layer_names") || file.has_attribute("layer_names0")) return file.self();
  if (file.has_group("model_weights")) return file.group("model_weights");
  throw Error("'" + file.location().file.string() +
              "' holds no Keras weights: neither a 'layer_names' attribute at the root nor a 'model_weights' group");
}

namespace {

std::vector<std::string> names_of(const std::vector<VariablePtr>& variables) {
  std::vector<std::string> names;
  for (const auto& v : variables) names.push_back(v->name());
  return names;
}

}  // namespace

void write_weight_list(Group& group, const std::vector<VariablePtr>& variables, const std::string& owner,
                       std::optional<DType> floating_as) {
  auto names = names_of(variables);
  std::vector<std::string> sorted = names;
  std::sort(sorted.begin(), sorted.end());
  if (auto dup = std::adjacent_find(sorted.begin(), sorted.end()); dup != sorted.end())
    throw Error("cannot save " + owner + " to HDF5: two of its weights are both named '" + *dup + "'");
  write_string_list(group, "weight_names", names);
  for (const auto& v : variables) {
    const bool narrowed = floating_as && v->dtype() == DType::Float32;
    Dataset d = group.create_dataset(v->name(), narrowed ? *floating_as : v->dtype(), v->shape());
    d.write(narrowed ? v->value().cast(*floating_as) : v->value());
  }
}

void write_weights_group(Group& group, const Model& model) {
  std::vector<LayerPtr> layers = model.layers();
  std::vector<std::string> layer_names;
  for (const auto& l : layers) layer_names.push_back(l->name());
  write_string_list(group, "layer_names", layer_names);
  write_string(group, "backend", kBackend, Charset::Ascii);
  write_string(group, "keras_version", kKerasVersion, Charset::Ascii);
  for (const auto& layer : layers) {
    if (group.has(layer->name())) throw Error("cannot save model '" + model.name() + "' to HDF5: two layers are both named '" + layer->name() + "'");
    Group layer_group = group.create_group(layer->name());
    // A layer of dtype float16 / bfloat16 (not a mixed one: its variables are float32 in Keras too).
    const DType stored = layer->dtype();
    const bool half = stored == DType::Float16 || stored == DType::BFloat16;
    write_weight_list(layer_group, layer->weights(), "layer '" + layer->name() + "'", half ? std::optional<DType>(stored) : std::nullopt);
  }
  // The model's own variables (not its layers'): trainable first, as Keras lists them.
  std::vector<VariablePtr> own;
  for (const auto& [_, v] : model.own_variables())
    if (v->trainable()) own.push_back(v);
  for (const auto& [_, v] : model.own_variables())
    if (!v->trainable()) own.push_back(v);
  Group top = group.create_group("top_level_model_weights");
  write_weight_list(top, own, "model '" + model.name() + "'");
}

}  // namespace ksave::plugins::h5
