#include "weights_entry.hpp"

#include "entry_crc.hpp"
#include "entry_crc_from_reads.hpp"
#include "ksave/error.hpp"

namespace ksave::plugins::keras_zip {
namespace {

// Up to this size an entry is always checked before libhdf5 sees a byte of it (a second read of
// 8 MiB costs ~2 ms).
constexpr std::uint64_t kCheckFirstUpTo = 8 << 20;

}  // namespace

void read_weights_entry(const ZipReader& zip, EntryCheck when, const std::function<void(const h5::File&)>& read) {
  const std::filesystem::path name = zip.path() / kWeightsEntry;  // how messages name it
  const auto span = zip.stored_span(kWeightsEntry);
  if (!span) {
    // Compressed (or not found in place): libzip reads it whole into memory and checks it.
    read(h5::File::open_image(zip.require(kWeightsEntry, "the model's variables"), name));
    return;
  }
  // Read in place: a copy in memory would hold the weights twice while they load.
  if (when == EntryCheck::BeforeReading || span->size <= kCheckFirstUpTo) {
    require_entry_crc32(zip.path(), kWeightsEntry, file_range_crc32(zip.path(), span->offset, span->size), span->crc32);
    read(h5::File::open_range(zip.path(), span->offset, span->size, name));
    return;
  }
  EntryCrcFromReads check(zip.path(), span->offset, span->size);
  try {
    read(h5::File::open_range(zip.path(), span->offset, span->size, name, &check));
  } catch (const Error&) {
    // libhdf5 saw the damage first: the damage is what to report.
    require_entry_crc32(zip.path(), kWeightsEntry, check.crc32(), span->crc32);
    throw;
  }
  require_entry_crc32(zip.path(), kWeightsEntry, check.crc32(), span->crc32);
}

}  // namespace ksave::plugins::keras_zip
