// Kernels finish whatever OpenMP settings the user's environment carries. oneDNN plans a
// primitive's work for the thread count ksave applies and its threads meet at barriers (a
// convolution's filter gradient): a team smaller than that plan waits forever. CTest runs this
// suite three times: with OMP_THREAD_LIMIT=1 (every team one thread), with OMP_DYNAMIC=true (the
// runtime may shrink teams on a busy machine) and without either, always at 2 intra-op threads.
// Before ksave capped its count at OpenMP's thread limit and turned dynamic teams off, the CNN
// training step below never returned under OMP_THREAD_LIMIT=1 (CTest's timeout fails it).
#define BOOST_TEST_MODULE openmp_limits
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "ksave/ksave.hpp"

using namespace ksave;

namespace {

Tensor ramp(Shape shape, float scale) {
  Tensor t(DType::Float32, std::move(shape));
  for (std::int64_t i = 0; i < t.size(); ++i) t.data<float>()[i] = scale * (static_cast<float>(i % 17) / 17.0f - 0.5f);
  return t;
}

bool all_finite(const Tensor& t) {
  for (std::int64_t i = 0; i < t.size(); ++i)
    if (!std::isfinite(t.data<float>()[i])) return false;
  return true;
}

struct TwoThreads {
  TwoThreads() { set_intra_op_parallelism_threads(2); }
  ~TwoThreads() { set_intra_op_parallelism_threads(0); }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(openmp_limits, TwoThreads)

// The issue 14 CNN, batch 64: large enough that ksave gives its convolution both threads.
BOOST_AUTO_TEST_CASE(cnn_training_step_returns) {
  auto model = std::make_shared<Sequential>(std::vector<LayerPtr>{
      Input({28, 28, 1}).layer(),
      make_layer("Conv2D", {{"filters", 16}, {"kernel_size", {3, 3}}, {"activation", "relu"}}),
      make_layer("MaxPooling2D", {{"pool_size", {2, 2}}}), make_layer("Flatten"),
      make_layer("Dense", {{"units", 10}, {"activation", "softmax"}})});
  model->compile(Json{{"class_name", "SGD"}, {"config", {{"learning_rate", 0.01}}}}, "categorical_crossentropy");
  const Tensor x = ramp({64, 28, 28, 1}, 1.0f);
  Tensor y(DType::Float32, {64, 10});
  for (std::int64_t i = 0; i < y.size(); ++i) y.data<float>()[i] = (i % 10 == (i / 10) % 10) ? 1.0f : 0.0f;
  for (int step = 0; step < 3; ++step) model->train_on_batch({x}, {y});
  BOOST_TEST(all_finite(model->predict(x)));
}

BOOST_AUTO_TEST_CASE(lstm_predict_returns) {
  auto model = std::make_shared<Sequential>(
      std::vector<LayerPtr>{Input({100, 64}).layer(), make_layer("LSTM", {{"units", 128}})});
  const Tensor out = model->predict(ramp({32, 100, 64}, 0.5f));
  BOOST_TEST(out.shape() == (Shape{32, 128}));
  BOOST_TEST(all_finite(out));
}

BOOST_AUTO_TEST_SUITE_END()
