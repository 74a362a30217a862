#include "einsum_dense.hpp"

#include "attention_base.hpp"
#include "ksave/config.hpp"
#include "ksave/ops.hpp"

namespace ksave::plugins::attention {
namespace {

Shape read_output_shape(const Json& value, const std::string& object) {
  auto refuse = [&] {
    return Error(object + ": output_shape must be an int or a list of ints and None, found " + value.dump());
  };
  if (value.is_number_integer()) return {value.get<Dim>()};
  if (!value.is_array()) throw refuse();
  Shape shape;
  for (const Json& d : value) {
    if (d.is_null()) shape.push_back(kUnknown);
    else if (d.is_number_integer() && d.get<Dim>() >= 0) shape.push_back(d.get<Dim>());
    else throw refuse();
  }
  return shape;
}

// Keras 3's low-rank adaptation and quantization change the kernel ksave would compute with.
void refuse_keras3_kernel_changes(const ConfigReader& r, const std::string& object) {
  const Json lora_rank = r.get<Json>("lora_rank", nullptr);
  if (!lora_rank.is_null() && lora_rank != Json(0))
    throw Error(object + ": Keras 3's lora_rank (LoRA) is not supported, found " + lora_rank.dump());
  for (const char* key : {"quantization_config", "gptq_unpacked_column_size"}) {
    const Json value = r.get<Json>(key, nullptr);
    if (!value.is_null()) throw Error(object + ": Keras 3's " + key + " (quantization) is not supported, found " + value.dump());
  }
}

}  // namespace

EinsumDense::EinsumDense(const Json& config) : Layer(config, "EinsumDense") {
  const ConfigReader r(config, describe());
  equation_ = r.require<std::string>("equation");
  partial_output_ = read_output_shape(r.require<Json>("output_shape"), describe());
  const Json bias_axes = r.get<Json>("bias_axes", nullptr);
  if (!bias_axes.is_null() && !bias_axes.is_string())
    throw Error(describe() + ": bias_axes must be a string of output letters or None, found " + bias_axes.dump());
  bias_axes_ = bias_axes.is_string() ? bias_axes.get<std::string>() : "";
  activation_ = get_activation(r.get<Json>("activation", nullptr));
  options_ = KernelBiasOptions::read(r);
  options_.use_bias = !bias_axes_.empty();
  refuse_keras3_kernel_changes(r, describe());
}

std::shared_ptr<EinsumDense> EinsumDense::projection(const std::string& name, std::size_t contracted,
                                                     const Shape& outputs, const KernelBiasOptions& options,
                                                     const Json& activation) {
  std::string consumed, produced;
  for (std::size_t i = 0; i < contracted; ++i) consumed += static_cast<char>('c' + i);
  for (std::size_t i = 0; i < outputs.size(); ++i) produced += static_cast<char>('c' + contracted + i);
  Json config{{"name", name}};
  Json output_shape = Json::array({nullptr});  // the steps axis, as tf-keras's MultiHeadAttention gives it
  for (Dim d : outputs) output_shape.push_back(d);
  config["output_shape"] = output_shape;
  config["equation"] = "ab" + consumed + "," + consumed + produced + "->ab" + produced;
  config["bias_axes"] = options.use_bias ? Json(produced) : Json(nullptr);
  options.write(config);
  config["activation"] = activation;
  return std::make_shared<EinsumDense>(config);
}

Json EinsumDense::get_config() const {
  // tf-keras's order; output_shape always a list, as both Keras versions write it.
  Json c = Layer::get_config();
  Json output_shape = Json::array();
  for (Dim d : partial_output_) output_shape.push_back(d < 0 ? Json(nullptr) : Json(d));
  c["output_shape"] = output_shape;
  c["equation"] = equation_;
  c["activation"] = serialize(activation_);
  c["bias_axes"] = bias_axes_.empty() ? Json(nullptr) : Json(bias_axes_);
  Json options = Json::object();
  options_.write(options);
  for (const auto& [k, v] : options.items())
    if (k != "use_bias") c[k] = v;
  return c;
}

EinsumDenseShapes EinsumDense::shapes_for(const Shape& input) const {
  return analyze_einsum_dense(equation_, bias_axes_, partial_output_, input, describe());
}

void EinsumDense::build_impl(const std::vector<Shape>& shapes) {
  if (shapes.size() != 1) throw Error(describe() + " takes one input, found " + std::to_string(shapes.size()));
  const EinsumDenseShapes s = shapes_for(shapes[0]);
  labels_ = s.labels;
  kernel_ = add_weight(options_.kernel_spec(s.kernel));
  if (s.bias) {
    WeightSpec bias = options_.bias_spec(0);
    bias.shape = *s.bias;
    bias_ = add_weight(bias);
  }
}

Tensors EinsumDense::call(const Tensors& inputs, const CallContext&) {
  const Tensor x = inputs.at(0).as_float();
  if (x.rank() != static_cast<std::int64_t>(labels_.a.size()))
    throw Error(describe() + ": built for inputs of rank " + std::to_string(labels_.a.size()) + ", called on " +
                shape_to_string(x.shape()));
  Tensor y = einsum::product(x, kernel_->value(), labels_);
  if (bias_) y = ops::add(y, bias_->value());
  y = activation_(y);
  if (options_.activity_regularizer)
    add_loss(ops::div((*options_.activity_regularizer)(y), Tensor::scalar(static_cast<float>(y.dim(0)))));
  return {y};
}

std::vector<Shape> EinsumDense::compute_output_shape(const std::vector<Shape>& shapes) {
  return {shapes_for(shapes.at(0)).output};
}

void register_einsum_dense(PluginRegistrar& r) {
  // Keras 3's EinsumDense adds quantization_config (and lora_rank, lora_alpha while LoRA is on).
  r.layer<EinsumDense>("EinsumDense")
      .keras3_form(Keras3Form()
                       .keys({"name", "trainable", "dtype", "output_shape", "equation", "activation", "bias_axes",
                              "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer",
                              "activity_regularizer", "kernel_constraint", "bias_constraint", "quantization_config"})
                       .default_value("quantization_config", nullptr));
}

}  // namespace ksave::plugins::attention
