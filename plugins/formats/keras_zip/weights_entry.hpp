// model.weights.h5, the variables of a .keras archive, read with its CRC-32 checked as libzip
// checks the entries it reads: no load of a damaged entry succeeds.
#pragma once

#include <functional>

#include "hdf5_handle.hpp"
#include "zip_archive.hpp"

namespace ksave::plugins::keras_zip {

// The entry's name in the archive.
inline constexpr const char* kWeightsEntry = "model.weights.h5";

// When the CRC-32 is checked.
enum class EntryCheck {
  // Before libhdf5 reads a byte: for reads that change what the caller keeps (load_weights into
  // the caller's model), which a damaged entry must leave as it was.
  BeforeReading,
  // For a large entry, from the reads themselves, after them: for reads into a new model that a
  // failure throws away (load_model), which then read the entry's bytes once instead of twice.
  FromTheReadsWhenLarge,
};

// Runs `read` on the archive's model.weights.h5, the caller holding h5::hdf5_lock(). Throws
// ksave::Error naming the archive and the entry when the entry is absent, not HDF5 or damaged; a
// failure of `read` on an entry whose CRC-32 is wrong is reported as that damage.
void read_weights_entry(const ZipReader& zip, EntryCheck check, const std::function<void(const h5::File&)>& read);

}  // namespace ksave::plugins::keras_zip
