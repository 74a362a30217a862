// CategoryEncoding (one_hot, multi_hot, count of integer ids) and Discretization (bucket
// indices of bin_boundaries, as TensorFlow's Bucketize), with Keras's rules for input ranks.
#include "categorical.hpp"
#include "ksave/ops.hpp"
#include "preprocessing_layer.hpp"

namespace ksave::plugins::preprocessing {
namespace {

class CategoryEncoding : public PreprocessingLayer {
 public:
  explicit CategoryEncoding(const Json& config) : PreprocessingLayer(config, "CategoryEncoding") {
    num_tokens_ = reader().require<std::int64_t>("num_tokens", {"max_tokens"});
    mode_ = reader().get<std::string>("output_mode", "multi_hot");
    if (num_tokens_ <= 0) throw Error(object() + ": num_tokens must be positive, found " + std::to_string(num_tokens_));
    if (!is_encoding_mode(mode_))
      throw Error(object() + ": output_mode '" + mode_ + "' is not supported (one_hot, multi_hot, count)");
    if (reader().get<bool>("sparse", false)) throw Error(object() + ": sparse outputs are not supported");
  }

 protected:
  Tensors call(const Tensors& inputs, const CallContext&) override {
    const Tensor& ids = inputs.at(0);
    for (std::int64_t i = 0; i < ids.size(); ++i) {
      const double id = ids.item(i);
      if (id < 0 || id >= static_cast<double>(num_tokens_))
        throw Error(object() + ": input values must be in the range 0 <= values < num_tokens with num_tokens=" +
                    std::to_string(num_tokens_) + ", found " + std::to_string(id));
    }
    return {encode_categorical(ids, mode_, num_tokens_, object())};
  }
  DType output_dtype(const std::vector<DType>&) const override { return DType::Float32; }

 private:
  std::int64_t num_tokens_ = 0;
  std::string mode_;
};

class Discretization : public PreprocessingLayer {
 public:
  explicit Discretization(const Json& config) : PreprocessingLayer(config, "Discretization") {
    const Json* bins = reader().find("bin_boundaries");
    if (!bins || !bins->is_array())
      throw Error(object() + ": needs its 'bin_boundaries' (a layer saved before adapt(), with num_bins only, has none)");
    for (const auto& b : *bins) {
      if (!b.is_number()) throw Error(object() + ": bin_boundaries must be numbers, found " + bins->dump());
      boundaries_.push_back(b.get<float>());
    }
    const std::string mode = reader().get<std::string>("output_mode", "int");
    if (mode != "int") throw Error(object() + ": output_mode '" + mode + "' is not supported (int)");
  }

 protected:
  // The number of boundaries b <= x, as an int64 tensor of x's shape.
  Tensors call(const Tensors& inputs, const CallContext&) override {
    const Tensor x = ops::expand_dims(inputs.at(0).as_float(), -1);
    if (boundaries_.empty()) return {ops::cast(ops::squeeze(ops::zeros_like(x), {-1}), DType::Int64)};
    const Tensor b = Tensor::from_vector(boundaries_, {static_cast<Dim>(boundaries_.size())});
    const Tensor at_or_above = ops::add(ops::neg(ops::greater(b, x)), 1.0);
    return {ops::cast(ops::sum(at_or_above, {-1}), DType::Int64)};
  }
  DType output_dtype(const std::vector<DType>&) const override { return DType::Int64; }

 private:
  std::vector<float> boundaries_;
};

}  // namespace

void register_encoding_layers(PluginRegistrar& r) {
  r.layer<CategoryEncoding>("CategoryEncoding");
  r.layer<Discretization>("Discretization");
}

}  // namespace ksave::plugins::preprocessing
