#include "release_files.hpp"

#include <fstream>
#include <optional>

#include "comparison.hpp"
#include "formats.hpp"
#include "guarded.hpp"
#include "layer_subject.hpp"
#include "subjects.hpp"
#include "ksave/error.hpp"
#include "ksave/npy.hpp"
#include "ksave/saving.hpp"

namespace ksave::conformance {
namespace fs = std::filesystem;
namespace {

// A model standing for one class, and the inputs its outputs are recorded on. An optimizer's
// model is compared after one more training step, so its state is what the check reads.
struct ReleaseModel {
  ModelPtr model;
  Tensors inputs;
  bool after_one_step = false;
};

std::optional<ReleaseModel> release_model(const PluginUnderTest& plugin, const ClassEntry& entry) {
  const Json sample = sample_for(plugin, entry.kind, entry.class_name);
  switch (entry.kind) {
    case Kind::Layer:
    case Kind::Model:
    case Kind::Activation:
    case Kind::Initializer:
    case Kind::Regularizer:
    case Kind::Constraint: {
      const bool is_layer = entry.kind == Kind::Layer || entry.kind == Kind::Model;
      LayerSubject subject = is_layer ? make_layer_subject(entry.registered_name(), sample)
                                      : make_layer_subject("Dense", object_user_sample(entry, sample));
      shift_weights(*subject.model);
      return ReleaseModel{subject.model, subject.data, false};
    }
    case Kind::Optimizer:
      return ReleaseModel{trained_model({{"class_name", entry.registered_name()}, {"config", sample.value("config", Json::object())}}),
                          {training_data().x}, true};
    case Kind::Format:
      return ReleaseModel{trained_model({{"class_name", "Adam"}, {"config", {{"learning_rate", 0.01}}}}), {training_data().x}, false};
    default:
      return std::nullopt;  // losses, metrics, ops: no file of their own
  }
}

Tensors outputs_of(ReleaseModel& subject) {
  if (subject.after_one_step) train_one_step(*subject.model);
  return subject.model->predict_on_batch(subject.inputs);
}

Json write_tensors(const Tensors& tensors, const fs::path& dir, const std::string& stem) {
  Json names = Json::array();
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const std::string name = stem + "_" + std::to_string(i) + ".npy";
    write_npy(dir / name, tensors[i]);
    names.push_back(name);
  }
  return names;
}

Tensors read_tensors(const Json& names, const fs::path& dir) {
  Tensors tensors;
  for (const Json& name : names) tensors.push_back(read_npy(dir / name.get<std::string>()));
  return tensors;
}

std::vector<FormatPtr> formats_for(const PluginUnderTest& plugin, const ClassEntry& entry) {
  const Json sample = sample_for(plugin, entry.kind, entry.class_name);
  std::vector<FormatPtr> out;
  for (const FormatPtr& format : registered_formats()) {
    if (!declared_not_in_format(sample, format->name()).empty()) continue;
    const bool own = entry.kind == Kind::Format && format->name() == entry.registered_name();
    if (saves_models(*format) && format->traits().holds_values && (entry.kind != Kind::Format || own))
      out.push_back(format);
  }
  return out;
}

Json read_manifest(const fs::path& dir) {
  std::ifstream in(dir / "manifest.json");
  if (!in) throw Error("ksave conform --against: no manifest.json in " + dir.string() + " (written by --write)");
  try {
    return Json::parse(in);
  } catch (const std::exception& e) {
    throw Error("ksave conform --against: " + (dir / "manifest.json").string() + " is not JSON: " + e.what());
  }
}

bool still_registered(const PluginUnderTest& plugin, const std::string& kind, const std::string& name) {
  for (const ClassRef& entry : plugin.classes)
    if (kind_name(entry->kind) == kind && entry->registered_name() == name) return true;
  return false;
}

}  // namespace

void write_release_files(const PluginUnderTest& plugin, const fs::path& dir, Report& report) {
  fs::create_directories(dir);
  Json files = Json::array();
  for (const ClassRef& entry : plugin.classes) {
    const std::string kind(kind_name(entry->kind)), name = entry->registered_name();
    for (const FormatPtr& format : formats_for(plugin, *entry))
      run_check(report, kind, name, "written for later releases (" + format->name() + ")", [&] {
        std::optional<ReleaseModel> subject = release_model(plugin, *entry);
        if (!subject) return std::string();
        const fs::path folder = dir / (kind + "_" + file_name_for(name));
        fs::create_directories(folder);
        const fs::path path = model_path(folder, "model", *format);
        SaveOptions options;
        options.format = format->name();
        save_model(*subject->model, path, options);
        const std::string stem = format->name();
        Json record{{"kind", kind}, {"class_name", name}, {"format", format->name()},
                    {"path", fs::relative(path, dir).string()}, {"after_one_step", subject->after_one_step},
                    {"inputs", write_tensors(subject->inputs, folder, stem + "_input")},
                    {"outputs", write_tensors(outputs_of(*subject), folder, stem + "_output")}};
        for (Json* list : {&record["inputs"], &record["outputs"]})
          for (Json& file : *list) file = fs::relative(folder / file.get<std::string>(), dir).string();
        files.push_back(std::move(record));
        return std::string();
      });
  }
  std::ofstream out(dir / "manifest.json");
  out << Json{{"plugin", plugin.name}, {"version", plugin.version}, {"files", files}}.dump(2) << "\n";
  if (!out) throw Error("ksave conform --write: cannot write " + (dir / "manifest.json").string());
}

void check_release_files(const PluginUnderTest& plugin, const fs::path& dir, Report& report) {
  const Json manifest = read_manifest(dir);
  const std::string release = manifest.value("plugin", std::string("?")) + " " + manifest.value("version", std::string("?"));
  for (const Json& file : manifest.at("files")) {
    const std::string kind = file.at("kind"), name = file.at("class_name");
    run_check(report, kind, name, "reads " + release + "'s " + file.at("format").get<std::string>() + " file", [&] {
      if (!still_registered(plugin, kind, name)) return "release " + release + " registered it; this plugin does not";
      const ModelPtr model = load_model(dir / file.at("path").get<std::string>());
      ReleaseModel subject{model, read_tensors(file.at("inputs"), dir), file.value("after_one_step", false)};
      // Another release may compute in another order: close, not bit for bit.
      return outputs_close(read_tensors(file.at("outputs"), dir), outputs_of(subject));
    });
  }
}

}  // namespace ksave::conformance
