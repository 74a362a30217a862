// Keras's sample_weight and class_weight: a hand-computed weighted step, class weights equal to
// the sample weights they stand for, zero-weighted rows that cannot influence training, weighted
// validation and evaluation, and clear errors for weights that do not fit the data.
#define BOOST_TEST_MODULE training sample weights
#include <boost/test/unit_test.hpp>

#include "ksave/error.hpp"
#include "test_training_support.hpp"

using namespace ksave;
using namespace training_test;

namespace {

std::vector<float> flat_weights(const Model& m) {
  std::vector<float> out;
  for (const Tensor& w : m.get_weights())
    for (float v : w.to_vector<float>()) out.push_back(v);
  return out;
}

FitOptions quiet_fit(int epochs, std::int64_t batch_size) {
  FitOptions o;
  o.epochs = epochs;
  o.batch_size = batch_size;
  o.verbose = 0;
  o.seed = 17;
  return o;
}

}  // namespace

BOOST_AUTO_TEST_CASE(weighted_step_matches_hand_computation) {
  register_plain_descent();
  // y = w x + b with w = 0.5, b = 0.25; x = [1, 2], t = [2, 1], sample weights [2, 0.5].
  // y = [0.75, 1.25], errors [-1.25, 0.25]; SUM_OVER_BATCH_SIZE divides by the batch size (2):
  // loss = (2 * 1.5625 + 0.5 * 0.0625) / 2 = 1.578125
  // dw = (2 * 2 * -1.25 * 1 + 0.5 * 2 * 0.25 * 2) / 2 = -2.25; db = (2 * 2 * -1.25 + 0.5 * 2 * 0.25) / 2 = -2.375
  auto m = linear_model(0.5f, 0.25f);
  m->compile(plain(0.1), "mse");
  const Logs logs = m->train_on_batch({F({1, 2}, {2, 1})}, {F({2, 1}, {2, 1})}, F({2, 0.5f}, {2}));
  BOOST_TEST(logs.at("loss") == 1.578125, boost::test_tools::tolerance(1e-6));
  const auto w = m->get_weights();
  BOOST_TEST(w[0].item() == 0.5 + 0.1 * 2.25, boost::test_tools::tolerance(1e-6));
  BOOST_TEST(w[1].item() == 0.25 + 0.1 * 2.375, boost::test_tools::tolerance(1e-6));
  // test_on_batch weighs the same way; weights given as a column [N, 1] are accepted too.
  const double y0 = 0.725 + 0.4875, y1 = 2 * 0.725 + 0.4875;
  const double expected = (2 * (y0 - 2) * (y0 - 2) + 0.5 * (y1 - 1) * (y1 - 1)) / 2;
  BOOST_TEST(m->test_on_batch({F({1, 2}, {2, 1})}, {F({2, 1}, {2, 1})}, F({2, 0.5f}, {2, 1})).at("loss") == expected,
             boost::test_tools::tolerance(1e-5));
}

BOOST_AUTO_TEST_CASE(class_weights_are_the_sample_weights_of_each_class) {
  register_plain_descent();
  const Tensor x = data({12, 3}, 3);
  const Tensor labels = F({0, 1, 2, 1, 0, 2, 2, 1, 0, 0, 1, 2}, {12});
  std::vector<float> one_hot(36, 0.0f), by_class(12);
  const double class_weight[] = {1.0, 3.0, 0.25};
  for (int i = 0; i < 12; ++i) {
    const auto c = static_cast<int>(labels.to_vector<float>()[static_cast<std::size_t>(i)]);
    one_hot[static_cast<std::size_t>(3 * i + c)] = 1.0f;
    by_class[static_cast<std::size_t>(i)] = static_cast<float>(class_weight[c]);
  }
  auto fit_with = [&](const std::string& loss, const Tensor& y, const Tensor& sample_weight, const ClassWeights& cw) {
    auto m = mlp(3, {{6, "tanh"}, {3, "softmax"}});
    m->compile(plain(0.2), loss);
    FitOptions o = quiet_fit(3, 5);
    o.sample_weight = sample_weight;
    o.class_weight = cw;
    m->fit({x}, {y}, o);
    return flat_weights(*m);
  };
  const ClassWeights cw{{0, 1.0}, {1, 3.0}, {2, 0.25}};
  const Tensor explicit_weights = F(by_class, {12});
  // Sparse labels (the label is the class) and one-hot rows (argmax is the class).
  const auto sparse_cw = fit_with("sparse_categorical_crossentropy", labels, {}, cw);
  const auto sparse_sw = fit_with("sparse_categorical_crossentropy", labels, explicit_weights, {});
  BOOST_TEST(sparse_cw == sparse_sw, boost::test_tools::per_element());
  const auto onehot_cw = fit_with("categorical_crossentropy", F(one_hot, {12, 3}), {}, cw);
  const auto onehot_sw = fit_with("categorical_crossentropy", F(one_hot, {12, 3}), explicit_weights, {});
  BOOST_TEST(onehot_cw == onehot_sw, boost::test_tools::per_element());
  // And the weighting changes training: without it the weights differ.
  const auto unweighted = fit_with("sparse_categorical_crossentropy", labels, {}, {});
  BOOST_TEST(unweighted != sparse_cw);
}

