// Keras's encode_categorical_inputs for dense outputs, shared by the layers that turn ids into
// one_hot, multi_hot or count vectors (CategoryEncoding, Hashing, the lookups): one_hot takes
// ids of shape (batch,) or (batch, 1), multi_hot and count take (batch, n); every mode gives
// float32 (batch, depth). Ids must already lie in [0, depth).
#pragma once

#include <string>

#include "ksave/tensor.hpp"

namespace ksave::plugins::preprocessing {

// Whether `mode` is one of one_hot, multi_hot, count.
bool is_encoding_mode(const std::string& mode);
// `object` names the layer for errors ("layer 'hash' (Hashing)").
Tensor encode_categorical(Tensor ids, const std::string& mode, std::int64_t depth, const std::string& object);

}  // namespace ksave::plugins::preprocessing
