// Keras's metrics on hand-computed values: state accumulated over several updates in the
// `total`/`count` variables, reset, labels [N] and [N, 1], configs and names, AUC with 200
// thresholds, and bad input.
#define BOOST_TEST_MODULE test_plugin_metrics
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "ksave/metric.hpp"
#include "ksave/registry.hpp"

using namespace ksave;

namespace {

MetricPtr make_metric(const std::string& name, const Json& config = Json::object()) {
  return Registry::global().require(Kind::Metric, name)->as<MetricFactory>()(config);
}

Tensor F(std::vector<float> v, Shape shape) { return Tensor::from_vector<float>(v, std::move(shape)); }

}  // namespace

BOOST_AUTO_TEST_CASE(accuracies) {
  auto binary = make_metric("binary_accuracy");
  binary->update_state(F({1, 0, 1, 0}, {4, 1}), F({0.9f, 0.6f, 0.4f, 0.1f}, {4, 1}));  // 2 of 4
  BOOST_TEST(binary->result() == 0.5);
  binary->update_state(F({1, 1}, {2}), F({0.7f, 0.8f}, {2, 1}));  // labels [N] vs [N, 1]: 2 of 2
  BOOST_TEST(binary->result() == 4.0 / 6.0, boost::test_tools::tolerance(1e-6));
  auto vars = binary->variables();
  BOOST_TEST(vars.size() == 2u);
  BOOST_TEST(vars[0]->short_name() == "total");
  BOOST_TEST(vars[0]->value().item() == 4.0);
  BOOST_TEST(vars[1]->short_name() == "count");
  BOOST_TEST(vars[1]->value().item() == 6.0);
  binary->reset_state();
  BOOST_TEST(binary->result() == 0.0);  // div_no_nan
  auto thresholded = make_metric("BinaryAccuracy", {{"threshold", 0.7}});
  thresholded->update_state(F({1, 0}, {2, 1}), F({0.65f, 0.6f}, {2, 1}));
  BOOST_TEST(thresholded->result() == 0.5);

  auto categorical = make_metric("categorical_accuracy");
  categorical->update_state(F({0, 1, 0, 1, 0, 0, 0, 0, 1}, {3, 3}), F({0.1f, 0.8f, 0.1f, 0.2f, 0.5f, 0.3f, 0, 0.4f, 0.6f}, {3, 3}));
  BOOST_TEST(categorical->result() == 2.0 / 3.0, boost::test_tools::tolerance(1e-6));

  const Tensor p = F({0.1f, 0.8f, 0.1f, 0.2f, 0.5f, 0.3f}, {2, 3});
  for (const Tensor& labels : {F({1, 2}, {2}), F({1, 2}, {2, 1})}) {
    auto sparse = make_metric("SparseCategoricalAccuracy");
    sparse->update_state(labels, p);
    BOOST_TEST(sparse->result() == 0.5);
  }
  auto exact = make_metric("Accuracy");
  exact->update_state(F({1, 2, 3, 4}, {4}), F({1, 2, 0, 4}, {4}));
  BOOST_TEST(exact->result() == 0.75);
}

BOOST_AUTO_TEST_CASE(top_k) {
  // Row 0: target 2 has the 2nd largest score; row 1: target 0 has the smallest.
  const Tensor p = F({0.5f, 0.1f, 0.3f, 0.1f, 0.1f, 0.6f, 0.2f, 0.1f}, {2, 4});
  auto top2 = make_metric("TopKCategoricalAccuracy", {{"k", 2}});
  top2->update_state(F({0, 0, 1, 0, 1, 0, 0, 0}, {2, 4}), p);
  BOOST_TEST(top2->result() == 0.5);
  auto top1 = make_metric("TopKCategoricalAccuracy", {{"k", 1}});
  top1->update_state(F({0, 0, 1, 0, 1, 0, 0, 0}, {2, 4}), p);
  BOOST_TEST(top1->result() == 0.0);
  auto top5 = make_metric("top_k_categorical_accuracy");  // k = 5 by default: everything of 4 classes
  top5->update_state(F({0, 0, 1, 0, 1, 0, 0, 0}, {2, 4}), p);
  BOOST_TEST(top5->result() == 1.0);
  auto sparse = make_metric("SparseTopKCategoricalAccuracy", {{"k", 2}});
  sparse->update_state(F({2, 0}, {2, 1}), p);
  BOOST_TEST(sparse->result() == 0.5);
}

