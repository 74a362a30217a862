// The arguments of one recorded TensorFlow call (TFOpLambda / SlicingOpLambda) as ONNX values:
// the SDK's reading of structured calls (ksave/call_arguments.hpp) over the call's input values,
// Python constants becoming float32 initializers.
#pragma once

#include <string>

#include "converter.hpp"
#include "ksave/call_arguments.hpp"

namespace ksave::plugins::onnx_export {

class TfOpCall : public call_arguments::CallArguments<Value> {
 public:
  explicit TfOpCall(Conversion& c);

  Conversion& conversion() const { return c_; }
  Emitter& onnx() const { return c_.onnx; }
  std::string hint(const std::string& what = "") const { return c_.hint(what); }
  // The call's output `index` held in ONNX value `name`, laid out as `perm`.
  Value output(const std::string& name, std::size_t index = 0, const Perm& perm = {}) const {
    return c_.output(name, index, perm);
  }

 private:
  Conversion& c_;
};

}  // namespace ksave::plugins::onnx_export
