// FarmHash's Fingerprint64 (farmhashna::Hash64, FarmHash 1.1), the hash of
// tf.strings.to_hash_bucket_fast and so of Keras's Hashing layer without a salt. A fingerprint is
// fixed forever by FarmHash's specification (unlike farmhash::Hash64, which may pick another
// variant per platform), which is what makes the buckets of a saved model portable.
#pragma once

#include <cstdint>
#include <string_view>

namespace ksave::plugins::preprocessing {

std::uint64_t fingerprint64(std::string_view bytes);

}  // namespace ksave::plugins::preprocessing
