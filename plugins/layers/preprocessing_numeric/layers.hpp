// The numeric preprocessing layers of this plugin, each registered by its own file.
#pragma once

#include "ksave/plugin.hpp"

namespace ksave::plugins {

void register_rescaling(PluginRegistrar& r);
void register_normalization(PluginRegistrar& r);

}  // namespace ksave::plugins
