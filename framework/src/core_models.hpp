#pragma once

#include <vector>

#include "ksave/class_entry.hpp"

namespace ksave::detail {
// Registry entries for the layer and model classes defined in the core.
std::vector<ClassEntry> core_class_entries();
}  // namespace ksave::detail
