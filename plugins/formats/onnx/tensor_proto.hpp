// ksave tensors and dtypes as ONNX TensorProtos and element types.
#pragma once

#include <string>

#include "ksave/tensor.hpp"
#include "ksave_onnx.pb.h"

namespace ksave::plugins::onnx_export {

namespace proto = ::ksave::onnxproto;

// ONNX's element type for a ksave dtype; throws naming the dtype when ONNX has none (strings).
proto::TensorProto::DataType onnx_type(DType dtype);
// ONNX's name of an element type ("float", "int64"), for descriptions.
std::string onnx_type_name(int elem_type);
// Bytes per element of an ONNX element type (0 when not fixed-size).
std::size_t onnx_type_size(int elem_type);
// The tensor as an initializer named `name`, its values in raw_data (little-endian).
proto::TensorProto to_tensor_proto(const Tensor& value, const std::string& name);

}  // namespace ksave::plugins::onnx_export
