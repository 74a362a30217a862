// Data-parallel training over MPI (run under mpirun -np 1, 2 and 3): for every optimizer, 20
// steps with the strategy give the weights of 20 single-process steps on the same global batches
// (within 1e-5 relative), ranks stay bit-identical, logs, evaluate and predict agree with one
// process, and mismatched models or batches too small for the ranks are refused.
#define BOOST_TEST_MODULE mpi_training
#include <boost/test/unit_test.hpp>

#include "ksave/optimizer.hpp"
#include "ksave/registry.hpp"
#include "mpi_test_models.hpp"

using namespace mpi_test;

namespace {

// |a - b| <= rtol * max(|a|, |b|), with an absolute floor for values near zero.
inline void check_close(const Tensor& a, const Tensor& b, const std::string& what, double rtol = 1e-5, double atol = 1e-7) {
  BOOST_REQUIRE_MESSAGE(a.shape() == b.shape(), what << ": shapes " << shape_to_string(a.shape()) << " and " << shape_to_string(b.shape()));
  const std::vector<double> x = a.to_vector<double>(), y = b.to_vector<double>();
  double worst = 0;
  std::size_t at = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double excess = std::abs(x[i] - y[i]) - (rtol * std::max(std::abs(x[i]), std::abs(y[i])) + atol);
    if (excess > worst) worst = excess, at = i;
  }
  BOOST_CHECK_MESSAGE(worst <= 0, what << ": element " << at << " is " << x[at] << " against " << y[at] << " (rtol " << rtol << ")");
}


// 50 rows in global batches of 16: 3 full batches and a remainder of 2 (fewer rows than 3
// ranks, so one rank has none), 5 epochs: 20 steps.
constexpr Dim kRows = 50;
constexpr std::int64_t kBatch = 16;
constexpr int kEpochs = 5;

Tensors inputs() { return {sequence({kRows, 6}, 3)}; }
Tensors targets() { return {one_hot_targets(kRows, 3)}; }

FitOptions fit_options(std::shared_ptr<DataParallelStrategy> strategy) {
  FitOptions o;
  o.batch_size = kBatch;
  o.epochs = kEpochs;
  o.seed = 7;
  o.verbose = 0;
  o.strategy = std::move(strategy);
  return o;
}

const std::vector<Json> kOptimizers = {
    {{"class_name", "SGD"}, {"config", {{"learning_rate", 0.1}}}},
    {{"class_name", "SGD"}, {"config", {{"learning_rate", 0.05}, {"momentum", 0.9}, {"nesterov", true}}}},
    {{"class_name", "Adam"}, {"config", {{"learning_rate", 0.01}}}},
    {{"class_name", "Adam"}, {"config", {{"learning_rate", 0.01}, {"amsgrad", true}}}},
    {{"class_name", "RMSprop"}, {"config", {{"learning_rate", 0.01}}}},
    {{"class_name", "RMSprop"}, {"config", {{"learning_rate", 0.01}, {"momentum", 0.5}, {"centered", true}}}},
    {{"class_name", "Adagrad"}, {"config", {{"learning_rate", 0.05}}}},
    {{"class_name", "Adadelta"}, {"config", {{"learning_rate", 1.0}}}},
    {{"class_name", "Adamax"}, {"config", {{"learning_rate", 0.01}}}},
    {{"class_name", "Nadam"}, {"config", {{"learning_rate", 0.01}}}},
};

ModelPtr compiled_classifier(const Json& optimizer, bool batch_norm = false) {
  ModelPtr m = classifier(batch_norm);
  m->compile(optimizer, "categorical_crossentropy", Json::array({"accuracy"}));
  return m;
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_optimizer_matches_one_process_after_20_steps) {
  auto strategy = mpi::strategy();
  for (const Json& optimizer : kOptimizers) {
    const std::string name = optimizer.dump();
    BOOST_TEST_CONTEXT(name << " on " << strategy->num_replicas() << " ranks") {
      BOOST_REQUIRE_MESSAGE(Registry::global().resolve(Kind::Optimizer, optimizer["class_name"]), "no optimizer plugin " << name);
      ModelPtr alone = compiled_classifier(optimizer);
      const History expected = alone->fit(inputs(), targets(), fit_options(nullptr));
      ModelPtr replica = compiled_classifier(optimizer);
      const History got = replica->fit(inputs(), targets(), fit_options(strategy));

      BOOST_TEST(replica->optimizer()->iterations()->value().item() == 20.0);
      const auto want = alone->weights(), have = replica->weights();
      for (std::size_t i = 0; i < want.size(); ++i) check_close(have[i]->value(), want[i]->value(), want[i]->name());
      const auto want_state = alone->optimizer()->variables(), have_state = replica->optimizer()->variables();
      BOOST_REQUIRE_EQUAL(want_state.size(), have_state.size());
      for (std::size_t i = 0; i < want_state.size(); ++i)
        check_close(have_state[i]->value(), want_state[i]->value(), "optimizer " + want_state[i]->name());
      for (const char* key : {"loss", "accuracy"})
        check_close(Tensor::from_vector<double>(got.history.at(key), {kEpochs}),
                    Tensor::from_vector<double>(expected.history.at(key), {kEpochs}), std::string("history ") + key);
      BOOST_TEST(identical_on_every_rank(replica->weights()), "the ranks' weights differ");
    }
  }
}

