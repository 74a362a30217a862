// Gradients of every activation against central differences (tests/support/gradient_check.hpp).
// An activation is a chain of ops, so its analytic gradient comes from the framework's
// GradientTape walking the ops' registered gradient functions.
#include <boost/test/unit_test.hpp>

#include <vector>

#include "ksave/autodiff.hpp"
#include "ksave/objects.hpp"
#include "ksave/ops.hpp"
#include "support/gradient_check.hpp"

using ksave::Tensor;

namespace {

// dL/dx for L = sum(activation(x) * dy): the tape sums its target, as TensorFlow does.
ksave::test::AnalyticGradient taped(const ksave::Activation& activation) {
  return [activation](const std::vector<Tensor>& inputs, const Tensor&, const Tensor& dy) {
    ksave::GradientTape tape;
    const Tensor target = ksave::ops::mul(activation(inputs[0]), dy);
    return tape.gradient(target, {inputs[0]});
  };
}

}  // namespace

BOOST_AUTO_TEST_CASE(activation_gradients_match_finite_differences) {
  // Points away from the kinks of relu, relu6, hard_sigmoid and hard_silu (|x| = 2.5, x = 0, x = 6, |x| = 3), where
  // central differences straddle two slopes.
  const Tensor x = Tensor::from_vector<float>({-3.1f, -1.3f, -0.4f, 0.3f, 0.9f, 1.7f, 2.2f, 3.4f}, {2, 4});
  for (const char* name : {"linear", "relu", "sigmoid", "tanh", "softmax", "elu", "selu", "softplus",
                           "softsign", "hard_sigmoid", "swish", "gelu", "exponential", "relu6", "mish",
                           "log_softmax", "hard_silu"}) {
    const ksave::Activation activation = ksave::get_activation(name);
    ksave::test::GradientCheckOptions options;
    options.eps = 1e-3;
    ksave::test::check_gradients(
        name, [activation](const std::vector<Tensor>& in) { return activation(in[0]); }, {x},
        taped(activation), options);
  }
}
