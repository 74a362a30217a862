// Throughput of predict and of a training step for an MLP 784-512-512-10 at batch 128, and the
// latency of a single-sample predict of a 16-64-32-5 MLP, and predict and a training step of a
// small CNN (28x28x1 → Conv2D 16 3x3 relu → MaxPooling2D 2 → Flatten → Dense 10 softmax) at
// batch 64. numpy_mlp.py and numpy_cnn.py in this folder do the same computations with numpy
// (OpenBLAS) so the two can be compared side by side:
//   build/bin/bench_training --benchmark_min_time=2
//   /usr/bin/python3 benchmarks/numpy_mlp.py; /usr/bin/python3 benchmarks/numpy_cnn.py
#include <benchmark/benchmark.h>

#include <cmath>

#include "bench_support.hpp"
#include "ksave/model.hpp"
#include "ksave/ops.hpp"
#include "ksave/registry.hpp"
#include "ksave/serialization.hpp"

namespace {

using namespace ksave;

using bench::pseudo_random;

using bench::mlp;
using bench::one_hot_labels;

void BM_PredictMLP_784_512_512_10(benchmark::State& state) {
  auto model = mlp({784, 512, 512, 10});
  const Tensor x = pseudo_random({128, 784}, 99);
  for (auto _ : state) benchmark::DoNotOptimize(model->predict_on_batch({x}));
  state.SetItemsProcessed(state.iterations() * 128);
}
BENCHMARK(BM_PredictMLP_784_512_512_10)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_FitStepMLP_784_512_512_10(benchmark::State& state) {
  if (!Registry::global().resolve(Kind::Optimizer, "SGD")) {
    state.SkipWithError("no SGD optimizer plugin");
    return;
  }
  auto model = mlp({784, 512, 512, 10});
  model->compile(Json{{"class_name", "SGD"}, {"config", {{"learning_rate", 0.01}}}}, "categorical_crossentropy");
  const Tensor x = pseudo_random({128, 784}, 98), y = one_hot_labels(128, 10);
  for (auto _ : state) benchmark::DoNotOptimize(model->train_on_batch({x}, {y}));
  state.SetItemsProcessed(state.iterations() * 128);
}
BENCHMARK(BM_FitStepMLP_784_512_512_10)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_PredictSingleSample_16_64_32_5(benchmark::State& state) {
  auto model = mlp({16, 64, 32, 5});
  const Tensor x = pseudo_random({1, 16}, 97);
  for (auto _ : state) benchmark::DoNotOptimize(model->predict_on_batch({x}));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PredictSingleSample_16_64_32_5)->Unit(benchmark::kMicrosecond);

// The same through Model::predict (argument checks, batching) rather than predict_on_batch.
void BM_PredictApiSingleSample_16_64_32_5(benchmark::State& state) {
  auto model = mlp({16, 64, 32, 5});
  const Tensor x = pseudo_random({1, 16}, 97);
  for (auto _ : state) benchmark::DoNotOptimize(model->predict(x));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PredictApiSingleSample_16_64_32_5)->Unit(benchmark::kMicrosecond);

ModelPtr small_cnn() {
  auto model = std::make_shared<Sequential>(std::vector<LayerPtr>{
      Input({28, 28, 1}).layer(),
      make_layer("Conv2D", {{"filters", 16}, {"kernel_size", {3, 3}}, {"activation", "relu"}}),
      make_layer("MaxPooling2D", {{"pool_size", {2, 2}}}), make_layer("Flatten"),
      make_layer("Dense", {{"units", 10}, {"activation", "softmax"}})});
  unsigned salt = 11;
  for (const auto& v : model->weights()) v->assign(ops::mul(pseudo_random(v->shape(), salt++), 0.05));
  return model;
}

void BM_PredictSmallCNN_batch64(benchmark::State& state) {
  auto model = small_cnn();
  const Tensor x = pseudo_random({64, 28, 28, 1}, 96);
  for (auto _ : state) benchmark::DoNotOptimize(model->predict_on_batch({x}));
  state.SetItemsProcessed(state.iterations() * 64);
}
BENCHMARK(BM_PredictSmallCNN_batch64)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_FitStepSmallCNN_batch64(benchmark::State& state) {
  auto model = small_cnn();
  model->compile(Json{{"class_name", "SGD"}, {"config", {{"learning_rate", 0.01}}}}, "categorical_crossentropy");
  const Tensor x = pseudo_random({64, 28, 28, 1}, 95), y = one_hot_labels(64, 10);
  for (auto _ : state) benchmark::DoNotOptimize(model->train_on_batch({x}, {y}));
  state.SetItemsProcessed(state.iterations() * 64);
}
BENCHMARK(BM_FitStepSmallCNN_batch64)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
