#include "hash_ops.hpp"

#include <array>

#include "fingerprint64.hpp"
#include "ksave/op.hpp"
#include "ksave/tf/op_signature.hpp"
#include "siphash.hpp"

namespace ksave::plugins::preprocessing {
namespace {

const Tensor& only_input(std::span<const Tensor> inputs, const char* op) {
  if (inputs.size() != 1) throw Error(std::string(op) + ": expects 1 input, found " + std::to_string(inputs.size()));
  return inputs[0];
}

// Only integers: TensorFlow's AsString formats floats with printf rules ksave does not copy, and
// Hashing never asks for them (Keras 3 casts floats to int64 first).
Tensors as_string(std::span<const Tensor> inputs, const Attrs&) {
  const Tensor& x = only_input(inputs, "AsString");
  if (!is_integer(x.dtype()))
    throw Error("AsString: formats integers only, found " + std::string(dtype_name(x.dtype())));
  std::vector<std::string> text(static_cast<std::size_t>(x.size()));
  if (x.dtype() == DType::UInt64) {
    for (std::size_t i = 0; i < text.size(); ++i) text[i] = std::to_string(x.data<std::uint64_t>()[i]);
  } else {
    const Tensor wide = x.dtype() == DType::Int64 ? x : x.cast(DType::Int64);
    for (std::size_t i = 0; i < text.size(); ++i) text[i] = std::to_string(wide.data<std::int64_t>()[i]);
  }
  return {Tensor::strings(text, x.shape())};
}

template <typename Hash>
Tensors hash_buckets(std::span<const Tensor> inputs, const Attrs& attrs, const char* op, Hash hash) {
  const Tensor& x = only_input(inputs, op);
  if (x.dtype() != DType::String) throw Error(std::string(op) + ": hashes strings, found " + std::string(dtype_name(x.dtype())));
  const std::int64_t buckets = attrs.get<std::int64_t>("num_buckets");
  if (buckets <= 0) throw Error(std::string(op) + ": num_buckets must be positive, found " + std::to_string(buckets));
  Tensor y(DType::Int64, x.shape());
  auto* out = y.data<std::int64_t>();
  for (std::size_t i = 0; i < x.string_values().size(); ++i)
    out[i] = static_cast<std::int64_t>(hash(x.string_values()[i]) % static_cast<std::uint64_t>(buckets));
  return {y};
}

Tensors to_hash_bucket_fast(std::span<const Tensor> inputs, const Attrs& attrs) {
  return hash_buckets(inputs, attrs, "StringToHashBucketFast", [](const std::string& s) { return fingerprint64(s); });
}

Tensors to_hash_bucket_strong(std::span<const Tensor> inputs, const Attrs& attrs) {
  const std::vector<std::int64_t>& key = attrs.get<std::vector<std::int64_t>>("key");
  if (key.size() != 2) throw Error("StringToHashBucketStrong: key must hold 2 integers, found " + std::to_string(key.size()));
  // TensorFlow reads the int64 attribute values as uint64 key halves.
  const std::array<std::uint64_t, 2> k{static_cast<std::uint64_t>(key[0]), static_cast<std::uint64_t>(key[1])};
  return hash_buckets(inputs, attrs, "StringToHashBucketStrong", [&](const std::string& s) { return siphash24(k, s); });
}

}  // namespace

void register_hash_ops(PluginRegistrar& r) {
  tf::OpSignature as_text;
  as_text.tf_op = "AsString";
  as_text.attrs = {{"precision", AttrValue{std::int64_t{-1}}}, {"scientific", AttrValue{false}}, {"shortest", AttrValue{false}},
                   {"width", AttrValue{std::int64_t{-1}}}, {"fill", AttrValue{std::string()}}};
  tf::register_traceable_op(r, OpDef{"AsString", "AsString", as_string, {}}, std::move(as_text));

  tf::OpSignature fast;
  fast.tf_op = "StringToHashBucketFast";
  fast.type_attr = "";
  fast.attrs = {{"num_buckets"}};
  tf::register_traceable_op(r, OpDef{"StringToHashBucketFast", "StringToHashBucketFast", to_hash_bucket_fast, {}}, std::move(fast));

  tf::OpSignature strong;
  strong.tf_op = "StringToHashBucketStrong";
  strong.type_attr = "";
  strong.attrs = {{"num_buckets"}, {"key"}};
  tf::register_traceable_op(r, OpDef{"StringToHashBucketStrong", "StringToHashBucketStrong", to_hash_bucket_strong, {}},
                            std::move(strong));
}

}  // namespace ksave::plugins::preprocessing
