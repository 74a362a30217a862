// Gradients of every activation against central differences (tests/support/gradient_check.hpp).
//
// An activation is a chain of ops, so its analytic gradient is the chain of the ops' registered
// gradient functions. Until the framework offers a public gradient tape, this file records the
// op calls with an OpObserver and walks them backwards itself.
#include <boost/test/unit_test.hpp>

#include <map>
#include <string>
#include <vector>

#include "ksave/objects.hpp"
#include "ksave/op.hpp"
#include "ksave/ops.hpp"
#include "support/gradient_check.hpp"

using ksave::Tensor;

namespace {

struct RecordedCall {
  const ksave::OpDef* op;
  std::vector<Tensor> inputs;
  std::vector<Tensor> outputs;
  ksave::Attrs attrs;
};

class Recorder final : public ksave::OpObserver {
 public:
  void on_op(const ksave::OpDef& op, std::span<const Tensor> inputs, const ksave::Attrs& attrs,
             std::span<const Tensor> outputs) override {
    calls.push_back({&op, {inputs.begin(), inputs.end()}, {outputs.begin(), outputs.end()}, attrs});
  }
  std::vector<RecordedCall> calls;
};

// dL/dx of y = activation(x) given dL/dy, by reverse accumulation over the recorded calls.
// Tensors are identified by their storage: ops never write into their inputs.
ksave::test::AnalyticGradient reverse_mode(const ksave::Activation& activation) {
  return [activation](const std::vector<Tensor>& inputs, const Tensor&, const Tensor& dy) {
    Recorder recorder;
    Tensor y;
    {
      ksave::ObserverScope scope(recorder);
      y = activation(inputs[0]);
    }
    std::map<const void*, Tensor> grads{{y.storage().get(), dy}};
    for (auto call = recorder.calls.rbegin(); call != recorder.calls.rend(); ++call) {
      std::vector<Tensor> output_grads;
      bool reached = false;
      for (const Tensor& out : call->outputs) {
        const auto g = grads.find(out.storage().get());
        reached |= g != grads.end();
        output_grads.push_back(g != grads.end() ? g->second : Tensor());
      }
      if (!reached || !call->op->gradient) continue;
      const std::vector<Tensor> input_grads =
          call->op->gradient({call->inputs, call->outputs, output_grads, call->attrs});
      for (std::size_t i = 0; i < input_grads.size(); ++i) {
        if (!input_grads[i].defined()) continue;
        auto [slot, fresh] = grads.try_emplace(call->inputs[i].storage().get(), input_grads[i]);
        if (!fresh) slot->second = ksave::ops::add(slot->second, input_grads[i]);
      }
    }
    const auto g = grads.find(inputs[0].storage().get());
    return std::vector<Tensor>{g != grads.end() ? g->second : ksave::ops::zeros_like(inputs[0])};
  };
}

}  // namespace

BOOST_AUTO_TEST_CASE(activation_gradients_match_finite_differences) {
  // Points away from the kinks of relu, relu6 and hard_sigmoid (|x| = 2.5, x = 0, x = 6), where
  // central differences straddle two slopes.
  const Tensor x = Tensor::from_vector<float>({-3.1f, -1.3f, -0.4f, 0.3f, 0.9f, 1.7f, 2.2f, 3.4f}, {2, 4});
  for (const char* name : {"linear", "relu", "sigmoid", "tanh", "softmax", "elu", "selu", "softplus",
                           "softsign", "hard_sigmoid", "swish", "gelu", "exponential", "relu6", "mish",
                           "log_softmax"}) {
    const ksave::Activation activation = ksave::get_activation(name);
    ksave::test::GradientCheckOptions options;
    options.eps = 1e-3;
    ksave::test::check_gradients(
        name, [activation](const std::vector<Tensor>& in) { return activation(in[0]); }, {x},
        reverse_mode(activation), options);
  }
}
