#include "conformance.hpp"

#include "checks.hpp"
#include "plugin_classes.hpp"
#include "release_files.hpp"

namespace ksave::conformance {

Report run_conformance(const ConformOptions& options) {
  const PluginUnderTest plugin = load_plugin_under_test(options.plugin);
  Report report;
  for (const ClassRef& entry : plugin.classes) {
    const Json sample = sample_for(plugin, entry->kind, entry->class_name);
    if (sample.contains("refused")) {
      check_refused_class(*entry, sample, report);
      continue;
    }
    switch (entry->kind) {
      case Kind::Layer:
      case Kind::Model: check_layer_class(*entry, sample, options.scratch, report); break;
      case Kind::Optimizer: check_optimizer_class(*entry, sample, options.scratch, report); break;
      case Kind::Activation:
      case Kind::Initializer:
      case Kind::Regularizer:
      case Kind::Constraint: check_object_class(*entry, sample, options.scratch, report); break;
      case Kind::Format: check_format_class(*entry, options.scratch, report); break;
      case Kind::Loss:
      case Kind::Metric:
      case Kind::Op: break;  // checked through the layers and models that use them
    }
  }
  if (options.write_dir) write_release_files(plugin, *options.write_dir, report);
  if (options.against_dir) check_release_files(plugin, *options.against_dir, report);
  return report;
}

}  // namespace ksave::conformance
