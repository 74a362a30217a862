// The update rules, checked against values computed by hand and against a textbook statement of
// each rule (double precision, written independently of the float32 kernels): every optimizer and
// option (momentum, Nesterov, amsgrad, centered, momentum + centered), learning-rate schedules,
// legacy decay, clipping, weight decay and constraints.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <sstream>
#include <utility>

#include "ksave/error.hpp"
#include "ksave/objects.hpp"
#include "optimizer_test_support.hpp"

using ksave::Json;
using ksave::test::make_optimizer;
using ksave::test::make_variable;
using ksave::test::step;
using ksave::test::values;
namespace tt = boost::test_tools;

namespace {

// A reference rule: updates `w` (and its own state) with gradient `g` at step t = 1, 2, ...
using Rule = std::function<void(std::vector<double>& w, const std::vector<double>& g, int t, std::size_t var)>;

// Per-variable state of a reference rule.
struct State {
  std::vector<std::vector<double>> a, b, c;
  explicit State(std::size_t count) : a(count), b(count), c(count) {}
  std::vector<double>& get(std::vector<std::vector<double>>& s, std::size_t var, std::size_t n, double init = 0.0) {
    if (s[var].empty()) s[var].assign(n, init);
    return s[var];
  }
};

double gradient(std::size_t var, std::size_t i, int t) {
  return std::sin(1.3 * double(i) + 0.7 * t + 2.1 * double(var)) * (0.5 + 0.25 * double(var));
}

// Runs `steps` steps of the optimizer on two variables and the reference on the same numbers;
// every value must agree to |ours - ref| <= 1e-6 + 1e-5 |ref|.
void check_against_reference(const Json& serialized, const Rule& rule, int steps = 6) {
  const ksave::OptimizerPtr optimizer = make_optimizer(serialized);
  const std::vector<std::vector<float>> initial{{0.5f, -1.25f, 2.0f}, {0.75f, -0.125f}};
  std::vector<ksave::VariablePtr> vars{make_variable("dense/kernel:0", initial[0]), make_variable("dense/bias:0", initial[1])};
  std::vector<std::vector<double>> ref;
  for (const auto& v : initial) ref.emplace_back(v.begin(), v.end());
  for (int t = 1; t <= steps; ++t) {
    std::vector<std::pair<std::vector<float>, ksave::VariablePtr>> grads;
    for (std::size_t j = 0; j < vars.size(); ++j) {
      std::vector<float> g32;
      std::vector<double> g64;
      for (std::size_t i = 0; i < initial[j].size(); ++i) {
        g32.push_back(static_cast<float>(gradient(j, i, t)));
        g64.push_back(g32.back());
      }
      grads.emplace_back(g32, vars[j]);
      rule(ref[j], g64, t, j);
    }
    step(*optimizer, grads);
    for (std::size_t j = 0; j < vars.size(); ++j) {
      const std::vector<float> ours = values(vars[j]);
      for (std::size_t i = 0; i < ours.size(); ++i)
        BOOST_TEST(std::abs(ours[i] - ref[j][i]) <= 1e-6 + 1e-5 * std::abs(ref[j][i]),
                   serialized.dump() << ": step " << t << " " << vars[j]->name() << "[" << i << "] = " << ours[i]
                                     << ", reference " << ref[j][i]);
    }
  }
}

Json config(const std::string& class_name, Json c) { return Json{{"class_name", class_name}, {"config", std::move(c)}}; }

}  // namespace

