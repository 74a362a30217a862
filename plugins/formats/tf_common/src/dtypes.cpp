// Mapping between ksave dtypes and TensorFlow's DataType numbers.
#include <array>
#include <utility>

#include "ksave/error.hpp"
#include "ksave/tf/bundle.hpp"

namespace ksave::tf {
namespace {

constexpr std::array<std::pair<DType, tfproto::DataType>, 14> kPairs{{
    {DType::Float16, tfproto::DT_HALF},   {DType::Float32, tfproto::DT_FLOAT},  {DType::Float64, tfproto::DT_DOUBLE},
    {DType::Int8, tfproto::DT_INT8},      {DType::Int16, tfproto::DT_INT16},    {DType::Int32, tfproto::DT_INT32},
    {DType::Int64, tfproto::DT_INT64},    {DType::UInt8, tfproto::DT_UINT8},    {DType::UInt16, tfproto::DT_UINT16},
    {DType::UInt32, tfproto::DT_UINT32},  {DType::UInt64, tfproto::DT_UINT64},  {DType::Bool, tfproto::DT_BOOL},
    {DType::String, tfproto::DT_STRING},  {DType::BFloat16, tfproto::DT_BFLOAT16},
}};

}  // namespace

tfproto::DataType to_tf_dtype(DType dtype) {
  for (const auto& [ours, theirs] : kPairs)
    if (ours == dtype) return theirs;
  throw Error("dtype '" + std::string(dtype_name(dtype)) + "' has no TensorFlow DataType");
}

DType from_tf_dtype(int tf_dtype, const std::string& where) {
  for (const auto& [ours, theirs] : kPairs)
    if (theirs == tf_dtype) return ours;
  throw Error(where + ": dtype " + tf_dtype_name(tf_dtype) + " is not supported by ksave tensors");
}

std::string tf_dtype_name(int tf_dtype) {
  // TensorFlow's DType.name for each enum value (reference types, 100+, name the base type).
  static const char* const kNames[] = {
      "invalid", "float32", "float64", "int32",  "uint8",   "int16",    "int8",    "string",
      "complex64", "int64", "bool",    "qint8",  "quint8",  "qint32",   "bfloat16", "qint16",
      "quint16", "uint16",  "complex128", "float16", "resource", "variant", "uint32", "uint64"};
  const int base = tf_dtype > 100 ? tf_dtype - 100 : tf_dtype;
  if (base >= 0 && base < static_cast<int>(std::size(kNames))) return kNames[base];
  return "DT_" + std::to_string(tf_dtype);
}

}  // namespace ksave::tf
