// IndexedSlices gradients (an Embedding table's), against each Keras generation's documented
// arithmetic computed here in double precision (keras/src/optimizers with the TensorFlow
// backend's sparse ops; tf_keras/src/optimizers and its legacy/ sparse kernels):
//   Keras 3 squares each slice before adding them and updates every row;
//   tf-keras (both generations) adds duplicate slices first; its new optimizers then do their
//   dense arithmetic, its legacy ones touch only the looked-up rows where their sparse kernels do;
//   every generation clips the slices, not their sum.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <optional>
#include <utility>
#include <vector>

#include "optimizer_test_support.hpp"

using ksave::IndexedSlices;
using ksave::Json;
using ksave::Tensor;
using ksave::VariablePtr;
using ksave::test::make_optimizer;
namespace tt = boost::test_tools;

namespace {

// A [3, 2] table: row 0 looked up twice, row 1 once, row 2 never.
const std::vector<float> kTable{0.5f, -0.25f, 1.0f, 0.75f, -1.5f, 2.0f};
const std::vector<std::int64_t> kIds{0, 1, 0};
const std::vector<float> kSlices{0.3f, -0.2f, 0.1f, 0.4f, -0.6f, 0.5f};

VariablePtr table() { return std::make_shared<ksave::Variable>("embedding/embeddings:0", Tensor::from_vector<float>(kTable, {3, 2})); }

IndexedSlices slices(const std::vector<std::int64_t>& ids = kIds, const std::vector<float>& values = kSlices) {
  return {Tensor::from_vector<std::int64_t>(ids, {static_cast<ksave::Dim>(ids.size())}),
          Tensor::from_vector<float>(values, {static_cast<ksave::Dim>(ids.size()), 2})};
}

// The slices added per element (the dense gradient), in float32 as the tape adds them.
Tensor summed(const std::vector<std::int64_t>& ids = kIds, const std::vector<float>& values = kSlices) {
  std::vector<float> out(6, 0.0f);
  for (std::size_t k = 0; k < ids.size(); ++k)
    for (std::size_t j = 0; j < 2; ++j) out[static_cast<std::size_t>(ids[k]) * 2 + j] += values[k * 2 + j];
  return Tensor::from_vector<float>(out, {3, 2});
}

void sparse_step(ksave::Optimizer& optimizer, const VariablePtr& variable, const IndexedSlices& s, const Tensor& dense) {
  optimizer.apply_gradients_with_slices({{dense, variable}}, {s});
}

std::vector<float> slot(const ksave::Optimizer& optimizer, const VariablePtr& variable, const std::string& name) {
  for (const auto& [slot_name, v] : optimizer.slots(*variable))
    if (slot_name == name) return v->value().to_vector<float>();
  BOOST_FAIL("no slot " + name);
  return {};
}

bool close(const std::vector<float>& ours, const std::vector<double>& reference) {
  if (ours.size() != reference.size()) return false;
  for (std::size_t i = 0; i < ours.size(); ++i)
    if (std::fabs(ours[i] - reference[i]) > 1e-6 + 1e-5 * std::fabs(reference[i])) return false;
  return true;
}

const Json kKeras3 = {{"learning_rate", 0.1}, {"weight_decay", nullptr}};
const Json kKerasNew = {{"learning_rate", 0.1}, {"is_legacy_optimizer", false}};
const Json kLegacy = {{"learning_rate", 0.1}};

Json with(Json config, const Json& more) {
  config.update(more);
  return config;
}

}  // namespace

