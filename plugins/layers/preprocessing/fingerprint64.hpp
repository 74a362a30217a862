// FarmHash's Fingerprint64 (farmhashna::Hash64, FarmHash 1.1), the hash of
// tf.strings.to_hash_bucket_fast and so of Keras's Hashing layer without a salt. A fingerprint is
// fixed forever by FarmHash's specification (unlike farmhash::Hash64, which may pick another
// variant per platform), which is what makes the buckets of a saved model portable.
#pragma once

#include <cstdint>
#include <string_view>

namespace ksave::plugins::preprocessing {

std::uint64_t fingerprint64(std::string_view bytes);

// TensorFlow's FingerprintCat64 (tensorflow/core/platform/fingerprint.h), which
// tf.sparse.cross_hashed folds each feature's hash into, from kCrossHashKey (its hash_key=None).
std::uint64_t fingerprint_cat64(std::uint64_t fp1, std::uint64_t fp2);
inline constexpr std::uint64_t kCrossHashKey = 0xDECAFCAFFEULL;

}  // namespace ksave::plugins::preprocessing
