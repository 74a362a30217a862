#include "model_file.hpp"

#include <algorithm>
#include <iostream>

#include "hdf5_handle.hpp"
#include "ksave/optimizer.hpp"
#include "ksave/saving.hpp"
#include "ksave/serialization.hpp"
#include "layer_weights.hpp"
#include "optimizer_weights.hpp"
#include "string_attributes.hpp"
#include "weights_group.hpp"

namespace ksave::plugins::h5 {
namespace fs = std::filesystem;

namespace {

Json parse_json_attribute(const Node& node, const std::string& name, const std::string& text) {
  return parse_json(text, "attribute '" + name + "' of " + node.location().describe());
}

// Python's json.dumps escapes every non-ASCII character (what Keras stores as ASCII strings).
std::string ascii_json(const Json& value) { return value.dump(-1, ' ', true); }

// 'path', built by appending (GCC 12 warns falsely about "'" + std::string temporaries).
std::string quoted(const fs::path& path) {
  std::string s = "'";
  s += path.string();
  s += "'";
  return s;
}

void print_warning(const std::string& message) { std::cerr << "ksave: warning: " << message << "\n"; }

// Classes registered under a package ("Package>Name"): the file keeps their configs, not their
// code, so whoever loads it needs the plugin or custom_objects that define them.
void collect_custom_classes(const Json& value, std::vector<std::string>& out) {
  if (value.is_object()) {
    auto it = value.find("class_name");
    if (it != value.end() && it->is_string()) {
      std::string name = it->get<std::string>();
      if (name.find('>') != std::string::npos && std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
    }
    for (const auto& [_, item] : value.items()) collect_custom_classes(item, out);
  } else if (value.is_array()) {
    for (const auto& item : value) collect_custom_classes(item, out);
  }
}

void warn_about_custom_classes(const Json& config, const fs::path& path) {
  std::vector<std::string> custom;
  collect_custom_classes(config, custom);
  if (custom.empty()) return;
  std::string names;
  for (const auto& n : custom) names += (names.empty() ? "" : ", ") + n;
  print_warning(quoted(path) + " names custom classes (" + names +
                "): an HDF5 file holds their configs, not their code; loading it needs the plugins or custom_objects that define them");
}

void compile_and_restore_optimizer(const File& file, Model& model, const Json& training_config, const LoadOptions& options) {
  model.set_training_config(training_config);
  if (!options.compile) return;
  auto optimizer_config = training_config.find("optimizer_config");
  if (optimizer_config == training_config.end() || optimizer_config->is_null()) {
    print_warning(quoted(file.location().file) + " has a training_config without an optimizer; the model is not compiled");
    return;
  }
  try {
    model.compile_from_training_config(training_config);
  } catch (const Error& e) {
    // A model that cannot be compiled (an unknown loss or metric) still predicts; Keras users
    // load with compile=False for exactly this case.
    print_warning("the model from '" + file.location().file.string() + "' was not compiled: " + e.what());
    return;
  }
  if (auto warning = load_optimizer_weights(file, model)) print_warning(*warning);
}

}  // namespace

ModelPtr read_model_file(const fs::path& path, const LoadOptions& options) {
  auto lock = hdf5_lock();
  File file = File::open(path);
  auto config_text = read_string(file, "model_config");
  if (!config_text)
    throw Error(quoted(path) + " holds no model (attribute 'model_config' is missing at the root): " +
                (file.has_attribute("layer_names") ? "it is a weights file written by save_weights; use load_weights" : "is it a Keras file?"));
  Json config = parse_json_attribute(file, "model_config", *config_text);
  ModelPtr model = model_from_config(config, options.custom_objects);
  if (!file.has_group("model_weights"))
    throw Error(quoted(path) + " has a model_config but no 'model_weights' group");
  StoredWeights stored = read_weights_listing(file.group("model_weights"));
  load_weights_by_order(stored, *model, false);
  if (auto training_text = read_string(file, "training_config"))
    compile_and_restore_optimizer(file, *model, parse_json_attribute(file, "training_config", *training_text), options);
  return model;
}

void write_model_file(const Model& model, const fs::path& path, const SaveOptions& options) {
  if (!options.overwrite && fs::exists(path)) throw Error("cannot save to '" + path.string() + "': the file exists and overwrite is off");
  // Serialized before touching the disk: a model without a config fails here, not midway.
  Json config;
  {
    ConfigDialectScope dialect(ConfigDialect::HDF5);
    config = serialize(model);
  }
  std::string model_config = ascii_json(config);
  warn_about_custom_classes(config, path);
  if (model.has_external_losses_or_metrics())
    print_warning(quoted(path) + ": losses and metrics added with add_loss/add_metric from outside the model are not "
                  "stored in HDF5 (the SavedModel format keeps them); add them again after loading");
  bool with_optimizer = options.include_optimizer && model.compiled();
  // The path's SaveLock is taken before HDF5's lock, in every writer: two threads saving to
  // the same path in two formats cannot then wait on each other.
  write_atomically(path, [&](const fs::path& temporary) {
    auto lock = hdf5_lock();
    File file = File::create(temporary);
    write_string(file, "keras_version", kKerasVersion, Charset::Utf8);
    write_string(file, "backend", kBackend, Charset::Utf8);
    write_string(file, "model_config", model_config, Charset::Ascii);
    if (with_optimizer && !model.training_config().is_null())
      write_string(file, "training_config", ascii_json(model.training_config()), Charset::Ascii);
    Group weights = file.create_group("model_weights");
    write_weights_group(weights, model);
    if (with_optimizer && !model.optimizer()->variables().empty()) write_optimizer_weights(file, *model.optimizer());
    file.close();
  });
}

void write_weights_file(const Model& model, const fs::path& path) {
  write_atomically(path, [&](const fs::path& temporary) {
    auto lock = hdf5_lock();  // after the SaveLock, as in write_model_file
    File file = File::create(temporary);
    write_weights_group(file, model);
    file.close();
  });
}

LoadStatus read_weights_file(Model& model, const fs::path& path, const LoadOptions& options) {
  auto lock = hdf5_lock();
  File file = File::open(path);
  StoredWeights stored = read_weights_listing(weights_group_of(file));
  return options.by_name ? load_weights_by_name(stored, model, options.skip_mismatch)
                         : load_weights_by_order(stored, model, options.skip_mismatch);
}

Json describe_file(const fs::path& path) {
  auto lock = hdf5_lock();
  File file = File::open(path);
  Json out = Json::object();
  out["format"] = "h5";
  out["path"] = path.string();
  bool whole_model = file.has_attribute("model_config");
  out["kind"] = whole_model ? "model" : "weights";
  auto version = read_string(file, "keras_version");
  auto backend = read_string(file, "backend");
  Group weights_group = weights_group_of(file);
  if (!version) version = read_string(weights_group, "keras_version");
  if (!backend) backend = read_string(weights_group, "backend");
  out["keras_version"] = version ? Json(*version) : Json(nullptr);
  out["backend"] = backend ? Json(*backend) : Json(nullptr);
  if (whole_model) {
    Json config = parse_json_attribute(file, "model_config", require_string(file, "model_config"));
    out["model_class"] = config.value("class_name", "");
  }
  StoredWeights stored = read_weights_listing(weights_group);
  Json layers = Json::array();
  std::int64_t parameters = 0;
  for (const auto& layer : stored.layers) {
    Json weights = Json::array();
    for (std::size_t i = 0; i < layer.weight_names.size(); ++i) {
      Dataset d = stored.dataset(layer, i);
      weights.push_back({{"name", layer.weight_names[i]}, {"shape", shape_to_json(d.shape())}, {"dtype", d.type_description()}});
      parameters += num_elements(d.shape());
    }
    layers.push_back({{"name", layer.name}, {"weights", weights}});
  }
  out["layers"] = layers;
  out["parameters"] = parameters;
  if (auto training = read_string(file, "training_config"))
    out["training_config"] = parse_json_attribute(file, "training_config", *training);
  else
    out["training_config"] = nullptr;
  if (file.has_group("optimizer_weights")) {
    auto names = read_string_list(file.group("optimizer_weights"), "weight_names").value_or(std::vector<std::string>{});
    out["optimizer_weights"] = names.size();
    out["optimizer_weights_generation"] = optimizer_weights_generation(names);
  } else {
    out["optimizer_weights"] = 0;
  }
  return out;
}

}  // namespace ksave::plugins::h5