BOOST_AUTO_TEST_CASE(keras3_adam_squares_each_slice_and_decays_every_row) {
  for (const bool amsgrad : {false, true}) {
    const auto adam = make_optimizer("Adam", with(kKeras3, {{"amsgrad", amsgrad}}));
    const VariablePtr w = table();
    sparse_step(*adam, w, slices(), summed());
    // A second step that leaves rows 0 and 2 out: they still decay and move.
    sparse_step(*adam, w, slices({1}, {0.2f, -0.1f}), summed({1}, {0.2f, -0.1f}));
    std::vector<double> m(6, 0.0), v(6, 0.0), vhat(6, 0.0), ref(kTable.begin(), kTable.end());
    const double b1 = 0.9, b2 = 0.999, eps = 1e-7, lr = 0.1;
    const auto step = [&](const std::vector<std::int64_t>& ids, const std::vector<float>& values, int t) {
      std::vector<double> g(6, 0.0), g2(6, 0.0);
      for (std::size_t k = 0; k < ids.size(); ++k)
        for (std::size_t j = 0; j < 2; ++j) {
          const double s = values[k * 2 + j];
          g[static_cast<std::size_t>(ids[k]) * 2 + j] += s;
          g2[static_cast<std::size_t>(ids[k]) * 2 + j] += s * s;
        }
      const double alpha = lr * std::sqrt(1 - std::pow(b2, t)) / (1 - std::pow(b1, t));
      for (std::size_t i = 0; i < 6; ++i) {
        m[i] += (g[i] - m[i]) * (1 - b1);
        v[i] += (g2[i] - v[i]) * (1 - b2);
        vhat[i] = std::max(vhat[i], v[i]);
        ref[i] -= m[i] * alpha / (std::sqrt(amsgrad ? vhat[i] : v[i]) + eps);
      }
    };
    step(kIds, kSlices, 1);
    step({1}, {0.2f, -0.1f}, 2);
    BOOST_TEST(close(w->value().to_vector<float>(), ref));
    BOOST_TEST(close(slot(*adam, w, "v"), v));
    BOOST_TEST(close(slot(*adam, w, "m"), m));
  }
}

BOOST_AUTO_TEST_CASE(keras3_nonlinear_terms_take_the_slices) {
  // One step from fresh slots, the rule's terms written out per optimizer.
  std::vector<double> g2(6, 0.0), g_abs(6, 0.0);
  for (std::size_t k = 0; k < kIds.size(); ++k)
    for (std::size_t j = 0; j < 2; ++j) {
      const double s = kSlices[k * 2 + j];
      g2[static_cast<std::size_t>(kIds[k]) * 2 + j] += s * s;
      g_abs[static_cast<std::size_t>(kIds[k]) * 2 + j] += std::fabs(s);
    }
  std::vector<double> sum(6, 0.0);
  for (std::size_t k = 0; k < kIds.size(); ++k)
    for (std::size_t j = 0; j < 2; ++j) sum[static_cast<std::size_t>(kIds[k]) * 2 + j] += kSlices[k * 2 + j];
  const double lr = 0.1;
  {  // Adagrad: accumulator += square(g) (slices), w -= lr g / sqrt(acc + eps)
    const auto adagrad = make_optimizer("Adagrad", kKeras3);
    const VariablePtr w = table();
    sparse_step(*adagrad, w, slices(), summed());
    std::vector<double> acc(6), ref(kTable.begin(), kTable.end());
    for (std::size_t i = 0; i < 6; ++i) {
      acc[i] = 0.1 + g2[i];
      ref[i] -= lr * sum[i] / std::sqrt(acc[i] + 1e-7);
    }
    BOOST_TEST(close(slot(*adagrad, w, "accumulator"), acc));
    BOOST_TEST(close(w->value().to_vector<float>(), ref));
  }
  {  // RMSprop: velocity = rho v + (1 - rho) square(g) (slices)
    const auto rmsprop = make_optimizer("RMSprop", kKeras3);
    const VariablePtr w = table();
    sparse_step(*rmsprop, w, slices(), summed());
    std::vector<double> vel(6), ref(kTable.begin(), kTable.end());
    for (std::size_t i = 0; i < 6; ++i) {
      vel[i] = 0.1 * g2[i];
      ref[i] -= lr * sum[i] / std::sqrt(vel[i] + 1e-7);
    }
    BOOST_TEST(close(slot(*rmsprop, w, "rms"), vel));
    BOOST_TEST(close(w->value().to_vector<float>(), ref));
  }
  {  // Adamax: u = max(beta_2 u, densified abs(g)) = the slices' absolute values added
    const auto adamax = make_optimizer("Adamax", kKeras3);
    const VariablePtr w = table();
    sparse_step(*adamax, w, slices(), summed());
    std::vector<double> m(6), u(6), ref(kTable.begin(), kTable.end());
    for (std::size_t i = 0; i < 6; ++i) {
      m[i] = 0.1 * sum[i];
      u[i] = g_abs[i];
      ref[i] -= lr * m[i] / ((1 - 0.9) * (u[i] + 1e-7));
    }
    BOOST_TEST(close(slot(*adamax, w, "v"), u));
    BOOST_TEST(close(w->value().to_vector<float>(), ref));
  }
  {  // Adadelta: both accumulators add squared slices (the second the slices' steps)
    const auto adadelta = make_optimizer("Adadelta", with(kKeras3, {{"learning_rate", 1.0}}));
    const VariablePtr w = table();
    sparse_step(*adadelta, w, slices(), summed());
    const double rho = 0.95, eps = 1e-7;
    std::vector<double> acc(6), acc_delta(6), ref(kTable.begin(), kTable.end());
    for (std::size_t i = 0; i < 6; ++i) {
      acc[i] = (1 - rho) * g2[i];
      const double ratio = std::sqrt(0.0 + eps) / std::sqrt(acc[i] + eps);
      acc_delta[i] = (1 - rho) * ratio * ratio * g2[i];
      ref[i] -= ratio * sum[i];
    }
    BOOST_TEST(close(slot(*adadelta, w, "accum_grad"), acc));
    BOOST_TEST(close(slot(*adadelta, w, "accum_var"), acc_delta));
    BOOST_TEST(close(w->value().to_vector<float>(), ref));
  }
}