BOOST_AUTO_TEST_CASE(zero_weighted_rows_do_not_influence_training) {
  register_plain_descent();
  const Tensor x = data({8, 3}, 5);
  const Tensor y1 = data({8, 2}, 6);
  std::vector<float> changed = y1.to_vector<float>();
  changed[2 * 3] = 40.0f;  // row 3's target, whose weight is 0
  changed[2 * 6 + 1] = -40.0f;  // row 6's
  const Tensor weights = F({1, 1, 0.5f, 0, 2, 1, 0, 1}, {8});
  auto fit_on = [&](const Tensor& y) {
    auto m = mlp(3, {{4, "tanh"}, {2, "linear"}});
    m->compile(plain(0.1), "mse");
    FitOptions o = quiet_fit(2, 3);
    o.sample_weight = weights;
    m->fit({x}, {y}, o);
    return flat_weights(*m);
  };
  BOOST_TEST(fit_on(y1) == fit_on(F(changed, {8, 2})), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(validation_and_evaluate_use_sample_weights) {
  register_plain_descent();
  const Tensor x = data({10, 3}, 7), y = data({10, 2}, 8);
  const Tensor weights = F({1, 2, 0, 1, 1, 3, 1, 0.5f, 2, 0}, {10});
  auto m = mlp(3, {{4, "tanh"}, {2, "linear"}});
  m->compile(plain(0.05), "mse");
  FitOptions o = quiet_fit(1, 4);
  o.shuffle = false;
  o.sample_weight = weights;
  o.validation_split = 0.2;  // the last 2 rows, with weights 2 and 0
  const History h = m->fit({x}, {y}, o);
  // After the epoch, val_loss is the weighted loss of the last two rows: only row 8 counts.
  const Logs on_rows = m->evaluate({x.slice_rows(8, 10)}, {y.slice_rows(8, 10)}, 32, 0, weights.slice_rows(8, 10));
  BOOST_TEST(h.history.at("val_loss").back() == on_rows.at("loss"), boost::test_tools::tolerance(1e-7));
  const Logs row8 = m->evaluate({x.slice_rows(8, 9)}, {y.slice_rows(8, 9)});
  BOOST_TEST(on_rows.at("loss") == row8.at("loss") * 2 * 1 / 2, boost::test_tools::tolerance(1e-6));
}

BOOST_AUTO_TEST_CASE(weights_that_do_not_fit_give_clear_errors) {
  register_plain_descent();
  auto m = mlp(3, {{3, "softmax"}});
  m->compile(plain(0.1), "sparse_categorical_crossentropy");
  const Tensor x = data({4, 3}, 9), labels = F({0, 2, 1, 2}, {4});
  FitOptions o = quiet_fit(1, 2);
  o.sample_weight = F({1, 1, 1}, {3});
  expect_error([&] { m->fit({x}, {labels}, o); }, "sample_weight must have shape [4]");
  o.sample_weight = {};
  o.class_weight = {{0, 1.0}, {2, 2.0}};
  expect_error([&] { m->fit({x}, {labels}, o); }, "keys 0 to one less than the number of classes, found {0, 2}");
  o.class_weight = {{0, 1.0}, {1, 2.0}};
  expect_error([&] { m->fit({x}, {labels}, o); }, "target row 1 has class 2");
  expect_error([&] { m->train_on_batch({x}, {F({0, 0.5f, 1, 1}, {4})}, {}, {{0, 1.0}, {1, 1.0}}); },
               "integer class labels; target row 1");
  expect_error([&] { m->evaluate({x}, {labels}, 32, 0, F({1, 1, 1, 1, 1, 1, 1, 1}, {4, 2})); },
               "found (4, 2)");
}
