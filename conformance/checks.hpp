// The checks, by kind of class. Each adds its outcomes to the report, one per check, and never
// throws for a failing class: the report names the class and the check instead.
#pragma once

#include <filesystem>

#include "plugin_classes.hpp"
#include "report.hpp"

namespace ksave::conformance {

// A class its plugin declares refused whatever its config: making it from {} must throw a
// ksave::Error.
void check_refused_class(const ClassEntry& entry, const Json& sample, Report& report);
// Layers and models: config round trip in every dialect, weights and config through every
// registered format (values shifted away from the initial ones), gradients.
void check_layer_class(const ClassEntry& entry, const Json& sample, const std::filesystem::path& scratch, Report& report);
// Training state through every format that holds it; one step after reload equal to the
// uninterrupted run.
void check_optimizer_class(const ClassEntry& entry, const Json& sample, const std::filesystem::path& scratch,
                           Report& report);
// Activations, initializers, regularizers, constraints: used by a Dense layer, through every
// format, and named the same on the way back.
void check_object_class(const ClassEntry& entry, const Json& sample, const std::filesystem::path& scratch, Report& report);
// A model (layers, optimizer state) saved and read back through the format, chosen by its
// endings from a path, recognized by its content.
void check_format_class(const ClassEntry& entry, const std::filesystem::path& scratch, Report& report);

}  // namespace ksave::conformance