BOOST_AUTO_TEST_CASE(single_steps_computed_by_hand) {
  {  // SGD: w -= lr * g.
    auto opt = make_optimizer("SGD", {{"learning_rate", 0.1}});
    auto w = make_variable("w:0", {1.0f, -2.0f});
    step(*opt, {{{0.5f, -1.0f}, w}});
    BOOST_TEST(values(w) == std::vector<float>({0.95f, -1.9f}), tt::per_element());
  }
  {  // Momentum 0.9: v1 = -0.05, w1 = 0.95; v2 = -0.045 - 0.05 = -0.095, w2 = 0.855.
    auto opt = make_optimizer("SGD", {{"learning_rate", 0.1}, {"momentum", 0.9}});
    auto w = make_variable("w:0", {1.0f});
    step(*opt, {{{0.5f}, w}});
    BOOST_TEST(values(w)[0] == 0.95f, tt::tolerance(1e-6f));
    step(*opt, {{{0.5f}, w}});
    BOOST_TEST(values(w)[0] == 0.855f, tt::tolerance(1e-6f));
  }
  {  // Nesterov 0.9: v1 = -0.05, w1 = 1 + 0.9 * -0.05 - 0.05 = 0.905.
    auto opt = make_optimizer("SGD", {{"learning_rate", 0.1}, {"momentum", 0.9}, {"nesterov", true}});
    auto w = make_variable("w:0", {1.0f});
    step(*opt, {{{0.5f}, w}});
    BOOST_TEST(values(w)[0] == 0.905f, tt::tolerance(1e-6f));
  }
  {  // Adagrad: accumulator 0.1 + 1 = 1.1, w = 1 - 0.1 / (sqrt(1.1) + 1e-7) = 0.9046537.
    auto opt = make_optimizer("Adagrad", {{"learning_rate", 0.1}});
    auto w = make_variable("w:0", {1.0f});
    step(*opt, {{{1.0f}, w}});
    BOOST_TEST(values(w)[0] == 0.9046537f, tt::tolerance(1e-6f));
  }
  {  // Adam step 1: m = 0.1 g, v = 0.001 g^2, lr_t = lr sqrt(0.001) / 0.1, so w moves by lr * g / (|g| + eps/sqrt(0.001)).
    auto opt = make_optimizer("Adam", {{"learning_rate", 0.01}, {"epsilon", 1e-3}});
    auto w = make_variable("w:0", {1.0f});
    step(*opt, {{{0.5f}, w}});
    BOOST_TEST(values(w)[0] == 1.0f - 0.01f * 0.5f / (0.5f + 1e-3f / std::sqrt(0.001f)), tt::tolerance(1e-6f));
  }
  {  // RMSprop, momentum 0: ms = 0.1 g^2, w -= lr g / (sqrt(ms) + eps) = 0.01 / sqrt(0.1) (eps outside).
    auto opt = make_optimizer("RMSprop", {{"learning_rate", 0.01}, {"epsilon", 0.5}});
    auto w = make_variable("w:0", {1.0f});
    step(*opt, {{{1.0f}, w}});
    BOOST_TEST(values(w)[0] == 1.0f - 0.01f / (std::sqrt(0.1f) + 0.5f), tt::tolerance(1e-6f));
  }
  {  // The same RMSprop from a Keras 3 config: the new optimizers put eps inside the sqrt.
    auto opt = make_optimizer("RMSprop", {{"learning_rate", 0.01}, {"epsilon", 0.5}, {"weight_decay", nullptr}});
    auto w = make_variable("w:0", {1.0f});
    step(*opt, {{{1.0f}, w}});
    BOOST_TEST(values(w)[0] == 1.0f - 0.01f / std::sqrt(0.1f + 0.5f), tt::tolerance(1e-6f));
  }
  {  // Adagrad from a tf.keras 2.11 config: w -= lr g / sqrt(accumulator + eps).
    auto opt = make_optimizer("Adagrad", {{"learning_rate", 0.1}, {"epsilon", 0.5}, {"is_legacy_optimizer", false}});
    auto w = make_variable("w:0", {1.0f});
    step(*opt, {{{1.0f}, w}});
    BOOST_TEST(values(w)[0] == 1.0f - 0.1f / std::sqrt(1.1f + 0.5f), tt::tolerance(1e-6f));
  }
  {  // RMSprop, momentum 0.5: eps inside the sqrt (TensorFlow's ApplyRMSProp).
    auto opt = make_optimizer("RMSprop", {{"learning_rate", 0.01}, {"epsilon", 0.5}, {"momentum", 0.5}});
    auto w = make_variable("w:0", {1.0f});
    step(*opt, {{{1.0f}, w}});
    BOOST_TEST(values(w)[0] == 1.0f - 0.01f / std::sqrt(0.1f + 0.5f), tt::tolerance(1e-6f));
  }
}