BOOST_AUTO_TEST_CASE(tf_keras_new_optimizers_sum_duplicates_first) {
  // Bit for bit the dense step on the summed gradient.
  for (const char* name : {"Adam", "RMSprop", "Adagrad", "Adamax", "Nadam", "Adadelta", "SGD"}) {
    const auto sparse = make_optimizer(name, kKerasNew);
    const auto dense = make_optimizer(name, kKerasNew);
    const VariablePtr a = table(), b = table();
    // Built before the step, as a loaded model's optimizer is (tf-keras's Nadam divides by zero on
    // a first step that builds it for one variable; ksave reproduces that quirk).
    sparse->build({a});
    dense->build({b});
    sparse_step(*sparse, a, slices(), summed());
    dense->apply_gradients({{summed(), b}});
    BOOST_TEST_CONTEXT(name) {
      BOOST_TEST(a->value().to_vector<float>() == b->value().to_vector<float>(), tt::per_element());
    }
  }
}

BOOST_AUTO_TEST_CASE(legacy_sparse_kernels_touch_the_looked_up_rows) {
  // First a dense step everywhere (slots non-zero), then one that looks up row 1 only.
  const auto run = [](const char* name, const Json& config, bool sparse_second) {
    const auto optimizer = make_optimizer(name, config);
    const VariablePtr w = table();
    const Tensor everywhere = Tensor::from_vector<float>({0.2f, -0.3f, 0.1f, 0.4f, -0.5f, 0.25f}, {3, 2});
    optimizer->apply_gradients({{everywhere, w}});
    if (sparse_second)
      sparse_step(*optimizer, w, slices({1}, {0.2f, -0.1f}), summed({1}, {0.2f, -0.1f}));
    else
      optimizer->apply_gradients({{summed({1}, {0.2f, -0.1f}), w}});
    std::vector<std::vector<float>> state{w->value().to_vector<float>()};
    for (const auto& [slot_name, v] : optimizer->slots(*w)) state.push_back(v->value().to_vector<float>());
    return state;
  };
  const auto rows = [](const std::vector<float>& t, std::initializer_list<std::size_t> r) {
    std::vector<float> out;
    for (std::size_t row : r) out.insert(out.end(), t.begin() + row * 2, t.begin() + row * 2 + 2);
    return out;
  };
  struct Case {
    const char* name;
    Json config;
    bool slots_everywhere;  // the slots still decay at rows not looked up (the variable does not move)
  };
  const std::vector<Case> cases{{"SGD", with(kLegacy, {{"momentum", 0.9}}), false},
                                {"RMSprop", with(kLegacy, {{"momentum", 0.5}}), false},
                                {"Adagrad", kLegacy, false},
                                {"Adadelta", kLegacy, false},
                                {"Adamax", kLegacy, false},
                                {"Nadam", kLegacy, true},
                                {"RMSprop", kLegacy, true}};
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.name << " " << c.config.dump()) {
      const auto sparse = run(c.name, c.config, true);
      const auto dense = run(c.name, c.config, false);
      // The looked-up row: the dense kernel's numbers.
      for (std::size_t k = 0; k < sparse.size(); ++k)
        BOOST_TEST(rows(sparse[k], {1}) == rows(dense[k], {1}), tt::per_element());
      // Rows 0 and 2: the variable stays where the first step left it ...
      const auto optimizer = make_optimizer(c.name, c.config);
      const VariablePtr w = table();
      optimizer->apply_gradients({{Tensor::from_vector<float>({0.2f, -0.3f, 0.1f, 0.4f, -0.5f, 0.25f}, {3, 2}), w}});
      std::vector<std::vector<float>> first{w->value().to_vector<float>()};
      for (const auto& [slot_name, v] : optimizer->slots(*w)) first.push_back(v->value().to_vector<float>());
      BOOST_TEST(rows(sparse[0], {0, 2}) == rows(first[0], {0, 2}), tt::per_element());
      // ... and the slots either decay as the dense step's or stay too.
      for (std::size_t k = 1; k < sparse.size(); ++k)
        BOOST_TEST(rows(sparse[k], {0, 2}) == rows(c.slots_everywhere ? dense[k] : first[k], {0, 2}), tt::per_element());
    }
  }
  // Adam's sparse kernel decays and moves every row: the dense step.
  BOOST_TEST((run("Adam", kLegacy, true) == run("Adam", kLegacy, false)));
}

