// SipHash-2-4 (Aumasson and Bernstein, 2012) with a 128-bit key given as two 64-bit halves: the
// hash of tf.strings.to_hash_bucket_strong (TensorFlow's StrongKeyedHash, highwayhash's SipHash),
// and so of Keras's Hashing layer with a salt: the salt's two integers are the key.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace ksave::plugins::preprocessing {

std::uint64_t siphash24(const std::array<std::uint64_t, 2>& key, std::string_view bytes);

}  // namespace ksave::plugins::preprocessing