BOOST_AUTO_TEST_CASE(sgd_matches_the_reference_rule) {
  for (double momentum : {0.0, 0.9})
    for (bool nesterov : {false, true}) {
      const double lr = 0.1;
      State s(2);
      check_against_reference(
          config("SGD", {{"learning_rate", lr}, {"momentum", momentum}, {"nesterov", nesterov}}),
          [&](std::vector<double>& w, const std::vector<double>& g, int, std::size_t j) {
            auto& v = s.get(s.a, j, w.size());
            for (std::size_t i = 0; i < w.size(); ++i) {
              v[i] = momentum * v[i] - lr * g[i];
              w[i] += nesterov ? momentum * v[i] - lr * g[i] : v[i];
            }
          });
    }
}

BOOST_AUTO_TEST_CASE(adam_matches_the_reference_rule) {
  for (bool amsgrad : {false, true}) {
    const double lr = 0.05, b1 = 0.875, b2 = 0.9375, eps = 1e-7;
    State s(2);
    check_against_reference(
        config("Adam", {{"learning_rate", lr}, {"beta_1", b1}, {"beta_2", b2}, {"epsilon", eps}, {"amsgrad", amsgrad}}),
        [&](std::vector<double>& w, const std::vector<double>& g, int t, std::size_t j) {
          auto& m = s.get(s.a, j, w.size());
          auto& v = s.get(s.b, j, w.size());
          auto& vhat = s.get(s.c, j, w.size());
          const double lr_t = lr * std::sqrt(1 - std::pow(b2, t)) / (1 - std::pow(b1, t));
          for (std::size_t i = 0; i < w.size(); ++i) {
            m[i] = b1 * m[i] + (1 - b1) * g[i];
            v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
            vhat[i] = std::max(vhat[i], v[i]);
            w[i] -= lr_t * m[i] / (std::sqrt(amsgrad ? vhat[i] : v[i]) + eps);
          }
        });
  }
}

BOOST_AUTO_TEST_CASE(rmsprop_matches_the_reference_rule) {
  for (double momentum : {0.0, 0.5})
    for (bool centered : {false, true}) {
      const double lr = 0.01, rho = 0.75, eps = 1e-3;
      State s(2);
      check_against_reference(
          config("RMSprop", {{"learning_rate", lr}, {"rho", rho}, {"momentum", momentum}, {"epsilon", eps}, {"centered", centered}}),
          [&](std::vector<double>& w, const std::vector<double>& g, int, std::size_t j) {
            auto& ms = s.get(s.a, j, w.size());
            auto& mg = s.get(s.b, j, w.size());
            auto& mom = s.get(s.c, j, w.size());
            for (std::size_t i = 0; i < w.size(); ++i) {
              ms[i] = rho * ms[i] + (1 - rho) * g[i] * g[i];
              mg[i] = rho * mg[i] + (1 - rho) * g[i];
              const double denominator = centered ? ms[i] - mg[i] * mg[i] : ms[i];
              if (momentum > 0) {
                mom[i] = momentum * mom[i] + lr * g[i] / std::sqrt(denominator + eps);
                w[i] -= mom[i];
              } else {
                w[i] -= lr * g[i] / (std::sqrt(denominator) + eps);
              }
            }
          });
    }
}

BOOST_AUTO_TEST_CASE(adagrad_adadelta_adamax_match_their_reference_rules) {
  {
    const double lr = 0.1, init = 0.25, eps = 1e-7;
    State s(2);
    check_against_reference(config("Adagrad", {{"learning_rate", lr}, {"initial_accumulator_value", init}, {"epsilon", eps}}),
                            [&](std::vector<double>& w, const std::vector<double>& g, int, std::size_t j) {
                              auto& acc = s.get(s.a, j, w.size(), init);
                              for (std::size_t i = 0; i < w.size(); ++i) {
                                acc[i] += g[i] * g[i];
                                w[i] -= lr * g[i] / (std::sqrt(acc[i]) + eps);
                              }
                            });
  }
  {
    const double lr = 1.0, rho = 0.75, eps = 1e-3;
    State s(2);
    check_against_reference(config("Adadelta", {{"learning_rate", lr}, {"rho", rho}, {"epsilon", eps}}),
                            [&](std::vector<double>& w, const std::vector<double>& g, int, std::size_t j) {
                              auto& acc = s.get(s.a, j, w.size());
                              auto& acc_update = s.get(s.b, j, w.size());
                              for (std::size_t i = 0; i < w.size(); ++i) {
                                acc[i] = rho * acc[i] + (1 - rho) * g[i] * g[i];
                                const double update = std::sqrt(acc_update[i] + eps) / std::sqrt(acc[i] + eps) * g[i];
                                w[i] -= lr * update;
                                acc_update[i] = rho * acc_update[i] + (1 - rho) * update * update;
                              }
                            });
  }
  {
    const double lr = 0.05, b1 = 0.875, b2 = 0.9375, eps = 1e-7;
    State s(2);
    check_against_reference(config("Adamax", {{"learning_rate", lr}, {"beta_1", b1}, {"beta_2", b2}, {"epsilon", eps}}),
                            [&](std::vector<double>& w, const std::vector<double>& g, int t, std::size_t j) {
                              auto& m = s.get(s.a, j, w.size());
                              auto& u = s.get(s.b, j, w.size());
                              for (std::size_t i = 0; i < w.size(); ++i) {
                                m[i] = b1 * m[i] + (1 - b1) * g[i];
                                u[i] = std::max(b2 * u[i], std::abs(g[i]));
                                w[i] -= lr / (1 - std::pow(b1, t)) * m[i] / (u[i] + eps);
                              }
                            });
  }
}

