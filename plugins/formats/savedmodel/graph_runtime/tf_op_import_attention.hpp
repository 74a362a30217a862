// TensorFlow ops Keras 3's attention layers export: Einsum of two operands without ellipsis
// ("abc,cde->abde", EinsumDense and MultiHeadAttention), run as Transpose, Reshape and
// BatchMatMul; MatrixBandPart (the causal mask's tril), as a product with a 0/1 band.
#pragma once

#include <map>
#include <string>

#include "tf_op_import.hpp"

namespace ksave::plugins::savedmodel {

void add_attention_importers(std::map<std::string, TfOpImporter>& table);

}  // namespace ksave::plugins::savedmodel
