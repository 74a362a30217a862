// Hashing: each value to one of num_bins buckets, as tf-keras 2.x and Keras 3 compute it. Strings
// are hashed as they are, integers as their decimal text (tf.as_string; Keras 3 first truncates
// floats to int64); without a salt the hash is FarmHash's Fingerprint64
// (tf.strings.to_hash_bucket_fast), with one SipHash-2-4 keyed by the salt's two integers
// (to_hash_bucket_strong). A mask_value takes bucket 0 and the hashes the other num_bins - 1
// (shifted up by one). The ids are then returned (output_mode int) or encoded (one_hot,
// multi_hot, count).
#include <array>
#include <optional>
#include <variant>

#include "categorical.hpp"
#include "hash_ops.hpp"
#include "ksave/op.hpp"
#include "ksave/ops.hpp"
#include "preprocessing_layer.hpp"

namespace ksave::plugins::preprocessing {
namespace {

class Hashing : public PreprocessingLayer {
 public:
  explicit Hashing(const Json& config) : PreprocessingLayer(config, "Hashing") {
    num_bins_ = reader().require<std::int64_t>("num_bins");
    if (num_bins_ <= 0) throw Error(object() + ": num_bins must be positive, found " + std::to_string(num_bins_));
    mode_ = reader().get<std::string>("output_mode", "int");
    if (mode_ != "int" && !is_encoding_mode(mode_))
      throw Error(object() + ": output_mode '" + mode_ + "' is not supported (int, one_hot, multi_hot, count)");
    if (reader().get<bool>("sparse", false)) throw Error(object() + ": sparse outputs are not supported");
    read_salt();
    read_mask_value();
  }

 protected:
  // As tf-keras's _hash_values_to_bins: AsString for integers, the hash op, then the mask's
  // bucket 0 (the others shifted up by one). Through ksave ops, so that a SavedModel's traced
  // function holds the same nodes.
  Tensors call(const Tensors& inputs, const CallContext&) override {
    Tensor values = inputs.at(0);
    if (values.dtype() == DType::Bool) throw Error(object() + ": hashes strings and integers, found bool inputs");
    if (is_floating(values.dtype())) values = ops::cast(values, DType::Int64);  // Keras 3's rule for floats
    const bool masking = mask_.has_value() && num_bins_ > 1;
    // The mask is computed as data, not by ops (ksave's Equal compares numbers, not strings): a
    // graph tracer would freeze it, so tracing refuses it rather than write a wrong function.
    if (masking && !fused_ops_allowed())
      throw Error(object() + ": a mask_value cannot be traced into a SavedModel's functions yet; save as .keras or .h5, "
                             "or with save_traces=false");
    const Tensor text = values.dtype() == DType::String ? values : run_op("AsString", std::array{values}).at(0);
    Attrs attrs{{"num_buckets", masking ? num_bins_ - 1 : num_bins_}};
    if (salt_) attrs.set("key", std::vector<std::int64_t>{static_cast<std::int64_t>((*salt_)[0]), static_cast<std::int64_t>((*salt_)[1])});
    Tensor ids = run_op(salt_ ? "StringToHashBucketStrong" : "StringToHashBucketFast", std::array{text}, attrs).at(0);
    if (masking) ids = with_mask_bucket(values, text, ids);
    if (mode_ == "int") return {dtype() == DType::Int64 ? ids : ops::cast(ids, dtype())};
    return {encode_categorical(ids, mode_, num_bins_, object())};
  }
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override {
    Shape shape = shapes.at(0);
    if (mode_ == "int") return {shape};
    if (shape.size() >= 2) shape.pop_back();  // (batch, n) → (batch, num_bins); one_hot also takes (batch,)
    shape.push_back(num_bins_);
    return {shape};
  }
  DType output_dtype(const std::vector<DType>&) const override {
    if (mode_ == "int") return dtype();
    return is_floating(dtype()) ? dtype() : DType::Float32;
  }

 private:
  // salt: null (Fingerprint64), one integer (both key halves) or two.
  void read_salt() {
    const Json* salt = reader().find("salt");
    if (!salt || salt->is_null()) return;
    auto half = [&](const Json& v) -> std::uint64_t {
      if (v.is_number_unsigned()) return v.get<std::uint64_t>();
      if (v.is_number_integer()) return static_cast<std::uint64_t>(v.get<std::int64_t>());  // TensorFlow's cast
      throw Error(object() + ": salt must be an integer or two integers, found " + salt->dump());
    };
    if (salt->is_array()) {
      if (salt->size() != 2) throw Error(object() + ": salt must be an integer or two integers, found " + salt->dump());
      salt_ = std::array<std::uint64_t, 2>{half((*salt)[0]), half((*salt)[1])};
    } else {
      const std::uint64_t both = half(*salt);
      salt_ = std::array<std::uint64_t, 2>{both, both};
    }
  }
  // mask_value: null, a string (string inputs) or an integer (integer inputs).
  void read_mask_value() {
    const Json* mask = reader().find("mask_value");
    if (!mask || mask->is_null()) return;
    if (mask->is_string()) mask_ = mask->get<std::string>();
    else if (mask->is_number_integer()) mask_ = mask->get<std::int64_t>();
    else throw Error(object() + ": mask_value must be a string or an integer, found " + mask->dump());
  }
  // ids + 1, and 0 where the value is the mask (compared as Keras compares: strings as strings,
  // integers by their decimal text, which is the integer).
  Tensor with_mask_bucket(const Tensor& values, const Tensor& text, const Tensor& ids) const {
    const bool strings = values.dtype() == DType::String;
    if (strings != std::holds_alternative<std::string>(*mask_))
      throw Error(object() + ": mask_value " + (strings ? "is an integer" : "is a string") + " but the inputs are " +
                  std::string(dtype_name(values.dtype())));
    const std::string mask = strings ? std::get<std::string>(*mask_) : std::to_string(std::get<std::int64_t>(*mask_));
    Tensor out = ids.clone();
    auto* id = out.data<std::int64_t>();
    for (std::size_t i = 0; i < text.string_values().size(); ++i) id[i] = text.string_values()[i] == mask ? 0 : id[i] + 1;
    return out;
  }

  std::int64_t num_bins_ = 0;
  std::string mode_;
  std::optional<std::array<std::uint64_t, 2>> salt_;
  std::optional<std::variant<std::string, std::int64_t>> mask_;
};

}  // namespace

void register_hashing(PluginRegistrar& r) {
  register_hash_ops(r);  // before the layer: its calls run them
  r.layer<Hashing>("Hashing");
}

}  // namespace ksave::plugins::preprocessing