BOOST_AUTO_TEST_CASE(nadam_matches_the_reference_rule) {
  // The legacy Nadam decays the momentum with 0.96^(0.004 t); the Keras >= 2.11 one with 0.96^t.
  for (const auto& [extra, schedule_decay] : {std::pair<Json, double>{Json::object(), 0.004},
                                              std::pair<Json, double>{{{"weight_decay", nullptr}}, 1.0}}) {
    const double lr = 0.05, b1 = 0.875, b2 = 0.9375, eps = 1e-7;
    State s(2);
    double cache = 1.0;  // the momentum cache, advanced once per step (by the first variable)
    double cache_next = 0.0, mu_t = 0.0, mu_t1 = 0.0;
    Json c = {{"learning_rate", lr}, {"beta_1", b1}, {"beta_2", b2}, {"epsilon", eps}};
    c.update(extra);
    check_against_reference(
        config("Nadam", c),
        [&](std::vector<double>& w, const std::vector<double>& g, int t, std::size_t j) {
          if (j == 0) {
            mu_t = b1 * (1 - 0.5 * std::pow(0.96, schedule_decay * t));
            mu_t1 = b1 * (1 - 0.5 * std::pow(0.96, schedule_decay * (t + 1)));
            cache *= mu_t;
            cache_next = cache * mu_t1;
          }
          auto& m = s.get(s.a, j, w.size());
          auto& v = s.get(s.b, j, w.size());
          for (std::size_t i = 0; i < w.size(); ++i) {
            m[i] = b1 * m[i] + (1 - b1) * g[i];
            v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
            const double m_bar = (1 - mu_t) * g[i] / (1 - cache) + mu_t1 * m[i] / (1 - cache_next);
            w[i] -= lr * m_bar / (std::sqrt(v[i] / (1 - std::pow(b2, t))) + eps);
          }
        });
  }
}

namespace {

// The learning rate an SGD step uses when the counter is at `iterations`: w = 0, g = -1.
double learning_rate_at(const Json& learning_rate, std::int64_t iterations, double decay = 0.0) {
  auto opt = make_optimizer("SGD", {{"learning_rate", learning_rate}, {"decay", decay}});
  auto w = make_variable("w:0", {0.0f});
  opt->build({w});
  opt->iterations()->assign(ksave::Tensor::scalar<std::int64_t>(iterations));
  step(*opt, {{{-1.0f}, w}});
  return values(w)[0];
}

Json schedule(const std::string& class_name, Json c) { return Json{{"class_name", class_name}, {"config", std::move(c)}}; }

}  // namespace

