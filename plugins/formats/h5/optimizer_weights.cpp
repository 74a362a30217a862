#include "optimizer_weights.hpp"

#include <map>
#include <regex>

#include "layer_weights.hpp"
#include "string_attributes.hpp"
#include "weights_group.hpp"

namespace ksave::plugins::h5 {

namespace {

// A Keras >= 2.11 optimizer's `variables` as tf-keras saves them to HDF5: "iteration:0", then
// "<optimizer name>/<slot>/<variable>:0" in build() order. The values are the slots' own (the
// variables returned share their storage), zeros where Keras keeps a slot ksave does not. Inside
// a LossScaleOptimizer the slots have no optimizer prefix ("m/dense/kernel:0"), and the loss
// scale is not among them (tf-keras's h5 loses it: a loaded model starts at initial_scale).
std::vector<VariablePtr> new_generation_weights(const Optimizer& optimizer) {
  const std::string name = optimizer.inner_optimizer() ? std::string() : optimizer.get_config().value("name", optimizer.class_name()) + "/";
  std::vector<VariablePtr> out{std::make_shared<Variable>("iteration:0", optimizer.iterations()->value(), false)};
  for (const auto& s : new_optimizer_slots(optimizer)) {
    Tensor value = s.slot ? s.slot->value() : Tensor::zeros(s.trained->dtype(), s.trained->shape());
    out.push_back(std::make_shared<Variable>(name + s.list.keras_name + "/" + s.trained->shared_name() + ":0",
                                             std::move(value), false));
  }
  return out;
}

}  // namespace

void write_optimizer_weights(Group& root, const Optimizer& optimizer) {
  Group group = root.create_group("optimizer_weights");
  write_weight_list(group, optimizer.new_generation() ? new_generation_weights(optimizer) : optimizer.variables(),
                    "optimizer '" + optimizer.class_name() + "'");
}

std::string optimizer_weights_generation(const std::vector<std::string>& names) {
  if (names.empty()) return "no optimizer weights";
  static const std::regex keras1(R"(^Variable(_\d+)?:0$)");
  bool all_keras1 = true, any_training = false, any_suffix = false, any_iter = false;
  for (const auto& n : names) {
    all_keras1 = all_keras1 && std::regex_match(n, keras1);
    any_training = any_training || n.rfind("training/", 0) == 0;
    any_suffix = any_suffix || (n.size() > 2 && n.compare(n.size() - 2, 2, ":0") == 0);
    any_iter = any_iter || n.find("/iter:0") != std::string::npos;
  }
  if (all_keras1) return "Keras 1 optimizer weights (Variable_N:0 names)";
  if (any_training) return "Keras 2.0-2.2 / TF1 graph-mode optimizer weights (training/... names)";
  if (names.size() == 1 && names[0] == "iteration:0")
    return "tf.keras >= 2.11 optimizer weights (only the iteration counter iteration:0 was saved)";
  if (!any_suffix) return "Keras 3 optimizer weights (iteration, learning_rate and slots, names without :0)";
  if (any_iter) return "tf.keras OptimizerV2 optimizer weights (<Optimizer>/iter:0 and per-variable slots)";
  return "optimizer weights of an unrecognized naming";
}

namespace {

std::string describe_variables(const std::vector<VariablePtr>& variables) {
  std::string out;
  for (std::size_t i = 0; i < variables.size() && i < 6; ++i)
    out += (i ? ", " : "") + variables[i]->name() + " " + shape_to_string(variables[i]->shape());
  if (variables.size() > 6) out += ", ...";
  return out;
}

}  // namespace

std::optional<std::string> load_optimizer_weights(const Group& root, Model& model) {
  auto optimizer = model.optimizer();
  if (!optimizer || !root.has_group("optimizer_weights")) return std::nullopt;
  Group group = root.group("optimizer_weights");
  auto names = read_string_list(group, "weight_names");
  if (!names) throw Error("attribute 'weight_names' is missing (" + group.location().describe() + ")");
  if (names->empty()) return std::nullopt;

  std::vector<VariablePtr> variables;
  if (names->front() == "iteration:0") {
    // The Keras >= 2.11 layout: the counter, then the slots in build() order (null where ksave
    // keeps no slot: the stored zeros are checked for shape and left unread). A file of
    // tf.keras 2.11 holds the counter alone: the counts differ and, as tf-keras's set_weights
    // refuses it, nothing is loaded (a counter without its moments would skew Adam's steps).
    variables.push_back(optimizer->iterations());
    const auto trained = model.trainable_weights();
    for (const auto& s : new_optimizer_slots(*optimizer, trained))
        variables.push_back(s.slot ? s.slot : std::make_shared<Variable>(s.trained->name(), Tensor::zeros(s.trained->dtype(), s.trained->shape()), false));
  } else {
    optimizer->build(model.trainable_weights());
    variables = optimizer->variables();
  }
  std::string generation = optimizer_weights_generation(*names);
  auto mismatch = [&](const std::string& why) {
    return "optimizer weights in '" + group.location().file.string() + "' were not loaded: " + why + "; the file holds " +
           std::to_string(names->size()) + " arrays (" + generation + "), optimizer " + optimizer->class_name() + " has " +
           std::to_string(variables.size()) + " variables (" + describe_variables(variables) + "); training resumes with a fresh optimizer state";
  };
  if (variables.size() != names->size()) return mismatch("the counts differ");

  // Keras matches positionally; when every stored name is one of ours, match by name instead so
  // a differing slot order cannot swap equally shaped slots.
  std::map<std::string, VariablePtr> by_name;
  for (const auto& v : variables) by_name[v->name()] = v;
  bool names_match = true;
  for (const auto& n : *names) names_match = names_match && by_name.count(n) == 1;

  std::vector<std::pair<Dataset, VariablePtr>> plan;
  for (std::size_t i = 0; i < names->size(); ++i) {
    const std::string& name = (*names)[i];
    if (!group.has_dataset(name))
      throw Error("optimizer weight '" + name + "' is listed in weight_names but its dataset is missing (" + group.location().describe() + ")");
    Dataset d = group.dataset(name);
    VariablePtr target = names_match ? by_name.at(name) : variables[i];
    if (!d.is_numeric()) return mismatch("'" + name + "' holds " + d.type_description() + " data");
    if (d.shape() != target->shape())
      return mismatch("'" + name + "' has shape " + shape_to_string(d.shape()) + " where " + target->name() + " has " +
                      shape_to_string(target->shape()));
    plan.emplace_back(std::move(d), target);
  }
  for (auto& [dataset, variable] : plan) read_into_variable(dataset, *variable);
  return std::nullopt;
}

}  // namespace ksave::plugins::h5
