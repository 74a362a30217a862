// Everything an application needs: include this one header.
#pragma once

#include "ksave/config.hpp"
#include "ksave/custom_objects.hpp"
#include "ksave/format.hpp"
#include "ksave/keras_tensor.hpp"
#include "ksave/layer.hpp"
#include "ksave/model.hpp"
#include "ksave/npy.hpp"
#include "ksave/ops.hpp"
#include "ksave/optimizer.hpp"
#include "ksave/plugin_loader.hpp"
#include "ksave/registry.hpp"
#include "ksave/saving.hpp"
#include "ksave/serialization.hpp"
#include "ksave/sublayer_config.hpp"
#include "ksave/tensor.hpp"
#include "ksave/threads.hpp"