BOOST_AUTO_TEST_CASE(clipping_takes_the_slices) {
  // Two equal slices on one row: their norm is sqrt(2) |s| = 7.07, their sum's 2 |s| = 10.
  const std::vector<std::int64_t> ids{1, 1};
  const std::vector<float> values{3.0f, 4.0f, 3.0f, 4.0f};
  for (const Json& style : {kKeras3, kKerasNew, kLegacy}) {
    BOOST_TEST_CONTEXT(style.dump()) {
      {
        const auto sgd = make_optimizer("SGD", with(style, {{"learning_rate", 1.0}, {"clipnorm", 1.0}}));
        const VariablePtr w = table();
        sparse_step(*sgd, w, slices(ids, values), summed(ids, values));
        const double scale = 1.0 / std::sqrt(50.0);
        std::vector<double> ref(kTable.begin(), kTable.end());
        ref[2] -= 6.0 * scale;
        ref[3] -= 8.0 * scale;
        BOOST_TEST(close(w->value().to_vector<float>(), ref));
      }
      {
        const auto sgd = make_optimizer("SGD", with(style, {{"learning_rate", 1.0}, {"clipvalue", 3.5}}));
        const VariablePtr w = table();
        sparse_step(*sgd, w, slices(ids, values), summed(ids, values));
        std::vector<double> ref(kTable.begin(), kTable.end());
        ref[2] -= 6.0;  // 3 + 3: each slice within the bound
        ref[3] -= 7.0;  // 3.5 + 3.5: each slice clipped, not their sum 8
        BOOST_TEST(close(w->value().to_vector<float>(), ref));
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(keras3_global_clipnorm_makes_the_gradient_dense) {
  // Keras 3's clip_by_global_norm takes the slices' norm, then `v * scale` densifies them: Adam's
  // v then squares the scaled sum (measured with Keras 3.15: v row 1 is 0.001 (2 s / sqrt(50))^2).
  const std::vector<std::int64_t> ids{1, 1};
  const std::vector<float> values{3.0f, 4.0f, 3.0f, 4.0f};
  const auto adam = make_optimizer("Adam", with(kKeras3, {{"global_clipnorm", 1.0}}));
  const VariablePtr w = table();
  sparse_step(*adam, w, slices(ids, values), summed(ids, values));
  const double scale = 1.0 / std::sqrt(50.0);
  const std::vector<double> v{0.0, 0.0, 0.001 * 36.0 * scale * scale, 0.001 * 64.0 * scale * scale, 0.0, 0.0};
  BOOST_TEST(close(slot(*adam, w, "v"), v));
}

BOOST_AUTO_TEST_CASE(slices_that_do_not_fit_the_variable_are_refused) {
  const auto adam = make_optimizer("Adam", kKeras3);
  const VariablePtr w = table();
  BOOST_CHECK_THROW(sparse_step(*adam, w, slices({3}, {1.0f, 1.0f}), summed()), ksave::Error);
  IndexedSlices wrong_width{Tensor::from_vector<std::int64_t>({0}, {1}), Tensor::from_vector<float>({1.0f}, {1, 1})};
  BOOST_CHECK_THROW(sparse_step(*adam, w, wrong_width, summed()), ksave::Error);
}