BOOST_AUTO_TEST_CASE(regression_metrics_and_mean) {
  auto mse = make_metric("mse", {{"name", "mse"}});
  mse->update_state(F({0, 1, 0, 0}, {2, 2}), F({1, 1, 1, 0}, {2, 2}));  // per sample 0.5, 0.5
  mse->update_state(F({0, 0}, {1, 2}), F({2, 0}, {1, 2}));              // 2
  BOOST_TEST(mse->result() == 1.0, boost::test_tools::tolerance(1e-6));
  BOOST_TEST(mse->name() == "mse");
  BOOST_TEST(mse->get_config().dump() == R"({"name":"mse","dtype":"float32","fn":"mean_squared_error"})");
  BOOST_TEST(mse->class_name() == "MeanMetricWrapper");
  auto mae = make_metric("MeanAbsoluteError");
  mae->update_state(F({0, 0}, {2, 1}), F({1, -3}, {2, 1}));
  BOOST_TEST(mae->result() == 2.0);
  BOOST_TEST(mae->get_config().dump() == R"({"name":"mean_absolute_error","dtype":"float32"})");
  auto rmse = make_metric("RootMeanSquaredError");
  rmse->update_state(F({0, 0, 0, 0}, {2, 2}), F({1, 1, 3, 3}, {2, 2}));  // mean of squares 5
  BOOST_TEST(rmse->result() == std::sqrt(5.0), boost::test_tools::tolerance(1e-6));
  BOOST_TEST(rmse->variables()[1]->value().item() == 4.0);  // count: every element
  auto mean = make_metric("Mean");
  mean->update_state(F({1, 2, 3}, {3}), Tensor());
  mean->update_state(F({10}, {1}), Tensor());
  BOOST_TEST(mean->result() == 4.0);
  // A serialized MeanMetricWrapper, as tf.keras 2.x writes it into training_config.
  auto wrapped = make_metric("MeanMetricWrapper", {{"name", "accuracy"}, {"dtype", "float32"}, {"fn", "binary_accuracy"}});
  wrapped->update_state(F({1, 0}, {2, 1}), F({0.9f, 0.9f}, {2, 1}));
  BOOST_TEST(wrapped->result() == 0.5);
  BOOST_TEST(wrapped->name() == "accuracy");
  auto bce = make_metric("binary_crossentropy");
  bce->update_state(F({1}, {1, 1}), F({0.8f}, {1, 1}));
  BOOST_TEST(bce->result() == -std::log(0.8 + 1e-7), boost::test_tools::tolerance(1e-5));
}

BOOST_AUTO_TEST_CASE(auc_roc_with_200_thresholds) {
  auto auc = make_metric("AUC");
  BOOST_TEST(auc->variables().size() == 4u);
  BOOST_TEST(auc->variables()[0]->shape() == Shape{200});
  // Perfectly separated scores: AUC 1.
  auc->update_state(F({0, 0, 1, 1}, {4}), F({0.1f, 0.2f, 0.8f, 0.9f}, {4}));
  BOOST_TEST(auc->result() == 1.0, boost::test_tools::tolerance(1e-6));
  auc->reset_state();
  // Reversed: AUC 0.
  auc->update_state(F({1, 1, 0, 0}, {4}), F({0.1f, 0.2f, 0.8f, 0.9f}, {4}));
  BOOST_TEST(auc->result() == 0.0, boost::test_tools::tolerance(1e-6));
  auc->reset_state();
  // Three of the four positive/negative pairs are ordered right: the exact ROC AUC is 0.75; the
  // trapezoids over 200 thresholds give it exactly because every score lies in its own
  // threshold interval (the curve only moves along one axis at a time).
  auc->update_state(F({0, 1, 0, 1}, {4}), F({0.1f, 0.3f, 0.35f, 0.8f}, {4}));
  BOOST_TEST(auc->result() == 0.75, boost::test_tools::tolerance(1e-6));
  // All scores equal: a single step from (0,0) to (1,1) → 0.5.
  auc->reset_state();
  auc->update_state(F({0, 1, 0, 1}, {4}), F({0.5f, 0.5f, 0.5f, 0.5f}, {4}));
  BOOST_TEST(auc->result() == 0.5, boost::test_tools::tolerance(1e-6));
  BOOST_TEST(auc->get_config()["num_thresholds"] == 200);
  BOOST_TEST(auc->get_config()["thresholds"].size() == 198u);
  BOOST_CHECK_THROW(make_metric("AUC", {{"curve", "PR"}}), Error);
}

BOOST_AUTO_TEST_CASE(names_and_bad_input) {
  for (const char* name : {"accuracy", "acc", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
                           "top_k_categorical_accuracy", "mse", "MSE", "mae", "mape", "msle", "Accuracy",
                           "BinaryAccuracy", "CategoricalAccuracy", "SparseCategoricalAccuracy",
                           "TopKCategoricalAccuracy", "MeanSquaredError", "MeanAbsoluteError", "RootMeanSquaredError",
                           "Mean", "AUC", "BinaryCrossentropy", "categorical_crossentropy"})
    BOOST_TEST(make_metric(name) != nullptr, name);
  BOOST_CHECK_THROW(make_metric("no_such_metric"), Error);
  BOOST_CHECK_THROW(make_metric("MeanMetricWrapper", {{"name", "x"}}), Error);  // no fn
  BOOST_CHECK_THROW(make_metric("Mean", {{"dtype", "float64"}}), Error);
  auto sparse = make_metric("sparse_categorical_accuracy");
  BOOST_CHECK_THROW(sparse->update_state(F({1, 2, 0, 1}, {2, 2}), F({0.1f, 0.8f, 0.1f, 0.2f, 0.5f, 0.3f}, {2, 3})), Error);
}
