// Keras 3's adaptive pooling layers (adaptive_pooling.cpp), registered by the pooling plugin.
#pragma once

#include "ksave/plugin.hpp"

namespace ksave::plugins {

void register_adaptive_pooling(PluginRegistrar& r);

}  // namespace ksave::plugins
