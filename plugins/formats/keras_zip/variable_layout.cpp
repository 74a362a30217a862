#include "variable_layout.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <regex>
#include <set>

#include "keras3_forms.hpp"
#include "ksave/registry.hpp"

namespace ksave::plugins::keras_zip {
namespace {

std::string join_path(const std::string& parent, const std::string& child) {
  return parent.empty() ? child : parent + "/" + child;
}

// Keras 3's naming.to_snake_case of a Python class name ("MaxPooling2D" → "max_pooling2d",
// "PReLU" → "p_re_lu"); a package-registered class counts by its own name. Not ksave's
// to_snake_case, which is tf-keras's rule (non-word characters kept, a "private" prefix).
std::string keras3_snake_case(const std::string& class_name) {
  static const std::regex non_word(R"(\W+)"), capitalized_word("(.)([A-Z][a-z]+)"), lower_upper("([a-z])([A-Z])");
  std::string name = class_name.substr(class_name.find('>') == std::string::npos ? 0 : class_name.find('>') + 1);
  name = std::regex_replace(name, non_word, "");
  name = std::regex_replace(name, capitalized_word, "$1_$2");
  name = std::regex_replace(name, lower_upper, "$1_$2");
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

// Keras 3's Layer.save_own_variables: _trainable_variables + _non_trainable_variables.
std::vector<VariablePtr> own_variables_in_keras_order(const Layer& layer) {
  std::vector<VariablePtr> out;
  for (bool trainable : {true, false})
    for (const auto& [_, v] : layer.own_variables())
      if (v->trainable() == trainable) out.push_back(v);
  return out;
}

// The attribute Keras 3 files a sublayer under, where it differs from tf-keras's (which ksave
// tracks, for TF checkpoints): a class whose form says so (MultiHeadAttention, reaching its
// EinsumDense sublayers through the public properties query_dense, ...) is saved under the
// attribute's public name.
std::string keras3_attribute(bool public_names, const std::string& attribute) {
  if (public_names && attribute.size() > 1 && attribute[0] == '_') return attribute.substr(1);
  return attribute;
}

// Classes whose Keras 3 save_own_variables files each variable under its attribute name rather
// than its position (IndexLookup: store["idf_weights"]).
const std::set<std::string> kVariablesByName = {"StringLookup", "IntegerLookup", "TextVectorization"};

std::vector<std::string> dataset_names(const Layer& layer, const std::vector<VariablePtr>& variables) {
  if (!kVariablesByName.count(layer.class_name())) return {};
  std::vector<std::string> names;
  for (const auto& v : variables) names.push_back(v->short_name());
  return names;
}

// Keras 3's TextVectorization.save_own_variables is its _lookup_layer's: the lookup's variables
// are stored as the TextVectorization's own too (and again under _lookup_layer).
std::vector<VariablePtr> stored_as_own(const Layer& layer) {
  std::vector<VariablePtr> out = own_variables_in_keras_order(layer);
  if (layer.class_name() == "TextVectorization")
    for (const auto& [attribute, sub] : layer.tracked_layers())
      if (attribute == "_lookup_layer")
        for (const auto& v : own_variables_in_keras_order(*sub)) out.push_back(v);
  return out;
}

class Walk {
 public:
  std::vector<VariableOwner> owners;

  void visit(const Layer& layer, const std::string& path) {
    if (!visited_.insert(&layer).second) return;  // shared layers are saved once, where first met
    // Built by appending: GCC 12 warns falsely about "literal" + std::string temporaries.
    std::string description = path.empty() ? "model '" : "layer '";
    description += layer.name();
    description += "' (";
    description += layer.class_name();
    description += ")";
    owners.push_back({path, layer.name(), std::move(description), stored_as_own(layer)});
    if (layer.dtype() == DType::Float16 || layer.dtype() == DType::BFloat16) owners.back().floating_as = layer.dtype();
    owners.back().dataset_names = dataset_names(layer, owners.back().variables);
    owners.back().layer = &layer;
    // Sequential and Functional models file their layers as one container; a subclassed model,
    // like any layer, files its sublayers under the attributes that hold them.
    const auto* model = dynamic_cast<const Model*>(&layer);
    if (model && (dynamic_cast<const Sequential*>(model) || dynamic_cast<const Functional*>(model))) {
      // Keras 3 names a container's entries after their classes, not their (automatic, so not
      // reproducible) names: dense, dense_1, conv2d, ... in container order.
      std::map<std::string, int> used;
      for (const auto& sub : model->layers()) {
        std::string name = keras3_snake_case(sub->class_name());
        auto [it, fresh] = used.emplace(name, 0);
        if (!fresh) {
          name += '_';
          name += std::to_string(++it->second);
        }
        visit(*sub, join_path(join_path(path, "layers"), name));
      }
      return;
    }
    // Keras 3 walks a layer's attributes in sorted order.
    auto children = layer.tracked_layers();
    const std::string registered = Registry::global().registered_name_for(Kind::Layer, layer.class_name());
    const bool public_names = keras3_form(registered).value("sublayers_saved_under_public_names", false);
    for (auto& [attribute, _] : children) attribute = keras3_attribute(public_names, attribute);
    std::stable_sort(children.begin(), children.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [attribute, sub] : children) visit(*sub, join_path(path, attribute));
  }

 private:
  std::set<const Layer*> visited_;
};

}  // namespace

std::vector<VariableOwner> layer_variable_owners(const Model& model) {
  Walk walk;
  walk.visit(model, "");
  return std::move(walk.owners);
}

VariableOwner optimizer_variable_owner(const Optimizer& optimizer) {
  Json config = optimizer.get_config();
  VariableOwner owner{"optimizer", config.value("name", optimizer.class_name()), "optimizer '" + optimizer.class_name() + "'", {}};
  // Keras 3's order: the counter, the learning rate, the slots as build() makes them (Keras 3
  // makes no slot where ksave keeps none), then what build() makes after them (Nadam's
  // u_product): whatever variables() holds besides the counter and the slots.
  owner.variables.push_back(optimizer.iterations());
  for (const auto& child : optimizer.trackable_children())
    if (child.name == "learning_rate")
      if (auto variable = std::dynamic_pointer_cast<Variable>(child.object)) owner.variables.push_back(variable);
  std::set<const Variable*> slot_set;
  for (const auto& s : new_optimizer_slots(optimizer))
    if (s.slot) {
      owner.variables.push_back(s.slot);
      slot_set.insert(s.slot.get());
    }
  for (const auto& v : optimizer.variables())
    if (v != optimizer.iterations() && !slot_set.count(v.get())) owner.variables.push_back(v);
  return owner;
}

namespace {

VariablePtr child_variable(const Trackable& object, const std::string& name) {
  for (const auto& child : object.trackable_children())
    if (child.name == name) return std::dynamic_pointer_cast<Variable>(child.object);
  return nullptr;
}

}  // namespace

std::vector<VariableOwner> optimizer_variable_owners(const Optimizer& optimizer) {
  const std::shared_ptr<Optimizer> inner = optimizer.inner_optimizer();
  if (!inner) return {optimizer_variable_owner(optimizer)};
  VariableOwner wrapped = optimizer_variable_owner(*inner);
  VariableOwner own{"optimizer", optimizer.get_config().value("name", std::string("loss_scale_optimizer")),
                    "optimizer '" + optimizer.class_name() + "'", {}};
  // The loss scale's state is the "loss_scale" child (tf-keras's names); Keras 3's wrapper also
  // has a counter and a learning rate of its own, which stay 0 (it steps through the inner one):
  // written as such, read into throwaway variables.
  std::shared_ptr<Trackable> state;
  for (const auto& child : optimizer.trackable_children())
    if (child.name == "loss_scale") state = child.object;
  VariablePtr counter = state ? child_variable(*state, "good_steps") : nullptr;
  VariablePtr scale = state ? child_variable(*state, "current_loss_scale") : nullptr;
  if (!counter || !scale) throw Error("optimizer '" + optimizer.class_name() + "': Keras 3 keeps a dynamic loss scale, this one is fixed");
  own.variables = {std::make_shared<Variable>("iteration", Tensor::scalar<std::int64_t>(0), false),
                   std::make_shared<Variable>("learning_rate", Tensor::scalar<float>(0.0f), false), counter, scale};
  own.variables.insert(own.variables.end(), wrapped.variables.begin(), wrapped.variables.end());
  wrapped.path = "optimizer/inner_optimizer";
  return {own, wrapped};
}

std::string describe_variables(const std::vector<VariablePtr>& variables) {
  std::string out;
  for (std::size_t i = 0; i < variables.size() && i < 8; ++i)
    out += (i ? ", " : "") + variables[i]->short_name() + " " + shape_to_string(variables[i]->shape());
  if (variables.size() > 8) out += ", ... (" + std::to_string(variables.size()) + " in all)";
  return out.empty() ? "none" : out;
}

}  // namespace ksave::plugins::keras_zip
