// Helpers shared by the training suites: small models, deterministic data, and a plain
// gradient-descent optimizer local to the tests so the engine is tested on its own (the real
// optimizers are plugins tested in their own suite and used by the oracle cases).
#pragma once

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ksave/model.hpp"
#include "ksave/ops.hpp"
#include "ksave/optimizer.hpp"
#include "ksave/registry.hpp"
#include "ksave/serialization.hpp"

namespace training_test {

using namespace ksave;

// w <- w - lr * g, with an iterations counter; no slots.
class PlainDescent : public Optimizer {
 public:
  explicit PlainDescent(double lr) : lr_(lr) {}
  std::string class_name() const override { return "PlainDescent"; }
  Json get_config() const override { return {{"name", "PlainDescent"}, {"learning_rate", lr_}}; }
  void apply_gradients(const std::vector<std::pair<Tensor, VariablePtr>>& grads_and_vars) override {
    for (const auto& [g, v] : grads_and_vars) v->assign_shared(ops::sub(v->value(), ops::mul(g, lr_)));
    iterations_->assign(Tensor::scalar<std::int64_t>(static_cast<std::int64_t>(iterations_->value().item()) + 1));
  }
  VariablePtr iterations() const override { return iterations_; }
  std::optional<double> learning_rate() const override { return lr_; }
  std::vector<std::pair<std::string, VariablePtr>> slots(const Variable&) const override { return {}; }
  void build(const std::vector<VariablePtr>&) override {}
  std::vector<VariablePtr> variables() const override { return {iterations_}; }

 private:
  double lr_;
  VariablePtr iterations_ = std::make_shared<Variable>("iter:0", Tensor::scalar<std::int64_t>(0), false);
};

inline Tensor F(std::vector<float> v, Shape shape) { return Tensor::from_vector<float>(v, std::move(shape)); }

// Deterministic values in [-1, 1] (golden-ratio sequence).
inline Tensor data(Shape shape, int salt = 0) {
  std::vector<float> v(static_cast<std::size_t>(num_elements(shape)));
  for (std::size_t i = 0; i < v.size(); ++i)
    v[i] = static_cast<float>(2.0 * std::fmod(0.618033988749895 * static_cast<double>(i + 1 + 13 * salt), 1.0) - 1.0);
  return Tensor::from_vector<float>(v, std::move(shape));
}

// Deterministic weights for every variable of `model`.
inline void set_deterministic_weights(Model& model, int salt = 0) {
  int k = 0;
  for (const auto& v : model.weights()) v->assign(ops::mul(data(v->shape(), salt + 7 * k++), 0.5));
}

inline std::shared_ptr<Sequential> mlp(Dim in, std::vector<std::pair<Dim, std::string>> layers) {
  std::vector<LayerPtr> ls{Input({in}).layer()};
  for (const auto& [units, act] : layers) ls.push_back(make_layer("Dense", {{"units", units}, {"activation", act}}));
  auto m = std::make_shared<Sequential>(ls);
  set_deterministic_weights(*m);
  return m;
}

// Registers the test optimizer under a name so the Json forms of compile can use it.
inline void register_plain_descent() {
  static bool done = [] {
    ClassEntry e;
    e.kind = Kind::Optimizer;
    e.class_name = "PlainDescent";
    e.factory = OptimizerFactory([](const Json& c) -> OptimizerPtr {
      return std::make_shared<PlainDescent>(c.value("learning_rate", 0.01));
    });
    Registry::global().add(e);
    return true;
  }();
  (void)done;
}

inline Json plain(double lr) { return {{"class_name", "PlainDescent"}, {"config", {{"learning_rate", lr}}}}; }

// A one-unit linear model y = w x + b.
inline std::shared_ptr<Sequential> linear_model(float w, float b) {
  auto m = std::make_shared<Sequential>(std::vector<LayerPtr>{Input({1}).layer(), make_layer("Dense", {{"units", 1}})});
  m->set_weights({F({w}, {1, 1}), F({b}, {1})});
  return m;
}

// Fails the test unless `f` throws a ksave::Error whose message contains `fragment`.
inline void expect_error(const std::function<void()>& f, const std::string& fragment) {
  try {
    f();
    BOOST_ERROR("no error; expected one mentioning '" << fragment << "'");
  } catch (const Error& e) {
    BOOST_TEST(std::string(e.what()).find(fragment) != std::string::npos, e.what());
  }
}

}  // namespace training_test
