#include "tensor_proto.hpp"

#include <bit>

namespace ksave::plugins::onnx_export {

proto::TensorProto::DataType onnx_type(DType dtype) {
  using T = proto::TensorProto;
  switch (dtype) {
    case DType::Float16: return T::FLOAT16;
    case DType::BFloat16: return T::BFLOAT16;
    case DType::Float32: return T::FLOAT;
    case DType::Float64: return T::DOUBLE;
    case DType::Int8: return T::INT8;
    case DType::Int16: return T::INT16;
    case DType::Int32: return T::INT32;
    case DType::Int64: return T::INT64;
    case DType::UInt8: return T::UINT8;
    case DType::UInt16: return T::UINT16;
    case DType::UInt32: return T::UINT32;
    case DType::UInt64: return T::UINT64;
    case DType::Bool: return T::BOOL;
    case DType::String: break;
  }
  throw Error("ONNX export: " + std::string(dtype_name(dtype)) + " tensors have no ONNX element type here");
}

std::string onnx_type_name(int elem_type) {
  switch (elem_type) {
    case proto::TensorProto::FLOAT: return "float";
    case proto::TensorProto::UINT8: return "uint8";
    case proto::TensorProto::INT8: return "int8";
    case proto::TensorProto::UINT16: return "uint16";
    case proto::TensorProto::INT16: return "int16";
    case proto::TensorProto::INT32: return "int32";
    case proto::TensorProto::INT64: return "int64";
    case proto::TensorProto::STRING: return "string";
    case proto::TensorProto::BOOL: return "bool";
    case proto::TensorProto::FLOAT16: return "float16";
    case proto::TensorProto::DOUBLE: return "double";
    case proto::TensorProto::UINT32: return "uint32";
    case proto::TensorProto::UINT64: return "uint64";
    case proto::TensorProto::BFLOAT16: return "bfloat16";
    default: return "type " + std::to_string(elem_type);
  }
}

std::size_t onnx_type_size(int elem_type) {
  switch (elem_type) {
    case proto::TensorProto::UINT8:
    case proto::TensorProto::INT8:
    case proto::TensorProto::BOOL: return 1;
    case proto::TensorProto::UINT16:
    case proto::TensorProto::INT16:
    case proto::TensorProto::FLOAT16:
    case proto::TensorProto::BFLOAT16: return 2;
    case proto::TensorProto::FLOAT:
    case proto::TensorProto::INT32:
    case proto::TensorProto::UINT32: return 4;
    case proto::TensorProto::INT64:
    case proto::TensorProto::DOUBLE:
    case proto::TensorProto::UINT64: return 8;
    default: return 0;
  }
}

proto::TensorProto to_tensor_proto(const Tensor& value, const std::string& name) {
  proto::TensorProto t;
  t.set_name(name);
  t.set_data_type(onnx_type(value.dtype()));
  for (Dim d : value.shape()) t.add_dims(d);
  // raw_data is little-endian; ksave stores elements in the host order.
  static_assert(std::endian::native == std::endian::little, "raw_data is written in the host byte order");
  t.set_raw_data(value.raw_data(), value.nbytes());
  return t;
}

}  // namespace ksave::plugins::onnx_export
