// SpectralNormalization: inference is the wrapped layer with its kernel as stored; a training
// call divides the kernel by its largest singular value (checked with Eigen's SVD after enough
// power iterations, and one iteration against the formula written out here) and stores vector_u;
// the weights in Keras's order and names; every format; configs; a layer without a kernel is
// refused by name. Real Keras's numbers are in the interop suite (models.py, spectral_norm).
#define BOOST_TEST_MODULE spectral_normalization plugin
#include <boost/test/unit_test.hpp>

#include <Eigen/Dense>
#include <cmath>

#include "layer_checks/layer_checks.hpp"

using ksave::Json;
using ksave::Tensor;
using ksave::Tensors;
using ksave::test::layer_from;
using ksave::test::ramp;

namespace {

Json wrapping(const Json& layer, int iterations = 1) {
  return {{"layer", layer}, {"power_iterations", iterations}};
}
const Json kDense = {{"class_name", "Dense"}, {"config", {{"units", 3}}}};

Eigen::MatrixXd as_matrix(const Tensor& kernel) {
  const ksave::Dim columns = kernel.shape().back(), rows = kernel.size() / columns;
  const std::vector<float> v = kernel.to_vector<float>();
  Eigen::MatrixXd m(rows, columns);
  for (ksave::Dim r = 0; r < rows; ++r)
    for (ksave::Dim c = 0; c < columns; ++c) m(r, c) = v[static_cast<std::size_t>(r * columns + c)];
  return m;
}

double largest_singular_value(const Tensor& kernel) {
  return Eigen::JacobiSVD<Eigen::MatrixXd>(as_matrix(kernel)).singularValues()(0);
}

ksave::CallContext training() {
  ksave::CallContext ctx;
  ctx.training = true;
  return ctx;
}

}  // namespace

BOOST_AUTO_TEST_CASE(inference_is_the_wrapped_layer_and_training_normalizes_the_kernel) {
  const auto layer = layer_from("SpectralNormalization", wrapping(kDense, 50));
  const Tensor x = ramp({4, 5});
  (*layer)(x);  // builds it
  const auto weights = layer->weights();
  BOOST_TEST_REQUIRE(weights.size() == 3u);
  // A fixed kernel, not Glorot's random one: 50 power iterations converge to 1e-4 only when the
  // two largest singular values are apart, which a random 5x3 kernel sometimes is not (1 run in
  // ~30 failed so).
  std::vector<float> fixed(15);
  for (std::size_t i = 0; i < fixed.size(); ++i) fixed[i] = static_cast<float>(0.9 * std::sin(1.0 + 1.7 * static_cast<double>(i)));
  weights[0]->assign(Tensor::from_vector(fixed, {5, 3}));
  const Tensor kernel = weights[0]->value().clone();
  const auto singular = Eigen::JacobiSVD<Eigen::MatrixXd>(as_matrix(kernel)).singularValues();
  BOOST_TEST_REQUIRE(singular(0) > 1.05);
  BOOST_TEST_REQUIRE(singular(1) < 0.9 * singular(0));
  // Inference: Dense with the stored kernel, which stays as it is.
  const Tensor before = (*layer)(x);
  const Tensor by_hand = ksave::ops::add(ksave::ops::matmul(x, kernel), weights[1]->value());
  BOOST_TEST(ksave::allclose(before, by_hand, 1e-6, 1e-6));
  BOOST_TEST(ksave::allclose(weights[0]->value(), kernel, 0.0, 0.0));
  // Training: the kernel divided by its largest singular value (50 iterations converge).
  const Tensor trained = (*layer)(Tensors{x}, training()).at(0);
  BOOST_TEST(largest_singular_value(weights[0]->value()) == 1.0, boost::test_tools::tolerance(1e-4));
  const double sigma = largest_singular_value(kernel);
  const std::vector<float> k0 = kernel.to_vector<float>(), k1 = weights[0]->value().to_vector<float>();
  for (std::size_t i = 0; i < k0.size(); ++i) BOOST_TEST(k1[i] == k0[i] / sigma, boost::test_tools::tolerance(1e-4));
  BOOST_TEST(ksave::allclose(trained, ksave::ops::add(ksave::ops::matmul(x, weights[0]->value()), weights[1]->value()), 1e-6, 1e-6));
}

// One iteration from a known u, written out: v = norm(u Wᵀ), u' = norm(v W), sigma = v W u'ᵀ.
BOOST_AUTO_TEST_CASE(one_power_iteration_is_keras_formula) {
  const auto layer = layer_from("SpectralNormalization", wrapping(kDense));
  (*layer)(ramp({2, 4}));
  const auto weights = layer->weights();
  const Tensor u0 = Tensor::from_vector<float>({0.3f, -0.2f, 0.5f}, {1, 3});
  weights[2]->assign(u0);
  const Eigen::MatrixXd w = as_matrix(weights[0]->value());
  Eigen::RowVectorXd u = as_matrix(u0).row(0);
  const Eigen::RowVectorXd v = (u * w.transpose()).normalized();
  u = (v * w).normalized();
  const double sigma = (v * w).dot(u);
  const Eigen::MatrixXd expected = w / sigma;
  (*layer)(Tensors{ramp({2, 4})}, training());
  BOOST_TEST((as_matrix(weights[0]->value()) - expected).cwiseAbs().maxCoeff() < 1e-6);
  BOOST_TEST((as_matrix(weights[2]->value()).row(0) - u).cwiseAbs().maxCoeff() < 1e-6);
}

BOOST_AUTO_TEST_CASE(weights_configs_formats_and_refusals) {
  auto model = ksave::test::sequential_of_layers(
      Json::array({{{"class_name", "SpectralNormalization"}, {"config", wrapping(kDense)}},
                   {{"class_name", "SpectralNormalization"},
                    {"config", wrapping({{"class_name", "Conv1D"}, {"config", {{"filters", 2}, {"kernel_size", 2}}}}, 2)}}}),
      {ksave::kUnknown, 6, 4});
  std::vector<std::string> names;
  for (const auto& w : model->weights()) names.push_back(w->name());
  // tf-keras's order: the kernel and bias, then vector_u (not trainable), per wrapper.
  BOOST_TEST_REQUIRE(names.size() == 6u);
  BOOST_TEST(names[0].find("kernel") != std::string::npos);
  BOOST_TEST(names[1].find("bias") != std::string::npos);
  BOOST_TEST(names[2].find("vector_u") != std::string::npos);
  BOOST_TEST(!model->weights()[2]->trainable());
  ksave::test::check_weight_round_trips(model, {ramp({2, 6, 4})}, "spectral_normalization");
  ksave::test::config_round_trips(layer_from("SpectralNormalization", wrapping(kDense, 3)));
  for (const Json& bad : {wrapping({{"class_name", "Activation"}, {"config", {{"activation", "relu"}}}}), wrapping(kDense, 0)}) {
    std::string message;
    try {
      (*layer_from("SpectralNormalization", bad))(ramp({2, 3}));
    } catch (const ksave::Error& e) {
      message = e.what();
    }
    BOOST_TEST(message.find("SpectralNormalization") != std::string::npos, bad.dump());
  }
}
