// Keras's activation functions (tf.keras 2.x definitions), each written with ksave::ops only so
// that autodiff and the graph tracer see every step and gradients come for free.
#include <numbers>
#include <string>
#include <vector>

#include "ksave/ops.hpp"
#include "ksave/conformance.hpp"
#include "ksave/plugin.hpp"

namespace {

using ksave::Tensor;
namespace ops = ksave::ops;

Tensor linear(const Tensor& x) { return x; }

// Softmax and log_softmax normalise over the last axis, as Keras's default axis=-1.
Tensor softmax(const Tensor& x) { return ops::softmax(x, -1); }
Tensor log_softmax(const Tensor& x) { return ops::log_softmax(x, -1); }

// tf.keras 2.x's piecewise-linear form; Keras 3 changed it to relu6(x + 3) / 6, but files
// naming "hard_sigmoid" were mostly written by the Keras 2 generation ksave emulates.
Tensor hard_sigmoid(const Tensor& x) { return ops::clip(ops::add(ops::mul(x, 0.2), 0.5), 0.0, 1.0); }

// Keras 3's hard_sigmoid, relu6(x + 3) / 6: the Keras 3 archive reader names it so (a .keras
// file's "hard_sigmoid" means this one) and its writer gives the name back.
Tensor hard_sigmoid_keras3(const Tensor& x) {
  return ops::div(ops::clip(ops::add(x, 3.0), 0.0, 6.0), Tensor::scalar<float>(6.0f));
}

// Keras 3's hard_silu (also exported as hard_swish), x * relu6(x + 3) / 6: MobileNetV3's
// activation, which tf-keras 2 spells out with TFOpLambda layers instead.
Tensor hard_silu(const Tensor& x) { return ops::mul(x, hard_sigmoid_keras3(x)); }

Tensor swish(const Tensor& x) { return ops::mul(x, ops::sigmoid(x)); }

// The exact form 0.5 x (1 + erf(x / sqrt 2)): Keras's gelu defaults to approximate=False.
Tensor gelu(const Tensor& x) {
  const Tensor cdf = ops::add(ops::erf(ops::mul(x, 1.0 / std::numbers::sqrt2)), 1.0);
  return ops::mul(ops::mul(x, 0.5), cdf);
}

Tensor relu6(const Tensor& x) { return ops::clip(x, 0.0, 6.0); }

Tensor mish(const Tensor& x) { return ops::mul(x, ops::tanh(ops::softplus(x))); }

struct Definition {
  const char* name;
  ksave::ActivationFunction fn;
  std::vector<std::string> aliases;
};

void register_activations(ksave::PluginRegistrar& r) {
  const Definition definitions[] = {
      {"linear", linear, {}},
      {"relu", [](const Tensor& x) { return ops::relu(x); }, {}},
      {"sigmoid", [](const Tensor& x) { return ops::sigmoid(x); }, {}},
      {"tanh", [](const Tensor& x) { return ops::tanh(x); }, {}},
      {"softmax", softmax, {}},
      {"elu", [](const Tensor& x) { return ops::elu(x); }, {}},
      {"selu", [](const Tensor& x) { return ops::selu(x); }, {}},
      {"softplus", [](const Tensor& x) { return ops::softplus(x); }, {}},
      {"softsign", [](const Tensor& x) { return ops::softsign(x); }, {}},
      {"hard_sigmoid", hard_sigmoid, {}},
      {"hard_sigmoid_keras3", hard_sigmoid_keras3, {}},
      {"hard_silu", hard_silu, {"hard_swish"}},
      // tf.keras 2.x serializes the function as "swish"; Keras 3 renamed it "silu".
      {"swish", swish, {"silu"}},
      {"gelu", gelu, {}},
      {"exponential", [](const Tensor& x) { return ops::exp(x); }, {}},
      {"relu6", relu6, {}},
      {"mish", mish, {}},
      {"log_softmax", log_softmax, {}},
  };
  for (const Definition& d : definitions) r.activation(d.name, d.fn, d.aliases);
}

}  // namespace

KSAVE_PLUGIN("activations", "0.1.0", register_activations)

// For the conformance kit: tf-keras's hard_sigmoid (0.2 x + 0.5) has no Keras 3 form, since a
// Keras 3 archive's "hard_sigmoid" is relu6(x + 3) / 6 (ksave's hard_sigmoid_keras3).
namespace {

ksave::Json conformance_samples() {
  ksave::Json samples = ksave::ConformanceSamples().json();
  samples["activation"]["hard_sigmoid"] = {
      {"config", ksave::Json::object()},
      {"not_in_formats", {{"keras", "a Keras 3 archive's hard_sigmoid is relu6(x + 3) / 6, not tf-keras's 0.2 x + 0.5"}}}};
  return samples;
}

}  // namespace

KSAVE_CONFORMANCE_SAMPLES(conformance_samples)
