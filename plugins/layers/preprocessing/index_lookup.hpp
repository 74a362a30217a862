// StringLookup and IntegerLookup (index_lookup.cpp says how they compute); a StringLookup can
// also be made directly for the layers built on one (TextVectorization's lookup of its tokens).
#pragma once

#include "ksave/plugin.hpp"

namespace ksave::plugins::preprocessing {

LayerPtr make_string_lookup(const Json& config);

}  // namespace ksave::plugins::preprocessing
