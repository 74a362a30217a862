#include "weights_store.hpp"

#include <algorithm>
#include <set>
#include <variant>

#include "string_attributes.hpp"
#include "variable_read.hpp"

namespace ksave::plugins::keras_zip {
namespace {

// A planned assignment, checked before any variable changes. The dataset is opened again when
// it is read: every weight's dataset open at once held about 10 KiB of libhdf5's memory each.
struct Assignment {
  std::string dataset_path;  // below the weights file's root
  VariablePtr variable;
};

// Keras 2.15 on Windows built object paths with os.path.join, so its archives hold one group
// named "layers\\dense" (a backslash inside the name) with "vars" below it; Keras reads them.
std::string windows_form(const std::string& vars_path) {
  static const std::string kVars = "/vars";
  if (vars_path.size() <= kVars.size()) return vars_path;
  std::string object = vars_path.substr(0, vars_path.size() - kVars.size());
  std::replace(object.begin(), object.end(), '/', '\\');
  return object + kVars;
}

// Where the file keeps `owner`'s variables: its Keras 3 path or, in archives written by
// tf.keras 2.13, the same path under `_layer_checkpoint_dependencies` instead of `layers`
// (Keras 3 reads both), each also in its Windows form.
std::string stored_vars_path(const h5::Group& root, const VariableOwner& owner) {
  static const std::string kLayers = "layers/", kTfKeras213 = "_layer_checkpoint_dependencies/";
  const std::string path = owner.vars_path();
  std::vector<std::string> candidates{path};
  if (path.rfind(kLayers, 0) == 0) candidates.push_back(kTfKeras213 + path.substr(kLayers.size()));
  for (std::size_t i = 0, n = candidates.size(); i < n; ++i) candidates.push_back(windows_form(candidates[i]));
  for (const auto& candidate : candidates)
    if (root.has_group(candidate)) return candidate;
  return path;
}

// The datasets of `owner`'s vars group matched to its variables, or why they do not match.
std::variant<std::vector<Assignment>, std::string> plan(const h5::Group& root, const VariableOwner& owner) {
  const std::string vars_path = stored_vars_path(root, owner);
  const std::string expected = std::to_string(owner.variables.size()) + " variable" + (owner.variables.size() == 1 ? "" : "s") +
                               " (" + describe_variables(owner.variables) + ")";
  std::string where = "'";  // built by appending: GCC 12 warns falsely about "'" + temporaries
  where += vars_path + "' in '" + root.location().file.string() + "'";
  if (!root.has_group(vars_path)) {
    if (owner.variables.empty()) return std::vector<Assignment>{};
    return owner.description + " has " + expected + " but " + where + " is missing";
  }
  h5::Group vars = root.group(vars_path);
  std::vector<std::string> stored = vars.children();
  if (stored.size() != owner.variables.size())
    return owner.description + " has " + expected + " but " + where + " holds " + std::to_string(stored.size()) + " (" +
           [&] {
             std::string s;
             for (const auto& n : stored) s += (s.empty() ? "" : ", ") + n;
             return s.empty() ? std::string("none") : s;
           }() + ")";
  std::vector<Assignment> out;
  for (std::size_t i = 0; i < owner.variables.size(); ++i) {
    const VariablePtr& variable = owner.variables[i];
    const std::string index = owner.dataset_name(i);
    if (!vars.has_dataset(index))
      return owner.description + ": dataset '" + index + "' (for " + variable->short_name() + ") is missing from " + where;
    h5::Dataset dataset = vars.dataset(index);
    if (!dataset.is_numeric())
      return owner.description + ": '" + vars_path + "/" + index + "' in '" + root.location().file.string() + "' holds " +
             dataset.type_description() + " data, expected " + std::string(dtype_name(variable->dtype())) + " for " + variable->short_name();
    if (dataset.shape() != variable->shape())
      return owner.description + ": '" + vars_path + "/" + index + "' in '" + root.location().file.string() + "' has shape " +
             shape_to_string(dataset.shape()) + ", expected " + shape_to_string(variable->shape()) + " for " + variable->short_name();
    out.push_back({vars_path + "/" + index, variable});
  }
  return out;
}

void assign(const h5::Group& root, const std::vector<Assignment>& assignments) {
  for (const auto& a : assignments) h5::read_into_variable(root.dataset(a.dataset_path), *a.variable);
}

}  // namespace

void write_owners(h5::Group& root, const std::vector<VariableOwner>& owners) {
  for (const auto& owner : owners) {
    h5::Group vars = root.create_group(owner.vars_path());
    h5::write_string(vars, "name", owner.name, h5::Charset::Utf8);
    for (std::size_t i = 0; i < owner.variables.size(); ++i) {
      const Tensor& value = owner.variables[i]->value();
      const bool narrowed = owner.floating_as && value.dtype() == DType::Float32;
      const Tensor stored = narrowed ? value.cast(*owner.floating_as) : value;
      h5::Dataset d = vars.create_dataset(owner.dataset_name(i), stored.dtype(), stored.shape());
      d.write(stored);
      // h5py has no bfloat16: Keras 3 marks its 2-byte opaque data so.
      if (stored.dtype() == DType::BFloat16) h5::write_string(d, "dtype", "bfloat16", h5::Charset::Utf8);
    }
  }
}

void read_owners(const h5::Group& root, const std::vector<VariableOwner>& owners) {
  std::vector<Assignment> all;
  std::vector<std::string> failures;  // every object that does not fit, reported together as Keras does
  for (const auto& owner : owners) {
    auto planned = plan(root, owner);
    if (auto* why = std::get_if<std::string>(&planned)) {
      failures.push_back(*why);
      continue;
    }
    for (auto& a : std::get<std::vector<Assignment>>(planned)) all.push_back(std::move(a));
  }
  if (failures.size() == 1) throw Error(failures.front());
  if (!failures.empty()) {
    std::string message = std::to_string(failures.size()) + " objects do not fit their stored variables: ";
    for (std::size_t i = 0; i < failures.size(); ++i) message += (i ? "; " : "") + failures[i];
    throw Error(message);
  }
  assign(root, all);
}

namespace {

// The paths of every `vars` group below `group` that holds datasets.
void collect_vars_groups(const h5::Group& group, const std::string& at, std::vector<std::string>& out) {
  for (const auto& child : group.children()) {
    if (!group.has_group(child)) continue;
    const std::string path = at.empty() ? child : at + "/" + child;
    h5::Group sub = group.group(child);
    if (child == "vars") {
      if (!sub.children().empty()) out.push_back(path);
    } else {
      collect_vars_groups(sub, path, out);
    }
  }
}

}  // namespace

LoadStatus read_owners_for_load_weights(const h5::Group& root, const std::vector<VariableOwner>& owners, bool skip_mismatch) {
  LoadStatus status;
  std::vector<Assignment> all;
  std::set<std::string> taken;
  for (const auto& owner : owners) {
    taken.insert(stored_vars_path(root, owner));
    auto planned = plan(root, owner);
    if (auto* why = std::get_if<std::string>(&planned)) {
      if (!skip_mismatch) throw Error(*why);
      status.warnings.push_back("skipped: " + *why);
      for (const auto& v : owner.variables) status.unmatched_in_model.push_back(v->name());
      continue;
    }
    for (auto& a : std::get<std::vector<Assignment>>(planned)) all.push_back(std::move(a));
  }
  assign(root, all);
  std::vector<std::string> stored;
  collect_vars_groups(root, "", stored);
  for (const auto& path : stored)
    if (!taken.count(path) && path.rfind("optimizer/", 0) != 0) status.unused_in_file.push_back(path);
  return status;
}

std::optional<std::string> try_read_owner(const h5::Group& root, const VariableOwner& owner) {
  auto planned = plan(root, owner);
  if (auto* why = std::get_if<std::string>(&planned)) return *why;
  assign(root, std::get<std::vector<Assignment>>(planned));
  return std::nullopt;
}

}  // namespace ksave::plugins::keras_zip
