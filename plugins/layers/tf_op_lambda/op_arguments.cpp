#include "op_arguments.hpp"

namespace ksave::plugins::tf_op {
namespace {

Tensor constant_tensor(const call_arguments::Constant& c) {
  if (c.values.empty()) return Tensor(DType::Float32, c.shape);  // an empty list
  return Tensor::from_vector(c.values, c.shape);
}

}  // namespace

OpArguments::OpArguments(const Tensors& inputs, const Json* kwargs, std::string object)
    : CallArguments(kwargs, inputs.size(), std::move(object), [&inputs](std::size_t i) { return inputs[i]; },
                    constant_tensor) {}

}  // namespace ksave::plugins::tf_op
