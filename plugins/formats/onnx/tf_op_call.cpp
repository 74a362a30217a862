#include "tf_op_call.hpp"

namespace ksave::plugins::onnx_export {
namespace {

std::string call_object(const Conversion& c) {
  return "layer '" + c.layer().name() + "' (" + c.layer().class_name() + ", tf." + c.config().value("function", std::string()) + ")";
}

}  // namespace

TfOpCall::TfOpCall(Conversion& c)
    : CallArguments(&c.call.call_kwargs, c.call.inputs.size(), call_object(c), [&c](std::size_t i) { return c.call.inputs[i]; },
                    [&c](const call_arguments::Constant& constant) {
                      const Tensor t = constant.values.empty() ? Tensor(DType::Float32, constant.shape)
                                                               : Tensor::from_vector(constant.values, constant.shape);
                      Value v;
                      v.name = c.onnx.graph().constant(t, c.hint("const"));
                      v.shape = constant.shape;  // no batch axis: it broadcasts from the right, as in TensorFlow
                      return v;
                    }),
      c_(c) {}

}  // namespace ksave::plugins::onnx_export
