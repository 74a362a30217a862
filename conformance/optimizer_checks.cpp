// Optimizer classes: the config round trip, the training state through every format that holds
// it, and one step after the reload equal, bit for bit, to one more step of the original.
#include <filesystem>

#include "checks.hpp"
#include "comparison.hpp"
#include "formats.hpp"
#include "guarded.hpp"
#include "subjects.hpp"
#include "ksave/optimizer.hpp"
#include "ksave/registry.hpp"
#include "ksave/saving.hpp"
#include "ksave/serialization.hpp"

namespace ksave::conformance {
namespace fs = std::filesystem;
namespace {

std::string state_difference(const Optimizer& expected, const Optimizer& found) {
  if (found.class_name() != expected.class_name())
    return "the optimizer read back is a " + found.class_name() + ", expected " + expected.class_name();
  const auto want = expected.variables(), got = found.variables();
  if (want.size() != got.size())
    return std::to_string(got.size()) + " optimizer variables read back, expected " + std::to_string(want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (got[i]->name() != want[i]->name())
      return "optimizer variable " + std::to_string(i) + " is '" + got[i]->name() + "', expected '" + want[i]->name() + "'";
    if (!same_bytes(got[i]->value(), want[i]->value())) return "optimizer variable '" + want[i]->name() + "' differs";
  }
  return "";
}

// The state read back, then one more step on both: the reloaded model goes on exactly where the
// original stopped.
std::string resumes_exactly(Model& original, Model& reloaded) {
  if (!reloaded.optimizer()) return "the model read back has no optimizer";
  if (std::string why = state_difference(*original.optimizer(), *reloaded.optimizer()); !why.empty()) return why;
  train_one_step(original);
  train_one_step(reloaded);
  const std::string why = weights_difference(original, reloaded);
  return why.empty() ? "" : "one step after the reload: " + why;
}

bool holds_state(const Optimizer& optimizer) {
  return optimizer.iterations()->value().data<std::int64_t>()[0] != 0;
}

}  // namespace

void check_optimizer_class(const ClassEntry& entry, const Json& sample, const fs::path& scratch, Report& report) {
  const std::string kind(kind_name(entry.kind)), name = entry.registered_name();
  const Json optimizer{{"class_name", name}, {"config", sample.value("config", Json::object())}};
  ModelPtr reference;
  run_check(report, kind, name, "trains", [&] {
    reference = trained_model(optimizer);
    return holds_state(*reference->optimizer()) ? "" : "three steps left its iterations at 0";
  });
  if (!reference) return;
  run_check(report, kind, name, "config round trip", [&] {
    const Json config = reference->optimizer()->get_config();
    const Json again = Registry::global().require(Kind::Optimizer, name)->as<OptimizerFactory>()(config)->get_config();
    return config_difference(config, again);
  });
  const fs::path dir = scratch / file_name_for(name);
  fs::create_directories(dir);
  for (const FormatPtr& format : registered_formats()) {
    SaveOptions options;
    options.format = format->name();
    if (saves_models(*format) && format->traits().holds_values)
      run_check(report, kind, name, "training state in a " + format->name() + " model file", [&] {
        const ModelPtr original = trained_model(optimizer);
        const fs::path path = model_path(dir, "model", *format);
        save_model(*original, path, options);
        const ModelPtr reloaded = load_model(path);
        return resumes_exactly(*original, *reloaded);
      });
    if (saves_weights(*format)) {
      const ModelPtr original = trained_model(optimizer);
      const fs::path path = weights_path(dir, "weights", *format);
      ModelPtr fresh;
      run_check(report, kind, name, "weights file " + format->name() + " read into a fresh model", [&] {
        save_weights(*original, path, options);
        fresh = clone_model(*original);
        fresh->compile(optimizer, "mean_squared_error");
        load_weights(*fresh, path).expect_partial();
        return weights_difference(*original, *fresh);
      });
      if (fresh && holds_state(*fresh->optimizer()))
        run_check(report, kind, name, "training state in a " + format->name() + " weights file",
                  [&] { return resumes_exactly(*original, *fresh); });
    }
  }
  std::error_code ignored;
  fs::remove_all(dir, ignored);
}

}  // namespace ksave::conformance
