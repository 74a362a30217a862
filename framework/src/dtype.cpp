#include "ksave/dtype.hpp"

#include <array>
#include <utility>

#include "ksave/error.hpp"

namespace ksave {
namespace {

struct DTypeInfo {
  DType type;
  std::string_view name;
  std::size_t size;
};

constexpr std::array<DTypeInfo, 14> kInfo{{
    {DType::Float16, "float16", 2}, {DType::Float32, "float32", 4}, {DType::Float64, "float64", 8},
    {DType::Int8, "int8", 1},       {DType::Int16, "int16", 2},     {DType::Int32, "int32", 4},
    {DType::Int64, "int64", 8},     {DType::UInt8, "uint8", 1},     {DType::UInt16, "uint16", 2},
    {DType::UInt32, "uint32", 4},   {DType::UInt64, "uint64", 8},   {DType::Bool, "bool", 1},
    {DType::String, "string", 0},   {DType::BFloat16, "bfloat16", 2},
}};

const DTypeInfo& info(DType type) { return kInfo[static_cast<std::size_t>(type)]; }

}  // namespace

std::string_view dtype_name(DType type) { return info(type).name; }
std::size_t dtype_size(DType type) { return info(type).size; }

DType parse_dtype(std::string_view name) {
  for (const auto& i : kInfo)
    if (i.name == name) return i.type;
  // Spellings Keras and NumPy also accept.
  static const std::pair<std::string_view, DType> aliases[] = {
      {"float", DType::Float32}, {"half", DType::Float16}, {"double", DType::Float64},
      {"int", DType::Int32},     {"long", DType::Int64},   {"str", DType::String},
      {"boolean", DType::Bool},
  };
  for (const auto& [alias, type] : aliases)
    if (alias == name) return type;
  throw Error("unknown dtype '" + std::string(name) +
              "' (expected float16/32/64, bfloat16, int8..int64, uint8..uint64, bool or string)");
}

bool is_floating(DType type) {
  return type == DType::Float16 || type == DType::BFloat16 || type == DType::Float32 || type == DType::Float64;
}

bool is_integer(DType type) {
  switch (type) {
    case DType::Int8: case DType::Int16: case DType::Int32: case DType::Int64:
    case DType::UInt8: case DType::UInt16: case DType::UInt32: case DType::UInt64:
      return true;
    default:
      return false;
  }
}

}  // namespace ksave