BOOST_AUTO_TEST_CASE(learning_rate_schedules_and_legacy_decay) {
  const Json exponential = schedule("ExponentialDecay", {{"initial_learning_rate", 0.1}, {"decay_steps", 10}, {"decay_rate", 0.5}});
  BOOST_TEST(learning_rate_at(exponential, 0) == 0.1, tt::tolerance(1e-6));
  BOOST_TEST(learning_rate_at(exponential, 5) == 0.1 * std::sqrt(0.5), tt::tolerance(1e-6));
  Json stairs = exponential;
  stairs["config"]["staircase"] = true;
  BOOST_TEST(learning_rate_at(stairs, 15) == 0.05, tt::tolerance(1e-6));

  const Json inverse = schedule("InverseTimeDecay", {{"initial_learning_rate", 0.1}, {"decay_steps", 10}, {"decay_rate", 1.0}});
  BOOST_TEST(learning_rate_at(inverse, 10) == 0.05, tt::tolerance(1e-6));
  BOOST_TEST(learning_rate_at(inverse, 15) == 0.04, tt::tolerance(1e-6));
  Json inverse_stairs = inverse;
  inverse_stairs["config"]["staircase"] = true;
  BOOST_TEST(learning_rate_at(inverse_stairs, 15) == 0.05, tt::tolerance(1e-6));

  const Json piecewise = schedule("PiecewiseConstantDecay", {{"boundaries", {10, 20}}, {"values", {1.0, 0.5, 0.1}}});
  BOOST_TEST(learning_rate_at(piecewise, 10) == 1.0, tt::tolerance(1e-6));
  BOOST_TEST(learning_rate_at(piecewise, 11) == 0.5, tt::tolerance(1e-6));
  BOOST_TEST(learning_rate_at(piecewise, 20) == 0.5, tt::tolerance(1e-6));
  BOOST_TEST(learning_rate_at(piecewise, 21) == 0.1, tt::tolerance(1e-6));

  const Json polynomial = schedule("PolynomialDecay", {{"initial_learning_rate", 0.1}, {"decay_steps", 10},
                                                       {"end_learning_rate", 0.01}, {"power", 2.0}});
  BOOST_TEST(learning_rate_at(polynomial, 5) == 0.09 * 0.25 + 0.01, tt::tolerance(1e-6));
  BOOST_TEST(learning_rate_at(polynomial, 20) == 0.01, tt::tolerance(1e-6));
  Json cycle = polynomial;
  cycle["config"]["cycle"] = true;
  BOOST_TEST(learning_rate_at(cycle, 15) == 0.09 * 0.0625 + 0.01, tt::tolerance(1e-6));  // decay_steps becomes 20

  // Legacy decay: lr / (1 + decay * iterations).
  BOOST_TEST(learning_rate_at(0.1, 0, 0.5) == 0.1, tt::tolerance(1e-6));
  BOOST_TEST(learning_rate_at(0.1, 2, 0.5) == 0.05, tt::tolerance(1e-6));
  // Both: the schedule first, then the decay.
  BOOST_TEST(learning_rate_at(exponential, 10, 0.25) == 0.05 / 3.5, tt::tolerance(1e-6));

  // Every optimizer takes a schedule (the legacy Nadam refuses one, as Keras does; the new one takes it).
  for (const char* name : {"SGD", "Adam", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam"}) {
    Json c = {{"learning_rate", piecewise}};
    if (std::string(name) == "Nadam") c["weight_decay"] = nullptr;
    auto opt = make_optimizer(name, c);
    auto w = make_variable("w:0", {1.0f});
    step(*opt, {{{0.5f}, w}});
    BOOST_TEST(values(w)[0] < 1.0f, name);
  }
}

BOOST_AUTO_TEST_CASE(gradient_clipping) {
  const auto clipped = [](const Json& options, const std::vector<std::vector<float>>& grads) {
    Json c = options;
    c["learning_rate"] = 1.0;
    auto opt = make_optimizer("SGD", c);
    std::vector<ksave::VariablePtr> vars;
    std::vector<std::pair<std::vector<float>, ksave::VariablePtr>> pairs;
    for (std::size_t j = 0; j < grads.size(); ++j) {
      // Appended piecewise: GCC 12 warns falsely (-Wrestrict) on "v" + std::to_string(j).
      std::string name = std::to_string(j);
      name.insert(0, 1, 'v');
      name += ":0";
      vars.push_back(make_variable(name, std::vector<float>(grads[j].size(), 0.0f)));
      pairs.emplace_back(grads[j], vars.back());
    }
    step(*opt, pairs);
    std::vector<std::vector<float>> out;
    for (const auto& v : vars) {
      out.push_back(values(v));
      for (float& x : out.back()) x = -x;
    }
    return out;
  };
  using G = std::vector<std::vector<float>>;
  BOOST_TEST(clipped({{"clipvalue", 0.5}}, {{2.0f, -0.25f, -3.0f}})[0] == std::vector<float>({0.5f, -0.25f, -0.5f}),
             tt::per_element());
  const G by_norm = clipped({{"clipnorm", 1.0}}, {{3.0f, 4.0f}, {0.3f, 0.4f}});
  BOOST_TEST(by_norm[0] == std::vector<float>({0.6f, 0.8f}), tt::per_element());
  BOOST_TEST(by_norm[1] == std::vector<float>({0.3f, 0.4f}), tt::per_element());  // norm 0.5: unchanged
  // Global norm of (3, 4) and (0, 12) is 13: both scaled by 5 / 13.
  const G global = clipped({{"global_clipnorm", 5.0}}, {{3.0f, 4.0f}, {0.0f, 12.0f}});
  BOOST_TEST(global[0][0] == 15.0f / 13.0f, tt::tolerance(1e-6f));
  BOOST_TEST(global[1][1] == 60.0f / 13.0f, tt::tolerance(1e-6f));
  // clipvalue first, then clipnorm: (10, 10) -> (1, 1) -> norm sqrt 2 -> (1, 1) / sqrt 2.
  const G both = clipped({{"clipvalue", 1.0}, {"clipnorm", 1.0}}, {{10.0f, 10.0f}});
  BOOST_TEST(both[0][0] == 1.0f / std::sqrt(2.0f), tt::tolerance(1e-6f));
}

BOOST_AUTO_TEST_CASE(weight_decay_of_the_new_optimizers_and_constraints) {
  // Keras 3 / tf.keras >= 2.11: w -= w * weight_decay * lr before the update.
  auto opt = make_optimizer("SGD", {{"name", "sgd"}, {"learning_rate", 0.1}, {"weight_decay", 0.5}});
  auto w = make_variable("w:0", {2.0f});
  step(*opt, {{{1.0f}, w}});
  BOOST_TEST(values(w)[0] == 2.0f - 2.0f * 0.5f * 0.1f - 0.1f, tt::tolerance(1e-6f));

  // A constraint projects the variable right after its update (OptimizerV2 does it).
  auto sgd = make_optimizer("SGD", {{"learning_rate", 1.0}});
  auto v = make_variable("v:0", {0.5f, 0.5f});
  v->constraint = ksave::get_constraint("non_neg");
  step(*sgd, {{{1.0f, -1.0f}, v}});
  BOOST_TEST(values(v) == std::vector<float>({0.0f, 1.5f}), tt::per_element());
}

BOOST_AUTO_TEST_CASE(missing_gradients_are_skipped_and_bad_gradients_refused) {
  auto opt = make_optimizer("Adam", Json::object());
  auto a = make_variable("a:0", {1.0f});
  auto b = make_variable("b:0", {1.0f});
  opt->apply_gradients({{ksave::Tensor(), a}, {ksave::Tensor::from_vector<float>({1.0f}, {1}), b}});
  BOOST_TEST(values(a)[0] == 1.0f);  // no gradient: untouched, as Keras does
  BOOST_TEST(values(b)[0] < 1.0f);
  BOOST_TEST(opt->slots(*a).empty());
  const auto message = [&](const std::vector<std::pair<ksave::Tensor, ksave::VariablePtr>>& pairs) -> std::string {
    try {
      opt->apply_gradients(pairs);
    } catch (const ksave::Error& e) {
      return e.what();
    }
    return "";
  };
  BOOST_TEST(message({{ksave::Tensor(), a}}).find("no gradients provided for any variable (a:0)") != std::string::npos);
  const std::string shape = message({{ksave::Tensor::from_vector<float>({1.0f, 2.0f}, {2}), b}});
  BOOST_TEST(shape.find("gradient of 'b:0' has shape (2,), the variable (1,)") != std::string::npos, shape);
  auto int_var = std::make_shared<ksave::Variable>("i:0", ksave::Tensor::from_vector<std::int32_t>({1}, {1}));
  const std::string dtype = message({{ksave::Tensor::from_vector<float>({1.0f}, {1}), int_var}});
  BOOST_TEST(dtype.find("can only train float32 variables, 'i:0' is int32") != std::string::npos, dtype);
}
