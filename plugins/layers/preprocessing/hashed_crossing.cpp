// HashedCrossing: each row's values of two or more features crossed into one of num_bins bins,
// as tf.sparse.cross_hashed computes it (tf-keras 2.x and Keras 3 agree): starting from the
// default hash key 0xDECAFCAFFE, each feature's hash joins by FarmHash's FingerprintCat64 (strings
// hash by Fingerprint64, integers are their own 64-bit value), and the result modulo num_bins is
// the bin. output_mode int returns the bins in the inputs' shape ((batch,) or (batch, 1)),
// one_hot encodes them.
#include "categorical.hpp"
#include "fingerprint64.hpp"
#include "ksave/op.hpp"
#include "ksave/ops.hpp"
#include "preprocessing_layer.hpp"

namespace ksave::plugins::preprocessing {
namespace {

class HashedCrossing : public PreprocessingLayer {
 public:
  explicit HashedCrossing(const Json& config) : PreprocessingLayer(config, "HashedCrossing") {
    num_bins_ = reader().require<std::int64_t>("num_bins");
    if (num_bins_ <= 0) throw Error(object() + ": num_bins must be positive, found " + std::to_string(num_bins_));
    mode_ = reader().get<std::string>("output_mode", "int");
    if (mode_ != "int" && mode_ != "one_hot") throw Error(object() + ": output_mode '" + mode_ + "' is not supported (int, one_hot)");
    if (reader().get<bool>("sparse", false)) throw Error(object() + ": sparse outputs are not supported");
  }

 protected:
  Tensors call(const Tensors& inputs, const CallContext&) override {
    // The cross is computed as data, not by ops: a traced function would freeze it (as Hashing's mask).
    if (!fused_ops_allowed())
      throw Error(object() + ": a feature cross cannot be traced into a SavedModel's functions yet; save as .keras or .h5");
    if (inputs.size() < 2) throw Error(object() + ": crosses two or more features, found " + std::to_string(inputs.size()) + " input(s)");
    const Shape& shape = inputs[0].shape();
    if (shape.empty() || shape.size() > 2 || (shape.size() == 2 && shape[1] != 1))
      throw Error(object() + ": takes features of shape (batch,) or (batch, 1), found " + shape_to_string(shape));
    std::vector<std::vector<std::uint64_t>> hashes;
    for (const Tensor& x : inputs) {
      if (x.shape() != shape)
        throw Error(object() + ": all inputs must have equal shape, found " + shape_to_string(shape) + " and " + shape_to_string(x.shape()));
      hashes.push_back(feature_hashes(x));
    }
    Tensor bins(DType::Int64, shape);
    auto* out = bins.data<std::int64_t>();
    for (std::int64_t row = 0; row < bins.size(); ++row) {
      std::uint64_t hash = kCrossHashKey;
      for (const auto& feature : hashes) hash = fingerprint_cat64(hash, feature[static_cast<std::size_t>(row)]);
      out[row] = static_cast<std::int64_t>(hash % static_cast<std::uint64_t>(num_bins_));
    }
    if (mode_ == "int") return {bins};
    return {encode_categorical(bins, "one_hot", num_bins_, object())};
  }

  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override {
    if (mode_ == "int") return {shapes.at(0)};
    return {Shape{shapes.at(0).at(0), num_bins_}};
  }
  DType output_dtype(const std::vector<DType>&) const override { return mode_ == "int" ? DType::Int64 : DType::Float32; }

 private:
  std::vector<std::uint64_t> feature_hashes(const Tensor& x) const {
    std::vector<std::uint64_t> out;
    if (x.dtype() == DType::String) {
      for (const std::string& s : x.string_values()) out.push_back(fingerprint64(s));
    } else if (is_integer(x.dtype())) {
      for (std::int64_t v : x.to_vector<std::int64_t>()) out.push_back(static_cast<std::uint64_t>(v));
    } else {
      throw Error(object() + ": crosses strings and integers, found " + std::string(dtype_name(x.dtype())) + " inputs");
    }
    return out;
  }

  std::int64_t num_bins_ = 0;
  std::string mode_;
};

}  // namespace

void register_hashed_crossing(PluginRegistrar& r) { r.layer<HashedCrossing>("HashedCrossing"); }

}  // namespace ksave::plugins::preprocessing
