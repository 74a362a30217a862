// The TensorFlow ops Keras's Hashing layer is made of, as ksave ops declared with their
// TensorFlow signatures: a traced Hashing layer becomes the nodes tf-keras writes (AsString for
// integer inputs, then StringToHashBucketFast, or StringToHashBucketStrong with the salt as
// `key`), and a SavedModel's graph runs them back with these kernels.
//   AsString                  integers → their decimal text (TensorFlow's default attributes)
//   StringToHashBucketFast    strings → Fingerprint64(s) mod num_buckets, int64
//   StringToHashBucketStrong  strings → SipHash-2-4(key, s) mod num_buckets, int64
#pragma once

#include "ksave/plugin.hpp"

namespace ksave::plugins::preprocessing {

void register_hash_ops(PluginRegistrar& r);

}  // namespace ksave::plugins::preprocessing
