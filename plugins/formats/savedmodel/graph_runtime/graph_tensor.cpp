#include "graph_tensor.hpp"

#include <cstring>

#include "ksave/error.hpp"
#include "ksave/tf/bundle.hpp"

namespace ksave::plugins::savedmodel {
namespace {

// Fills `out` from a typed value list: empty = zeros, shorter than the tensor = the last value
// repeated (TensorFlow's rule), longer = corrupt.
template <typename Out, typename List>
void fill_from_list(Tensor& out, const List& list, const std::string& where) {
  const auto count = static_cast<std::size_t>(out.size());
  if (static_cast<std::size_t>(list.size()) > count)
    throw Error(where + ": " + std::to_string(list.size()) + " values for a tensor of " + std::to_string(count) + " elements");
  Out* data = out.template data<Out>();
  for (std::size_t i = 0; i < count; ++i) {
    if (list.empty()) break;
    const auto& value = list[static_cast<int>(std::min<std::size_t>(i, static_cast<std::size_t>(list.size()) - 1))];
    data[i] = static_cast<Out>(value);
  }
}

void fill_strings(Tensor& out, const tfproto::TensorProto& proto, const std::string& where) {
  const auto count = static_cast<std::size_t>(out.size());
  const auto& list = proto.string_val();
  if (static_cast<std::size_t>(list.size()) > count)
    throw Error(where + ": " + std::to_string(list.size()) + " strings for a tensor of " + std::to_string(count) + " elements");
  auto& values = out.string_values();
  for (std::size_t i = 0; i < count && !list.empty(); ++i)
    values[i] = list[static_cast<int>(std::min<std::size_t>(i, static_cast<std::size_t>(list.size()) - 1))];
}

void fill_typed(Tensor& out, const tfproto::TensorProto& proto, const std::string& where) {
  switch (out.dtype()) {
    case DType::Float32: return fill_from_list<float>(out, proto.float_val(), where);
    case DType::Float64: return fill_from_list<double>(out, proto.double_val(), where);
    case DType::Int8: return fill_from_list<std::int8_t>(out, proto.int_val(), where);
    case DType::Int16: return fill_from_list<std::int16_t>(out, proto.int_val(), where);
    case DType::Int32: return fill_from_list<std::int32_t>(out, proto.int_val(), where);
    case DType::UInt8: return fill_from_list<std::uint8_t>(out, proto.int_val(), where);
    case DType::UInt16: return fill_from_list<std::uint16_t>(out, proto.int_val(), where);
    case DType::Int64: return fill_from_list<std::int64_t>(out, proto.int64_val(), where);
    case DType::UInt32: return fill_from_list<std::uint32_t>(out, proto.uint32_val(), where);
    case DType::UInt64: return fill_from_list<std::uint64_t>(out, proto.uint64_val(), where);
    case DType::Bool: return fill_from_list<bool>(out, proto.bool_val(), where);
    case DType::Float16:
    case DType::BFloat16: {  // half_val holds the raw bits of both 16-bit float types
      const DType type = out.dtype();
      Tensor bits(DType::UInt16, out.shape());
      fill_from_list<std::uint16_t>(bits, proto.half_val(), where);
      out = Tensor(type, out.shape(), bits.storage());
      return;
    }
    case DType::String: return fill_strings(out, proto, where);
  }
}

}  // namespace

std::optional<Shape> shape_from_proto(const tfproto::TensorShapeProto& shape, const std::string& where) {
  if (shape.unknown_rank()) return std::nullopt;
  Shape out;
  for (const auto& dim : shape.dim()) {
    if (dim.size() < kUnknown) throw Error(where + ": dimension " + std::to_string(dim.size()) + " is negative");
    out.push_back(dim.size());
  }
  return out;
}

Shape concrete_shape_from_proto(const tfproto::TensorShapeProto& proto, const std::string& where) {
  auto shape = shape_from_proto(proto, where);
  if (!shape) throw Error(where + ": the tensor has an unknown rank");
  for (Dim d : *shape)
    if (d < 0) throw Error(where + ": the tensor shape " + shape_to_string(*shape) + " has an unknown dimension");
  return *shape;
}

Tensor tensor_from_proto(const tfproto::TensorProto& proto, const std::string& where) {
  const DType dtype = tf::from_tf_dtype(proto.dtype(), where);
  const Shape shape = concrete_shape_from_proto(proto.tensor_shape(), where);
  std::int64_t count = 0;
  try {
    count = num_elements(shape);
  } catch (const Error&) {
    throw Error(where + ": the tensor shape " + shape_to_string(shape) + " is too large");
  }
  const std::size_t element_bytes = dtype == DType::String ? sizeof(std::string) : dtype_size(dtype);
  if (static_cast<std::uint64_t>(count) > kMaxProtoTensorBytes / element_bytes)
    throw Error(where + ": the tensor shape " + shape_to_string(shape) + " asks for more than " +
                std::to_string(kMaxProtoTensorBytes >> 20) + " MiB");
  Tensor out(dtype, shape);
  if (!proto.tensor_content().empty()) {
    if (dtype == DType::String) throw Error(where + ": a string tensor with tensor_content");
    if (proto.tensor_content().size() != out.nbytes())
      throw Error(where + ": tensor_content holds " + std::to_string(proto.tensor_content().size()) + " bytes, the shape " +
                  shape_to_string(shape) + " of " + std::string(dtype_name(dtype)) + " needs " + std::to_string(out.nbytes()));
    std::memcpy(out.raw_data(), proto.tensor_content().data(), out.nbytes());
    return out;
  }
  fill_typed(out, proto, where);
  return out;
}

TensorSpec tensor_spec_from_info(const tfproto::TensorInfo& info, const std::string& where) {
  TensorSpec spec;
  spec.tensor_name = info.name();
  spec.dtype = tf::from_tf_dtype(info.dtype(), where);
  spec.shape = shape_from_proto(info.tensor_shape(), where);
  return spec;
}

}  // namespace ksave::plugins::savedmodel
