// Keras's losses on hand-computed values (tf.keras 2.x formulas), edge cases (all-zero targets,
// logits far from zero, probabilities at the clip, labels [N] and [N, 1]), names and configs,
// and bad input.
#define BOOST_TEST_MODULE test_plugin_losses
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "loss_support.hpp"

using namespace ksave;
using losses_test::F;
using losses_test::make_loss;

namespace {

// Per-sample values of loss `name` against the expected ones (relative 1e-5, absolute 1e-6).
void expect(const std::string& name, const Tensor& y_true, const Tensor& y_pred, std::vector<double> expected,
            const Json& config = Json::object()) {
  const Tensor got = make_loss(name, config)->per_sample(y_true, y_pred);
  BOOST_TEST_CONTEXT(name << " " << config.dump()) {
    BOOST_TEST_REQUIRE(got.size() == static_cast<std::int64_t>(expected.size()));
    for (std::size_t i = 0; i < expected.size(); ++i)
      BOOST_TEST(got.item(static_cast<std::int64_t>(i)) == expected[i],
                 boost::test_tools::tolerance(1e-5));
  }
}

const double kLn2 = std::log(2.0);

}  // namespace

BOOST_AUTO_TEST_CASE(regression_losses) {
  expect("mse", F({0, 1, 0, 0}, {2, 2}), F({1, 1, 1, 0}, {2, 2}), {0.5, 0.5});
  expect("mean_absolute_error", F({0, 1, 1, 1}, {2, 2}), F({0.5f, 0.5f, 2, 1}, {2, 2}), {0.5, 0.5});
  expect("MAPE", F({2, 4}, {1, 2}), F({1, 5}, {1, 2}), {37.5});
  // All-zero targets: Keras divides by max(|y|, epsilon).
  expect("mean_absolute_percentage_error", F({0, 0}, {1, 2}), F({1, 2}, {1, 2}), {1.5e9});
  expect("msle", F({0, 1}, {1, 2}), F({1, 1}, {1, 2}), {kLn2 * kLn2 / 2});
  expect("huber", F({0, 0}, {1, 2}), F({0.5f, 2}, {1, 2}), {(0.125 + 1.5) / 2});
  expect("Huber", F({0, 0}, {1, 2}), F({0.5f, 2}, {1, 2}), {(0.125 + 2.0) / 2}, {{"delta", 2.0}});
  expect("log_cosh", F({0, 0}, {2, 1}), F({1, 100}, {2, 1}), {std::log(std::cosh(1.0)), 100 - kLn2});
  expect("poisson", F({1}, {1, 1}), F({2}, {1, 1}), {2 - std::log(2 + 1e-7)});
  expect("kld", F({0.5f, 0.5f}, {1, 2}), F({0.25f, 0.75f}, {1, 2}), {0.5 * kLn2 + 0.5 * std::log(2.0 / 3.0)});
  // All-zero targets are clipped to epsilon.
  expect("kl_divergence", F({0, 0}, {1, 2}), F({0.25f, 0.75f}, {1, 2}),
         {1e-7 * std::log(1e-7 / 0.25) + 1e-7 * std::log(1e-7 / 0.75)});
  expect("hinge", F({0, 1}, {1, 2}), F({0.3f, 0.4f}, {1, 2}), {(1.3 + 0.6) / 2});
  expect("squared_hinge", F({0, 1}, {1, 2}), F({0.3f, 0.4f}, {1, 2}), {(1.69 + 0.36) / 2});
  expect("hinge", F({-1, 1}, {1, 2}), F({0.3f, 0.4f}, {1, 2}), {(1.3 + 0.6) / 2});
  expect("cosine_similarity", F({1, 0, 0, 0}, {2, 2}), F({1, 1, 1, 1}, {2, 2}), {-1 / std::sqrt(2.0), 0.0});
}

BOOST_AUTO_TEST_CASE(binary_crossentropy) {
  expect("binary_crossentropy", F({1, 0}, {2, 1}), F({0.8f, 0.8f}, {2, 1}),
         {-std::log(0.8 + 1e-7), -std::log(0.2 + 1e-7)});
  // Probabilities at 0 and 1 are clipped to [eps, 1 - eps]: a finite loss.
  expect("binary_crossentropy", F({1, 0}, {2, 1}), F({0, 1}, {2, 1}),
         {-std::log(2e-7), -std::log(1.0 - static_cast<double>(1.f - 1e-7f) + 1e-7)});
  // Labels of shape [N] against predictions [N, 1].
  expect("binary_crossentropy", F({1, 0}, {2}), F({0.8f, 0.8f}, {2, 1}), {-std::log(0.8 + 1e-7), -std::log(0.2 + 1e-7)});
  expect("BinaryCrossentropy", F({1}, {1, 1}), F({0.8f}, {1, 1}), {-(0.9 * std::log(0.8) + 0.1 * std::log(0.2))},
         {{"label_smoothing", 0.2}});
  // Logits, including far from zero where a naive sigmoid-then-log would overflow or lose all digits.
  const Json logits{{"from_logits", true}};
  expect("BinaryCrossentropy", F({1, 1, 0, 1}, {4, 1}), F({0, 100, 100, -100}, {4, 1}), {kLn2, 0.0, 100.0, 100.0}, logits);
}

