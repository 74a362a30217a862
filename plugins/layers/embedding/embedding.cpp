#include "embedding.hpp"

#include "ksave/conformance.hpp"
#include "ksave/ops.hpp"

namespace ksave::plugins::embedding {
namespace {

// Embedding's input_dim is its vocabulary size, not the Keras 1 spelling of a first layer's
// feature size that the base Layer reads as an input shape: the base does not see it.
Json without_input_dim(const Json& config) {
  Json base = config;
  if (base.is_object()) base.erase("input_dim");
  return base;
}

}  // namespace

Embedding::Embedding(const Json& config, const char* class_name) : Layer(without_input_dim(config), class_name) {
  ConfigReader r(config, "layer '" + name() + "' (" + class_name + ")");
  input_dim_ = r.require<std::int64_t>("input_dim");
  output_dim_ = r.require<std::int64_t>("output_dim");
  if (input_dim_ <= 0 || output_dim_ <= 0)
    throw Error("layer '" + name() + "' (" + class_name + "): input_dim and output_dim must be positive, found " +
                std::to_string(input_dim_) + " and " + std::to_string(output_dim_));
  // Keras 1 spellings: init, W_regularizer, W_constraint.
  embeddings_initializer_ = get_initializer(r.get<Json>("embeddings_initializer", "uniform", {"init"}));
  embeddings_regularizer_ = get_regularizer(r.get<Json>("embeddings_regularizer", nullptr, {"W_regularizer"}));
  activity_regularizer_ = get_regularizer(r.get<Json>("activity_regularizer", nullptr));
  embeddings_constraint_ = get_constraint(r.get<Json>("embeddings_constraint", nullptr, {"W_constraint"}));
  mask_zero_ = r.get<bool>("mask_zero", false);
  input_length_ = r.get<Json>("input_length", nullptr);
}

Json Embedding::get_config() const {
  Json c = Layer::get_config();
  c["input_dim"] = input_dim_;
  c["output_dim"] = output_dim_;
  c["embeddings_initializer"] = serialize(embeddings_initializer_);
  c["embeddings_regularizer"] = serialize(embeddings_regularizer_);
  c["activity_regularizer"] = serialize(activity_regularizer_);
  c["embeddings_constraint"] = serialize(embeddings_constraint_);
  c["mask_zero"] = mask_zero_;
  c["input_length"] = input_length_;
  return c;
}

Tensors Embedding::compute_mask(const Tensors& inputs, const Tensors&, std::size_t output_count) const {
  Tensors masks(output_count);
  if (!mask_zero_ || inputs.empty()) return masks;
  // ids != 0 computed with ops, as Keras's ops.not_equal, so that a SavedModel's traces compute
  // the mask from the input instead of freezing the traced batch's mask into the graph.
  const Tensor ids = ops::cast(inputs[0], DType::Float32);
  masks[0] = ops::cast(ops::add(ops::mul(ops::equal(ids, ops::constant(0.0)), -1.0), 1.0), DType::Bool);
  return masks;
}

void Embedding::build_impl(const std::vector<Shape>& shapes) {
  if (shapes.size() != 1) throw Error(describe() + " takes one input of ids, found " + std::to_string(shapes.size()));
  embeddings_ = add_weight({"embeddings", {input_dim_, output_dim_}, DType::Float32, embeddings_initializer_,
                            embeddings_regularizer_, embeddings_constraint_, true});
}

Tensors Embedding::call(const Tensors& inputs, const CallContext&) {
  const Tensor& ids = inputs.at(0);
  if (ids.dtype() == DType::String || ids.dtype() == DType::Bool)
    throw Error(describe() + " needs integer ids, found a " + std::string(dtype_name(ids.dtype())) + " tensor");
  // GatherV2 checks every id against [0, input_dim) and names the bad one.
  Tensor y;
  try {
    y = ops::gather(embeddings_->value(), ids, 0);
  } catch (const Error& e) {
    throw Error("layer '" + name() + "' (" + class_name() + ", input_dim " + std::to_string(input_dim_) + "): " + e.what());
  }
  if (activity_regularizer_)
    add_loss(ops::div((*activity_regularizer_)(y), Tensor::scalar(static_cast<float>(y.dim(0)))));
  return {y};
}

std::vector<Shape> Embedding::compute_output_shape(const std::vector<Shape>& shapes) {
  Shape out = shapes.at(0);
  out.push_back(output_dim_);
  return {out};
}

namespace {

void register_objects(PluginRegistrar& r) {
  // Keras 3's Embedding adds quantization_config and has no input_length (kept when set, for
  // Keras 3 to refuse).
  r.layer<Embedding>("Embedding")
      .keras3_form(Keras3Form()
                       .keys({"name", "trainable", "dtype", "input_dim", "output_dim", "embeddings_initializer",
                              "embeddings_regularizer", "activity_regularizer", "embeddings_constraint", "mask_zero",
                              "quantization_config"})
                       .default_value("quantization_config", nullptr)
                       .dropped_when("input_length", nullptr));
  register_reversible_embedding(r);
}

}  // namespace
}  // namespace ksave::plugins::embedding

KSAVE_PLUGIN("embedding", "0.1.0", ksave::plugins::embedding::register_objects)

// What the conformance kit (ksave conform) builds these classes from where {} builds nothing or
// the inputs are not one float tensor.
namespace {

ksave::Json conformance_samples() {
  return ksave::ConformanceSamples()
      .layer("Embedding", {{"input_dim", 5}, {"output_dim", 3}}, {{.shape = {3}, .dtype = "int32", .low = 0, .high = 5}})
      .layer("ReversibleEmbedding", {{"input_dim", 5}, {"output_dim", 3}, {"tie_weights", false}},
             {{.shape = {3}, .dtype = "int32", .low = 0, .high = 5}})
      .json();
}

}  // namespace

KSAVE_CONFORMANCE_SAMPLES(conformance_samples)