BOOST_AUTO_TEST_CASE(small_buckets_without_overlap_give_the_same_weights) {
  // One bucket per variable, reduced on the calling thread: the layout must not change the sums.
  auto strategy = mpi::strategy({.bucket_bytes = 4, .overlap = false});
  auto overlapped = mpi::strategy();
  const Json adam = kOptimizers[2];
  ModelPtr a = compiled_classifier(adam), b = compiled_classifier(adam);
  a->fit(inputs(), targets(), fit_options(strategy));
  b->fit(inputs(), targets(), fit_options(overlapped));
  for (std::size_t i = 0; i < a->weights().size(); ++i)
    check_close(a->weights()[i]->value(), b->weights()[i]->value(), a->weights()[i]->name(), 1e-6);
}

BOOST_AUTO_TEST_CASE(batch_norm_statistics_are_averaged_and_identical_on_every_rank) {
  auto strategy = mpi::strategy();
  ModelPtr m = compiled_classifier(kOptimizers[0], true);
  m->fit(inputs(), targets(), fit_options(strategy));
  BOOST_TEST(identical_on_every_rank(m->weights()), "weights or moving statistics differ between ranks");
  bool moved = false;
  for (const auto& v : m->non_trainable_weights())
    if (v->short_name() == "moving_mean") moved = ops::sum(ops::abs(v->value())).item() > 0;
  BOOST_TEST(moved, "moving_mean was never updated");
}

BOOST_AUTO_TEST_CASE(evaluate_and_predict_agree_with_one_process) {
  auto strategy = mpi::strategy();
  ModelPtr m = compiled_classifier(kOptimizers[2]);
  m->fit(inputs(), targets(), fit_options(strategy));
  const Logs alone = m->evaluate(inputs(), targets(), kBatch);
  const Logs replicas = m->evaluate(inputs(), targets(), kBatch, 0, {}, strategy);
  for (const auto& [key, value] : alone) {
    BOOST_REQUIRE(replicas.count(key));
    BOOST_TEST(replicas.at(key) == value, boost::test_tools::tolerance(1e-5));
  }
  check_close(m->predict(inputs(), kBatch, *strategy)[0], m->predict(inputs(), kBatch)[0], "predict", 1e-5, 1e-7);
}

BOOST_AUTO_TEST_CASE(validation_logs_agree_with_one_process) {
  auto strategy = mpi::strategy();
  FitOptions with = fit_options(strategy), without = fit_options(nullptr);
  with.validation_split = without.validation_split = 0.2;
  with.epochs = without.epochs = 2;
  ModelPtr a = compiled_classifier(kOptimizers[4]), b = compiled_classifier(kOptimizers[4]);
  const History got = a->fit(inputs(), targets(), with), expected = b->fit(inputs(), targets(), without);
  for (const char* key : {"loss", "accuracy", "val_loss", "val_accuracy"})
    check_close(Tensor::from_vector<double>(got.history.at(key), {2}), Tensor::from_vector<double>(expected.history.at(key), {2}),
                std::string("history ") + key);
}

BOOST_AUTO_TEST_CASE(ranks_with_different_models_are_refused_on_every_rank) {
  auto strategy = mpi::strategy();
  if (strategy->num_replicas() < 2) return;
  // Rank 1 builds a wider hidden layer.
  std::vector<LayerPtr> layers{Input({6}).layer(), make_layer("Dense", {{"units", strategy->rank() == 1 ? 9 : 8}}),
                               make_layer("Dense", {{"units", 3}, {"activation", "softmax"}})};
  auto m = std::make_shared<Sequential>(layers);
  m->compile("sgd", "categorical_crossentropy");
  try {
    m->fit(inputs(), targets(), fit_options(strategy));
    BOOST_ERROR("fit accepted different models");
  } catch (const Error& e) {
    const std::string message = e.what();
    BOOST_TEST(message.find("the ranks hold different models") != std::string::npos, message);
    BOOST_TEST(message.find("rank 1 has") != std::string::npos, message);
  }
}

BOOST_AUTO_TEST_CASE(a_first_batch_smaller_than_the_ranks_is_refused) {
  auto strategy = mpi::strategy();
  if (strategy->num_replicas() < 2) return;
  ModelPtr m = compiled_classifier(kOptimizers[0]);
  FitOptions o = fit_options(strategy);
  o.batch_size = 1;
  BOOST_CHECK_EXCEPTION(m->fit(inputs(), targets(), o), UsageError, [](const UsageError& e) {
    return std::string(e.what()).find("replicas") != std::string::npos;
  });
}
