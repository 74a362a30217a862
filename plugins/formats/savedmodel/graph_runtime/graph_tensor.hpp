// TensorFlow's tensor messages as ksave tensors: TensorProto values (Const nodes, signature
// defaults), TensorShapeProto shapes and TensorInfo specs, with every size read from the file
// checked before anything is allocated.
#pragma once

#include <optional>
#include <string>

#include "ksave/loaded_functions.hpp"
#include "ksave_tf_saved_model.pb.h"

namespace ksave::plugins::savedmodel {

// Largest tensor a TensorProto may expand to (a short value list repeats its last value, so a
// few bytes in the file can ask for any size).
inline constexpr std::size_t kMaxProtoTensorBytes = std::size_t{1} << 30;

// The shape, or nullopt for unknown rank; `where` names the message for errors.
std::optional<Shape> shape_from_proto(const tfproto::TensorShapeProto& shape, const std::string& where);
// A fully known shape (no unknown rank or dimension, no negative size).
Shape concrete_shape_from_proto(const tfproto::TensorShapeProto& shape, const std::string& where);

// The value of a TensorProto: tensor_content or the typed value list.
Tensor tensor_from_proto(const tfproto::TensorProto& proto, const std::string& where);

TensorSpec tensor_spec_from_info(const tfproto::TensorInfo& info, const std::string& where);

}  // namespace ksave::plugins::savedmodel