BOOST_AUTO_TEST_CASE(categorical_crossentropy) {
  expect("categorical_crossentropy", F({0, 1, 0}, {1, 3}), F({0.2f, 0.7f, 0.1f}, {1, 3}), {-std::log(0.7)});
  // Predictions that do not sum to 1 are normalised first.
  expect("categorical_crossentropy", F({0, 1, 0}, {1, 3}), F({1, 2, 1}, {1, 3}), {kLn2});
  // A probability of 0 on the true class is clipped: -log(1e-7).
  expect("categorical_crossentropy", F({1, 0}, {1, 2}), F({0, 1}, {1, 2}), {-std::log(1e-7)});
  // All-zero targets give 0.
  expect("categorical_crossentropy", F({0, 0, 0}, {1, 3}), F({0.2f, 0.7f, 0.1f}, {1, 3}), {0.0});
  expect("CategoricalCrossentropy", F({0, 1, 0}, {1, 3}), F({0.2f, 0.7f, 0.1f}, {1, 3}),
         {-(0.1 * std::log(0.2) + 0.8 * std::log(0.7) + 0.1 * std::log(0.1))}, {{"label_smoothing", 0.3}});
  const Json logits{{"from_logits", true}};
  expect("CategoricalCrossentropy", F({0, 1, 0, 1, 0, 0}, {2, 3}), F({0, 0, 0, 1000, 0, -1000}, {2, 3}),
         {std::log(3.0), 0.0}, logits);
  expect("CategoricalCrossentropy", F({0, 1, 0}, {1, 3}), F({1000, 0, -1000}, {1, 3}), {1000.0}, logits);
}

BOOST_AUTO_TEST_CASE(sparse_categorical_crossentropy_labels_n_and_n1) {
  const Tensor p = F({0.2f, 0.7f, 0.1f, 0.5f, 0.25f, 0.25f}, {2, 3});
  const std::vector<double> expected{-std::log(0.7), -std::log(0.5)};
  expect("sparse_categorical_crossentropy", F({1, 0}, {2}), p, expected);
  expect("sparse_categorical_crossentropy", F({1, 0}, {2, 1}), p, expected);
  expect("sparse_categorical_crossentropy", Tensor::from_vector<std::int64_t>({1, 0}, {2}), p, expected);
  expect("SparseCategoricalCrossentropy", F({2}, {1}), F({-1000, 0, 1000}, {1, 3}), {0.0}, {{"from_logits", true}});
  expect("SparseCategoricalCrossentropy", F({0}, {1}), F({-1000, 0, 1000}, {1, 3}), {2000.0}, {{"from_logits", true}});
}

BOOST_AUTO_TEST_CASE(sparse_labels_out_of_range_are_clear_errors) {
  const Tensor p = F({0.2f, 0.7f, 0.1f}, {1, 3});
  auto loss = make_loss("sparse_categorical_crossentropy");
  for (float bad : {3.f, -1.f, NAN}) {
    try {
      loss->per_sample(F({bad}, {1}), p);
      BOOST_FAIL("label " << bad << " accepted");
    } catch (const Error& e) {
      BOOST_TEST(std::string(e.what()).find("outside the valid range of [0, 3)") != std::string::npos, e.what());
    }
  }
  BOOST_CHECK_THROW(loss->per_sample(F({1, 2}, {1, 2}), p), Error);  // [1, 2] labels for [1, 3]
}

BOOST_AUTO_TEST_CASE(shape_mismatch_and_bad_config_are_errors) {
  BOOST_CHECK_THROW(make_loss("mse")->per_sample(F({1, 2, 3}, {1, 3}), F({1, 2}, {1, 2})), Error);
  BOOST_CHECK_THROW(make_loss("Huber", {{"reduction", "mean"}}), Error);
  BOOST_CHECK_THROW(make_loss("BinaryCrossentropy", {{"label_smoothing", 2.0}}), Error);
  BOOST_CHECK_THROW(make_loss("no_such_loss"), Error);
  try {
    make_loss("mean_sqared_error");
  } catch (const Error& e) {
    BOOST_TEST(std::string(e.what()).find("mean_sqared_error") != std::string::npos, e.what());
  }
}

BOOST_AUTO_TEST_CASE(names_and_configs) {
  for (const char* name : {"MeanSquaredError", "mean_squared_error", "mse", "MSE", "MeanAbsoluteError", "mae",
                           "MeanAbsolutePercentageError", "mape", "MeanSquaredLogarithmicError", "msle", "Huber",
                           "LogCosh", "logcosh", "BinaryCrossentropy", "binary_crossentropy",
                           "CategoricalCrossentropy", "categorical_crossentropy", "SparseCategoricalCrossentropy",
                           "sparse_categorical_crossentropy", "KLDivergence", "kld", "kullback_leibler_divergence",
                           "Poisson", "poisson", "Hinge", "hinge", "SquaredHinge", "squared_hinge",
                           "CosineSimilarity", "cosine_similarity"})
    BOOST_TEST(make_loss(name) != nullptr, name);
  const Json c = make_loss("CategoricalCrossentropy", {{"from_logits", true}, {"label_smoothing", 0.1}, {"name", "cce"}})
                     ->get_config();
  BOOST_TEST(c.dump() == R"({"reduction":"auto","name":"cce","from_logits":true,"label_smoothing":0.1,"axis":-1})");
  BOOST_TEST(make_loss("mse")->get_config().dump() == R"({"reduction":"auto","name":"mean_squared_error"})");
  BOOST_TEST(make_loss("Huber")->get_config().dump() == R"({"reduction":"auto","name":"huber_loss","delta":1.0})");
  BOOST_TEST(make_loss("mse")->class_name() == "MeanSquaredError");
}
