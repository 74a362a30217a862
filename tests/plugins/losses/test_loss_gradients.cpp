// Every loss differentiates through the tape (it is written with ops): dL/dy_pred against
// central differences, away from the kinks of abs/max and from the clip bounds.
#include <boost/test/unit_test.hpp>

#include "ksave/autodiff.hpp"
#include "ksave/ops.hpp"
#include "loss_support.hpp"
#include "support/gradient_check.hpp"

using namespace ksave;
using losses_test::F;
using losses_test::make_loss;

namespace {

bool check_loss(const std::string& name, const Tensor& y_true, const Tensor& y_pred,
                const Json& config = Json::object()) {
  LossPtr loss = make_loss(name, config);
  auto f = [&](const std::vector<Tensor>& in) { return loss->per_sample(y_true, in[0]); };
  auto analytic = [&](const std::vector<Tensor>& in, const Tensor&, const Tensor& w) {
    GradientTape tape;
    const Tensor target = ops::sum(ops::mul(loss->per_sample(y_true, in[0]), w));
    return tape.gradient(target, in);
  };
  ksave::test::GradientCheckOptions options;
  options.eps = 1e-3;
  return ksave::test::check_gradients(name + " " + config.dump(), f, {y_pred}, analytic, options);
}

}  // namespace

BOOST_AUTO_TEST_CASE(loss_gradients_match_finite_differences) {
  const Tensor t = F({0.1f, 0.9f, 0.3f, 0.6f, 0.2f, 0.4f}, {2, 3});
  const Tensor p = F({0.3f, 0.5f, 0.15f, 0.25f, 0.55f, 0.7f}, {2, 3});
  for (const char* name : {"mse", "mae", "mape", "msle", "huber", "log_cosh", "kld", "poisson", "hinge",
                           "squared_hinge", "cosine_similarity", "binary_crossentropy"})
    BOOST_TEST(check_loss(name, t, p), name);
  const Tensor onehot = F({0, 1, 0, 1, 0, 0}, {2, 3});
  BOOST_TEST(check_loss("categorical_crossentropy", onehot, p));
  BOOST_TEST(check_loss("CategoricalCrossentropy", onehot, F({2, -1, 0.5f, 0.3f, 1.5f, -2}, {2, 3}),
                        {{"from_logits", true}, {"label_smoothing", 0.1}}));
  BOOST_TEST(check_loss("sparse_categorical_crossentropy", F({1, 0}, {2, 1}), p));
  BOOST_TEST(check_loss("SparseCategoricalCrossentropy", F({2, 0}, {2}), F({2, -1, 0.5f, 0.3f, 1.5f, -2}, {2, 3}),
                        {{"from_logits", true}}));
  BOOST_TEST(check_loss("BinaryCrossentropy", F({1, 0, 1, 0}, {4, 1}), F({2, -1, 0.5f, 0.3f}, {4, 1}),
                        {{"from_logits", true}, {"label_smoothing", 0.2}}));
}
