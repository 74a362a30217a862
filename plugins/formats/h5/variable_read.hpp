// Reading a dataset into a model variable, shared by the h5 and keras (zip) format plugins.
#pragma once

#include "hdf5_handle.hpp"
#include "ksave/variable.hpp"

namespace ksave::plugins::h5 {

// Reads a dataset into the variable's own storage when nobody else shares it (no second copy
// of large weights), otherwise into a fresh tensor that replaces the variable's value, so that a
// value someone kept (a get_weights() result) is never written behind their back.
void read_into_variable(const Dataset& dataset, Variable& variable);

}  // namespace ksave::plugins::h5
