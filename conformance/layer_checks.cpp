// Layer classes: config round trip in every dialect, weights and config through every format,
// gradients against finite differences.
#include <filesystem>

#include "checks.hpp"
#include "comparison.hpp"
#include "formats.hpp"
#include "gradients.hpp"
#include "guarded.hpp"
#include "layer_subject.hpp"
#include "subjects.hpp"
#include "ksave/saving.hpp"
#include "ksave/serialization.hpp"

namespace ksave::conformance {
namespace fs = std::filesystem;
namespace {

struct Dialect {
  const char* name;
  ConfigDialect value;
};
constexpr Dialect kDialects[] = {{"tf-keras get_config", ConfigDialect::Current},
                                 {"tf-keras HDF5 model_config", ConfigDialect::HDF5},
                                 {"tf-keras SavedModel metadata", ConfigDialect::SavedModel}};

// The config without the build state nested layers record once built (an RNN's cell writes its
// build_config): a layer just made from its config is not built yet, and that is no difference.
Json without_build_state(Json config) {
  if (config.is_object()) {
    config.erase("build_config");
    for (auto& [key, value] : config.items()) value = without_build_state(value);
  } else if (config.is_array()) {
    for (Json& item : config) item = without_build_state(item);
  }
  return config;
}

std::string config_round_trip(const LayerSubject& subject, ConfigDialect dialect) {
  Json entry;
  {
    ConfigDialectScope scope(dialect);
    entry = serialize(*subject.layer);
  }
  return config_difference(without_build_state(subject.config), without_build_state(deserialize_layer(entry)->get_config()));
}

std::string config_in_file(const LayerSubject& subject, const Model& loaded) {
  return config_difference(subject.config, loaded.get_layer(subject.layer->name())->get_config());
}

std::string values_match(const LayerSubject& subject, const Tensors& expected, Model& loaded) {
  std::string why = weights_difference(*subject.model, loaded);
  if (why.empty()) why = outputs_difference(expected, loaded.predict_on_batch(subject.data));
  return why;
}

void check_formats(const LayerSubject& subject, const std::string& kind, const std::string& name, const Json& sample,
                   const fs::path& dir, Report& report) {
  const Tensors expected = subject.model->predict_on_batch(subject.data);
  for (const FormatPtr& format : registered_formats()) {
    if (const std::string why = declared_not_in_format(sample, format->name()); !why.empty()) {
      report.skip(kind, name, "the " + format->name() + " format", "its plugin declares: " + why);
      continue;
    }
    SaveOptions options;
    options.format = format->name();
    if (saves_models(*format)) {
      const fs::path path = model_path(dir, "model", *format);
      ModelPtr loaded;
      run_check(report, kind, name, "config in a " + format->name() + " file", [&] {
        save_model(*subject.model, path, options);
        loaded = load_model(path);
        return config_in_file(subject, *loaded);
      });
      if (loaded && format->traits().holds_values)
        run_check(report, kind, name, "weights in a " + format->name() + " model file",
                  [&] { return values_match(subject, expected, *loaded); });
    }
    if (saves_weights(*format))
      run_check(report, kind, name, "weights in a " + format->name() + " weights file", [&] {
        const fs::path path = weights_path(dir, "weights", *format);
        save_weights(*subject.model, path, options);
        ModelPtr fresh = rebuild_model(subject);
        load_weights(*fresh, path).expect_partial();
        return values_match(subject, expected, *fresh);
      });
  }
}

// `name` (of kind `kind`) checked through a layer of class `layer_class` made from `sample`: the
// class itself, or a Dense that uses an activation, initializer, ... of the plugin.
void check_through_layer(const std::string& kind, const std::string& name, const std::string& layer_class,
                         const Json& sample, const fs::path& scratch, Report& report) {
  LayerSubject subject;
  try {
    subject = make_layer_subject(layer_class, sample);
    report.pass(kind, name, "builds", "inputs " + subject.inputs.dump());
  } catch (const std::exception& e) {
    report.fail(kind, name, "builds", e.what());
    return;
  }
  for (const Dialect& dialect : kDialects)
    run_check(report, kind, name, std::string("config round trip (") + dialect.name + ")",
              [&] { return config_round_trip(subject, dialect.value); });
  run_check(report, kind, name, "gradients against finite differences",
            [&] { return check_layer_gradients(subject).problem; });
  shift_weights(*subject.model);
  const fs::path dir = scratch / file_name_for(name);
  fs::create_directories(dir);
  check_formats(subject, kind, name, sample, dir, report);
  std::error_code ignored;
  fs::remove_all(dir, ignored);
}

}  // namespace

void check_layer_class(const ClassEntry& entry, const Json& sample, const fs::path& scratch, Report& report) {
  check_through_layer(std::string(kind_name(entry.kind)), entry.registered_name(), entry.registered_name(), sample,
                      scratch, report);
}

void check_object_class(const ClassEntry& entry, const Json& sample, const fs::path& scratch, Report& report) {
  Json user = object_user_sample(entry, sample);
  if (sample.contains("not_in_formats")) user["not_in_formats"] = sample["not_in_formats"];
  check_through_layer(std::string(kind_name(entry.kind)), entry.registered_name(), "Dense", user, scratch, report);
}

}  // namespace ksave::conformance
