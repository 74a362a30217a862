// Format classes: a trained model (config, weights, optimizer state) saved to a path that its
// endings pick, recognized by its content, read back as it was written; weights the same way.
#include <filesystem>

#include "checks.hpp"
#include "comparison.hpp"
#include "formats.hpp"
#include "guarded.hpp"
#include "subjects.hpp"
#include "ksave/saving.hpp"

namespace ksave::conformance {
namespace fs = std::filesystem;
namespace {

const Json& reference_optimizer() {
  static const Json adam{{"class_name", "Adam"}, {"config", {{"learning_rate", 0.01}}}};
  return adam;
}

// "" when every ending picks the format (the longest matching ending wins, so another format
// may not claim a longer one of ours).
std::string endings_pick(const Format& format, const std::vector<std::string>& endings,
                         std::string (*format_for)(const fs::path&), const char* what) {
  for (const std::string& ending : endings)
    if (const std::string picked = format_for("file" + ending); picked != format.name())
      return std::string("a ") + what + " path ending in '" + ending + "' picks format '" + picked + "'";
  return "";
}

std::string recognized(const Format& format, const fs::path& path) {
  const FormatPtr found = detect_format(path);
  if (!found) return "no format recognizes " + path.string();
  return found->name() == format.name() ? "" : path.string() + " is recognized as " + found->name();
}

SaveOptions in(const Format& format) {
  SaveOptions options;
  options.format = format.name();
  return options;
}

std::string model_read_back(const Format& format, Model& original, const fs::path& path) {
  save_model(original, path, in(format));
  if (std::string why = recognized(format, path); !why.empty()) return why;
  const ModelPtr loaded = load_model(path);
  if (std::string why = config_difference(original.get_config(), loaded->get_config()); !why.empty())
    return "model config: " + why;
  if (!format.traits().holds_values) return "";
  if (std::string why = weights_difference(original, *loaded); !why.empty()) return why;
  const Tensors x{training_data().x};
  return outputs_difference(original.predict_on_batch(x), loaded->predict_on_batch(x));
}

// An export-only format (ONNX): its file is written and recognized, and inspect describes it.
std::string model_exported(const Format& format, const Model& original, const fs::path& path) {
  save_model(original, path, in(format));
  if (std::string why = recognized(format, path); !why.empty()) return why;
  if (format.can(Capability::Inspect)) format.inspect(path);
  return "";
}

std::string weights_read_back(const Format& format, const Model& original, const fs::path& path) {
  save_weights(original, path, in(format));
  if (std::string why = recognized(format, path); !why.empty()) return why;
  const ModelPtr fresh = clone_model(original);
  load_weights(*fresh, path).expect_partial();
  return weights_difference(original, *fresh);
}

}  // namespace

void check_format_class(const ClassEntry& entry, const fs::path& scratch, Report& report) {
  const std::string kind(kind_name(entry.kind)), name = entry.registered_name();
  FormatPtr format;
  run_check(report, kind, name, "describes itself", [&] {
    format = entry.as<FormatFactory>()();
    if (format->name() != name) return "its name() is '" + format->name() + "'";
    if (!format->can(Capability::SaveModel) && !saves_weights(*format))
      return std::string("it neither saves models nor saves and loads weights");
    return std::string();
  });
  if (!format) return;
  const FormatTraits traits = format->traits();
  run_check(report, kind, name, "chosen by its endings", [&] {
    std::string why = endings_pick(*format, traits.model_endings, format_for_model_path, "model");
    return why.empty() ? endings_pick(*format, traits.weights_endings, format_for_weights_path, "weights") : why;
  });
  const fs::path dir = scratch / file_name_for(name);
  fs::create_directories(dir);
  const ModelPtr original = trained_model(reference_optimizer());
  if (saves_models(*format))
    run_check(report, kind, name, "a trained model read back",
              [&] { return model_read_back(*format, *original, model_path(dir, "model", *format)); });
  else if (format->can(Capability::SaveModel))
    run_check(report, kind, name, "a model exported",
              [&] { return model_exported(*format, *original, model_path(dir, "model", *format)); });
  if (saves_weights(*format))
    run_check(report, kind, name, "weights read back",
              [&] { return weights_read_back(*format, *original, weights_path(dir, "weights", *format)); });
  std::error_code ignored;
  fs::remove_all(dir, ignored);
}

}  // namespace ksave::conformance
