#include "gradients.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <sstream>

#include "ksave/autodiff.hpp"
#include "ksave/ops.hpp"

namespace ksave::conformance {
namespace {

constexpr double kStep = 5e-3;
constexpr std::int64_t kElementsPerSource = 24;  // spread over the tensor: enough to catch a wrong formula

bool is_float(const Tensor& t) { return t.dtype() == DType::Float32; }

// One differentiable quantity: a float input of the call or a trainable weight of the layer.
struct Source {
  std::string name;
  std::function<Tensor()> get;
  std::function<void(const Tensor&)> set;
};

class Probe {
 public:
  explicit Probe(const LayerSubject& subject) : layer_(subject.layer), inputs_(subject.data) {
    for (Tensor& x : inputs_) x = x.clone();
    const Tensors y = call();
    std::mt19937 generator(1234);
    std::uniform_real_distribution<float> uniform(-1.f, 1.f);
    for (const Tensor& out : y) {
      Tensor w(DType::Float32, out.shape());
      for (float& v : w.values<float>()) v = uniform(generator);
      output_weights_.push_back(w);
    }
  }

  bool has_float_output() const {
    return !outputs_.empty() && std::all_of(outputs_.begin(), outputs_.end(), is_float);
  }

  std::vector<Source> sources() {
    std::vector<Source> out;
    for (std::size_t i = 0; i < inputs_.size(); ++i)
      if (is_float(inputs_[i]))
        out.push_back({"input " + std::to_string(i), [this, i] { return inputs_[i]; },
                       [this, i](const Tensor& v) { inputs_[i] = v; }});
    for (const VariablePtr& w : layer_->trainable_weights())
      if (w->dtype() == DType::Float32)
        out.push_back({"weight '" + w->name() + "'", [w] { return w->value(); }, [w](const Tensor& v) { w->assign(v); }});
    return out;
  }

  double loss() {
    const Tensors y = call();
    double total = 0.0;
    for (std::size_t k = 0; k < y.size(); ++k) {
      const Tensor f = y[k].cast(DType::Float64);
      const float* w = output_weights_[k].data<float>();
      for (std::int64_t j = 0; j < f.size(); ++j) total += f.data<double>()[j] * w[j];
    }
    return total;
  }

  // d loss / d source from the tape, in the order of sources(); undefined where cut off.
  std::vector<Tensor> analytic() {
    GradientTape tape;
    std::vector<Tensor> float_inputs;
    for (Tensor& x : inputs_)
      if (is_float(x)) float_inputs.push_back(x);
    const Tensors y = (*layer_)(inputs_);
    Tensor loss;
    for (std::size_t k = 0; k < y.size(); ++k) {
      const Tensor term = ops::sum(ops::mul(y[k], output_weights_[k]));
      loss = loss.defined() ? ops::add(loss, term) : term;
    }
    std::vector<Tensor> grads = tape.gradient(loss, float_inputs);
    std::vector<VariablePtr> weights;
    for (const VariablePtr& w : layer_->trainable_weights())
      if (w->dtype() == DType::Float32) weights.push_back(w);
    const std::vector<Tensor> weight_grads = tape.gradient(loss, weights);
    grads.insert(grads.end(), weight_grads.begin(), weight_grads.end());
    return grads;
  }

 private:
  Tensors call() {
    outputs_ = (*layer_)(inputs_);
    return outputs_;
  }
  LayerPtr layer_;
  Tensors inputs_;
  Tensors outputs_;
  Tensors output_weights_;
};

// Loss with element j of the source moved by `delta`, the source restored afterwards.
double loss_moved(Probe& probe, const Source& source, std::int64_t j, float delta) {
  const Tensor saved = source.get();
  Tensor moved = saved.clone();
  moved.data<float>()[j] += delta;
  source.set(moved);
  const double value = probe.loss();
  source.set(saved);
  return value;
}

// "" when the analytic value agrees with the central difference or, at a kink of the function
// (ReLU at 0, a max changing hands), with one of the one-sided differences.
std::string compare_element(Probe& probe, const Source& source, std::int64_t j, double analytic, double scale) {
  const double up = loss_moved(probe, source, j, static_cast<float>(kStep));
  const double down = loss_moved(probe, source, j, static_cast<float>(-kStep));
  const double here = probe.loss();
  const double central = (up - down) / (2 * kStep), forward = (up - here) / kStep, backward = (here - down) / kStep;
  const auto close = [&](double numeric) {
    return std::fabs(analytic - numeric) <= 2e-3 + 1e-2 * scale + 3e-2 * std::max(std::fabs(analytic), std::fabs(numeric));
  };
  if (close(central) || close(forward) || close(backward)) return "";
  std::ostringstream why;
  why << source.name << " element " << j << ": analytic " << analytic << ", finite differences " << central;
  return why.str();
}

}  // namespace

GradientFindings check_layer_gradients(const LayerSubject& subject) {
  GradientFindings findings;
  Probe probe(subject);
  if (!probe.has_float_output()) return findings;
  std::vector<Source> sources = probe.sources();
  const std::vector<Tensor> grads = probe.analytic();
  for (std::size_t s = 0; s < sources.size(); ++s) {
    const Tensor value = sources[s].get();
    const std::int64_t n = value.size();
    const std::int64_t stride = std::max<std::int64_t>(1, n / kElementsPerSource);
    const Tensor grad = grads[s].defined() ? grads[s].cast(DType::Float64) : Tensor();
    if (grad.defined() && grad.shape() != value.shape()) {
      findings.problem = sources[s].name + ": gradient of shape " + shape_to_string(grad.shape()) + " for a value of shape " +
                         shape_to_string(value.shape());
      return findings;
    }
    double scale = 0.0;  // the gradient's own size, for the absolute slack
    if (grad.defined())
      for (std::int64_t j = 0; j < n; ++j) scale = std::max(scale, std::fabs(grad.data<double>()[j]));
    ++findings.sources;
    for (std::int64_t j = 0; j < n; j += stride) {
      // An undefined gradient says "does not depend": the differences must say so too.
      const double analytic = grad.defined() ? grad.data<double>()[j] : 0.0;
      std::string why = compare_element(probe, sources[s], j, analytic, scale);
      ++findings.elements;
      if (!why.empty()) {
        findings.problem = why + (grad.defined() ? "" : " (the tape gives no gradient: cut off from the tape?)");
        return findings;
      }
    }
  }
  return findings;
}

}  // namespace ksave::conformance
