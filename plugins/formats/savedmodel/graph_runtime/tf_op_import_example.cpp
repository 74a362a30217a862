#include "tf_op_import_example.hpp"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <map>

#include "graph_tensor.hpp"
#include "ksave/error.hpp"
#include "ksave/tf/bundle.hpp"

namespace ksave::plugins::savedmodel {
namespace {

using google::protobuf::io::CodedInputStream;
using WireFormat = google::protobuf::internal::WireFormatLite;

// One feature's values: Feature { BytesList bytes_list = 1; FloatList float_list = 2;
// Int64List int64_list = 3; }, each list `repeated ... value = 1` (packed or not).
struct FeatureValues {
  int kind = 0;  // 1 bytes, 2 float, 3 int64
  std::vector<std::string> bytes;
  std::vector<float> floats;
  std::vector<std::int64_t> ints;
};

[[noreturn]] void corrupt(const std::string& where) { throw Error(where + ": a serialized tf.Example is corrupt"); }

// Reads a length-delimited field's bytes.
std::string read_bytes(CodedInputStream& in, const std::string& where) {
  std::uint32_t length = 0;
  std::string out;
  if (!in.ReadVarint32(&length) || !in.ReadString(&out, static_cast<int>(length))) corrupt(where);
  return out;
}

// Calls `take` with each field's tag; the fields it does not take (returns false) are skipped.
void for_each_field(const std::string& bytes, const std::string& where,
                    const std::function<bool(std::uint32_t tag, CodedInputStream& in)>& take) {
  CodedInputStream in(reinterpret_cast<const std::uint8_t*>(bytes.data()), static_cast<int>(bytes.size()));
  while (std::uint32_t tag = in.ReadTag())
    if (!take(tag, in) && !WireFormat::SkipField(&in, tag)) corrupt(where);
  if (in.CurrentPosition() != static_cast<int>(bytes.size())) corrupt(where);
}

float read_float(CodedInputStream& in, const std::string& where) {
  std::uint32_t bits = 0;
  if (!in.ReadLittleEndian32(&bits)) corrupt(where);
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

std::int64_t read_int(CodedInputStream& in, const std::string& where) {
  std::uint64_t v = 0;
  if (!in.ReadVarint64(&v)) corrupt(where);
  return static_cast<std::int64_t>(v);
}

// One value, or a packed run of them, of a FloatList (kind 2) or Int64List (kind 3).
void read_numbers(CodedInputStream& in, std::uint32_t tag, int kind, FeatureValues& values, const std::string& where) {
  const auto read_one = [&](CodedInputStream& from) {
    if (kind == 2) values.floats.push_back(read_float(from, where));
    else values.ints.push_back(read_int(from, where));
  };
  const auto wire = WireFormat::GetTagWireType(tag);
  if (wire == (kind == 2 ? WireFormat::WIRETYPE_FIXED32 : WireFormat::WIRETYPE_VARINT)) return read_one(in);
  if (wire != WireFormat::WIRETYPE_LENGTH_DELIMITED) corrupt(where);
  const std::string packed = read_bytes(in, where);
  CodedInputStream p(reinterpret_cast<const std::uint8_t*>(packed.data()), static_cast<int>(packed.size()));
  while (p.CurrentPosition() < static_cast<int>(packed.size())) read_one(p);
}

FeatureValues read_feature(const std::string& bytes, const std::string& where) {
  FeatureValues values;
  for_each_field(bytes, where, [&](std::uint32_t tag, CodedInputStream& in) {
    const int kind = static_cast<int>(WireFormat::GetTagFieldNumber(tag));
    if (kind < 1 || kind > 3 || WireFormat::GetTagWireType(tag) != WireFormat::WIRETYPE_LENGTH_DELIMITED) return false;
    values.kind = kind;
    for_each_field(read_bytes(in, where), where, [&](std::uint32_t value_tag, CodedInputStream& list) {
      if (WireFormat::GetTagFieldNumber(value_tag) != 1) return false;
      if (kind == 1) values.bytes.push_back(read_bytes(list, where));
      else read_numbers(list, value_tag, kind, values, where);
      return true;
    });
    return true;
  });
  return values;
}

// Example { Features features = 1; }, Features { map<string, Feature> feature = 1; }: the
// features among `wanted` (a key given twice: the last one wins, as in protobuf maps).
std::map<std::string, FeatureValues> read_example(const std::string& serialized, const std::vector<std::string>& wanted,
                                                  const std::string& where) {
  std::map<std::string, FeatureValues> out;
  const auto field_one = [](std::uint32_t tag) {
    return WireFormat::GetTagFieldNumber(tag) == 1 && WireFormat::GetTagWireType(tag) == WireFormat::WIRETYPE_LENGTH_DELIMITED;
  };
  for_each_field(serialized, where, [&](std::uint32_t tag, CodedInputStream& example) {
    if (!field_one(tag)) return false;
    for_each_field(read_bytes(example, where), where, [&](std::uint32_t entry_tag, CodedInputStream& features) {
      if (!field_one(entry_tag)) return false;
      std::string key, feature;
      for_each_field(read_bytes(features, where), where, [&](std::uint32_t t, CodedInputStream& entry) {
        const auto field = WireFormat::GetTagFieldNumber(t);
        if (WireFormat::GetTagWireType(t) != WireFormat::WIRETYPE_LENGTH_DELIMITED || (field != 1 && field != 2)) return false;
        (field == 1 ? key : feature) = read_bytes(entry, where);
        return true;
      });
      if (std::find(wanted.begin(), wanted.end(), key) != wanted.end()) out[key] = read_feature(feature, where);
      return true;
    });
    return true;
  });
  return out;
}

std::vector<std::string> string_list(std::span<const Tensor> tensors, const std::string& what, const std::string& where) {
  std::vector<std::string> out;
  for (const auto& t : tensors) {
    if (t.dtype() != DType::String) throw Error(where + ": " + what + " must be strings");
    for (const auto& s : t.string_values()) out.push_back(s);
  }
  return out;
}

// One dense feature of every example as a [batch, shape...] tensor.
Tensor dense_feature(const std::vector<std::map<std::string, FeatureValues>>& examples, const std::string& key, DType dtype,
                     const Shape& shape, const Tensor& fallback, const std::string& where) {
  const std::int64_t per_example = num_elements(shape);
  Shape out_shape{static_cast<Dim>(examples.size())};
  out_shape.insert(out_shape.end(), shape.begin(), shape.end());
  if (dtype != DType::Float32 && dtype != DType::Int64) throw Error(where + ": dense feature '" + key + "' of type " + std::string(dtype_name(dtype)) + " is not supported");
  Tensor out(dtype, out_shape);
  for (std::size_t b = 0; b < examples.size(); ++b) {
    auto it = examples[b].find(key);
    std::vector<double> values;
    if (it == examples[b].end()) {
      if (fallback.size() != per_example) throw Error(where + ": example " + std::to_string(b) + " has no feature '" + key + "', which has no default");
      values = fallback.to_vector<double>();
    } else if (dtype == DType::Float32 && it->second.kind == 2) {
      values.assign(it->second.floats.begin(), it->second.floats.end());
    } else if (dtype == DType::Int64 && it->second.kind == 3) {
      values.assign(it->second.ints.begin(), it->second.ints.end());
    } else {
      throw Error(where + ": feature '" + key + "' of example " + std::to_string(b) + " does not hold " + std::string(dtype_name(dtype)) + " values");
    }
    if (static_cast<std::int64_t>(values.size()) != per_example)
      throw Error(where + ": feature '" + key + "' of example " + std::to_string(b) + " has " + std::to_string(values.size()) +
                  " values, its shape " + shape_to_string(shape) + " needs " + std::to_string(per_example));
    for (std::int64_t i = 0; i < per_example; ++i) {
      const auto at = static_cast<std::size_t>(b) * static_cast<std::size_t>(per_example) + static_cast<std::size_t>(i);
      if (dtype == DType::Float32) out.data<float>()[at] = static_cast<float>(values[static_cast<std::size_t>(i)]);
      else out.data<std::int64_t>()[at] = static_cast<std::int64_t>(values[static_cast<std::size_t>(i)]);
    }
  }
  return out;
}

Tensors parse_example(const TfOpCall& call, bool v2) {
  const auto attr_int = [&](const char* name) {
    const auto* a = find_attr(call.node, name);
    return a ? a->i() : 0;
  };
  const auto* tdense = find_attr(call.node, "Tdense");
  const auto* dense_shapes = find_attr(call.node, "dense_shapes");
  const int dense_count = tdense ? tdense->list().type_size() : 0;
  if ((v2 ? attr_int("num_sparse") : attr_int("Nsparse")) != 0) throw Error(call.where + ": sparse features are not supported");
  if (const auto* ragged = find_attr(call.node, "ragged_value_types"); ragged && ragged->list().type_size() > 0)
    throw Error(call.where + ": ragged features are not supported");
  if (!dense_shapes || dense_shapes->list().shape_size() != dense_count) throw Error(call.where + ": dense_shapes does not match Tdense");
  // Inputs: serialized, names, [sparse keys], dense keys, [ragged keys (v2)], dense defaults.
  const std::size_t key_inputs = v2 ? 1 : static_cast<std::size_t>(dense_count);
  const std::size_t first_dense_key = v2 ? 3 : 2, first_default = first_dense_key + key_inputs + (v2 ? 1 : 0);
  if (call.inputs.size() != first_default + static_cast<std::size_t>(dense_count))
    throw Error(call.where + ": expects " + std::to_string(first_default + static_cast<std::size_t>(dense_count)) + " inputs, found " +
                std::to_string(call.inputs.size()));
  const std::vector<std::string> keys = string_list(call.inputs.subspan(first_dense_key, key_inputs), "dense keys", call.where);
  if (keys.size() != static_cast<std::size_t>(dense_count)) throw Error(call.where + ": " + std::to_string(keys.size()) + " dense keys for " + std::to_string(dense_count) + " dense types");
  const Tensor& serialized = call.inputs[0];
  if (serialized.dtype() != DType::String || serialized.rank() > 1) throw Error(call.where + ": serialized examples must be a string vector");
  std::vector<std::map<std::string, FeatureValues>> examples;
  for (const auto& s : serialized.string_values()) examples.push_back(read_example(s, keys, call.where));
  Tensors out;
  for (int k = 0; k < dense_count; ++k) {
    const std::string where = call.where + " dense feature '" + keys[static_cast<std::size_t>(k)] + "'";
    const DType dtype = tf::from_tf_dtype(tdense->list().type(k), where);
    const Shape shape = concrete_shape_from_proto(dense_shapes->list().shape(k), where);
    Tensor dense = dense_feature(examples, keys[static_cast<std::size_t>(k)], dtype, shape, call.inputs[first_default + static_cast<std::size_t>(k)], where);
    if (serialized.rank() == 0) dense = dense.reshape(shape);
    out.push_back(dense);
  }
  return out;
}

}  // namespace

TfOpImporter parse_example_importer(bool v2) {
  return {[v2](const TfOpCall& call) { return parse_example(call, v2); }, {}};
}

}  // namespace ksave::plugins::savedmodel
