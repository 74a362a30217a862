// Thread-local state behind CustomObjectScope and CustomObjectsArgument, read by the registry.
#pragma once

#include <vector>

#include "ksave/custom_objects.hpp"

namespace ksave::detail {

const std::vector<CustomObjects>& active_scopes();  // outermost first
const CustomObjects* active_argument();             // innermost call's custom_objects, or null

}  // namespace ksave::detail
