// What an error about a name nothing resolves can add so that the reader can fix it.
#pragma once

#include <string>

#include "ksave/class_entry.hpp"

namespace ksave {

// The package-qualified names under which a class of this plain name is registered, as
// " ('MyPkg>ScaledDense' is registered under a package: a config must name it so)"; empty when
// there are none. Keras resolves a registered class only by its "Package>Name", so a config
// that names the plain class (written by hand, or by code that registered no package) misses it.
std::string qualified_name_hint(Kind kind, const std::string& name);

}  // namespace ksave
