// A read-only HDF5 file driver over a byte range of a file. A Keras 3 `.keras` archive stores
// model.weights.h5 uncompressed; read through this driver, libhdf5 reads it where it lies, as it
// reads any file (pread into the variables' storage), instead of from a copy of the whole entry
// in memory, which made a load's peak memory twice the weights (issue 14).
#pragma once

#include <cstdint>

#include "hdf5_handle.hpp"

namespace ksave::plugins::h5 {

// A file access list under which H5Fopen reads the `size` bytes at `offset` of the file it
// names as a whole HDF5 file (read-only: opening for writing fails). An observer, when given,
// sees every byte the driver reads (it must outlive the file opened).
Id file_range_access_list(std::uint64_t offset, std::uint64_t size, RangeReadObserver* observer = nullptr);

}  // namespace ksave::plugins::h5
