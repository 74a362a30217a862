// Element types a tensor can hold. Compute happens in float32; the other types exist because
// real Keras and TensorFlow files store them (int64 iteration counters, uint16 Embedding
// inputs, string object graphs, float16 and bfloat16 weights of mixed-precision models).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ksave {

enum class DType : std::uint8_t {
  Float16, Float32, Float64,
  Int8, Int16, Int32, Int64,
  UInt8, UInt16, UInt32, UInt64,
  Bool, String,
  BFloat16,  // last, so that the older types keep their values
};

// Keras spelling: "float32", "int64", "bool", "string".
std::string_view dtype_name(DType type);
// Accepts Keras/NumPy spellings ("float32", "float", "int", "uint16", "bool", "string", "bfloat16").
// Throws ksave::Error naming the unknown spelling.
DType parse_dtype(std::string_view name);
// Bytes per element; 0 for String (strings are stored as std::string objects).
std::size_t dtype_size(DType type);
bool is_floating(DType type);
bool is_integer(DType type);

// Maps a C++ element type to its DType at compile time.
template <typename T> struct dtype_of;
template <> struct dtype_of<float> { static constexpr DType value = DType::Float32; };
template <> struct dtype_of<double> { static constexpr DType value = DType::Float64; };
template <> struct dtype_of<std::int8_t> { static constexpr DType value = DType::Int8; };
template <> struct dtype_of<std::int16_t> { static constexpr DType value = DType::Int16; };
template <> struct dtype_of<std::int32_t> { static constexpr DType value = DType::Int32; };
template <> struct dtype_of<std::int64_t> { static constexpr DType value = DType::Int64; };
template <> struct dtype_of<std::uint8_t> { static constexpr DType value = DType::UInt8; };
template <> struct dtype_of<std::uint16_t> { static constexpr DType value = DType::UInt16; };
template <> struct dtype_of<std::uint32_t> { static constexpr DType value = DType::UInt32; };
template <> struct dtype_of<std::uint64_t> { static constexpr DType value = DType::UInt64; };
template <> struct dtype_of<bool> { static constexpr DType value = DType::Bool; };
template <> struct dtype_of<std::string> { static constexpr DType value = DType::String; };
template <typename T> inline constexpr DType dtype_v = dtype_of<T>::value;

}  // namespace ksave
