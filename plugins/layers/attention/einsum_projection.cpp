#include "einsum_projection.hpp"

#include "ksave/ops.hpp"

namespace ksave::plugins::attention {

EinsumProjection::EinsumProjection(const std::string& name, std::size_t contracted, Shape outputs,
                                   const KernelBiasOptions& options)
    : Layer(Json{{"name", name}}, "EinsumDense"), contracted_(contracted), outputs_(std::move(outputs)), options_(options) {}

Json EinsumProjection::get_config() const {
  // As tf-keras's MultiHeadAttention makes them: "abc,cde->abde" (bias "de") for the input
  // projections, "abcd,cde->abe" (bias "e") for the output one; the steps axis unknown.
  std::string contracted, produced;
  for (std::size_t i = 0; i < contracted_; ++i) contracted += static_cast<char>('c' + i);
  for (std::size_t i = 0; i < outputs_.size(); ++i) produced += static_cast<char>('c' + contracted_ + i);
  Json c = Layer::get_config();
  Json output_shape = Json::array({nullptr});
  for (Dim d : outputs_) output_shape.push_back(d);
  c["output_shape"] = output_shape;
  c["equation"] = "ab" + contracted + "," + contracted + produced + "->ab" + produced;
  c["activation"] = "linear";
  c["bias_axes"] = options_.use_bias ? Json(produced) : Json(nullptr);
  Json options = Json::object();
  options_.write(options);
  for (const auto& [k, v] : options.items())
    if (k != "use_bias") c[k] = v;
  return c;
}

void EinsumProjection::build_impl(const std::vector<Shape>& shapes) {
  const Shape& in = shapes.at(0);
  if (in.size() < contracted_ + 1)
    throw Error("layer '" + name() + "' (EinsumDense) of MultiHeadAttention: input rank " + std::to_string(in.size()) +
                " is too small, found " + shape_to_string(in));
  Shape kernel(in.end() - static_cast<std::ptrdiff_t>(contracted_), in.end());
  for (Dim d : kernel)
    if (d < 0)
      throw Error("layer '" + name() + "' (EinsumDense) of MultiHeadAttention needs known feature dimensions, found " +
                  shape_to_string(in));
  kernel.insert(kernel.end(), outputs_.begin(), outputs_.end());
  kernel_ = add_weight(options_.kernel_spec(kernel));
  if (options_.use_bias) {
    WeightSpec bias = options_.bias_spec(0);
    bias.shape = outputs_;
    bias_ = add_weight(bias);
  }
}

Tensors EinsumProjection::call(const Tensors& inputs, const CallContext&) {
  const Tensor x = inputs.at(0).as_float();
  Dim in_size = 1, out_size = 1;
  for (std::size_t i = 0; i < contracted_; ++i) in_size *= kernel_->shape()[i];
  for (Dim d : outputs_) out_size *= d;
  Shape result(x.shape().begin(), x.shape().end() - static_cast<std::ptrdiff_t>(contracted_));
  result.insert(result.end(), outputs_.begin(), outputs_.end());
  Tensor y = ops::matmul(ops::reshape(x, {-1, in_size}), ops::reshape(kernel_->value(), {in_size, out_size}));
  y = ops::reshape(y, result);
  return {bias_ ? ops::add(y, bias_->value()) : y};
}

}  // namespace ksave::plugins::attention
