// What watching a training run costs: one epoch of fit for an MLP 784-512-512-10 (1024 rows,
// batch 128) without callbacks, with the TensorBoard callback at its most talkative (batch
// scalars every batch, weight histograms every epoch, the model graph) and with CSVLogger; and
// the histogram summary of one 784x512 kernel alone. Compare the fit rows of one run, and with
// the same rows of tf-keras (benchmarks/tf_keras_tensorboard.py) run right after:
//   build/bin/bench_tensorboard --benchmark_min_time=2
#include <benchmark/benchmark.h>

#include <filesystem>

#include "bench_support.hpp"
#include "ksave/model.hpp"
#include "ksave/ops.hpp"
#include "ksave/registry.hpp"
#include "ksave/serialization.hpp"
#include "ksave/tensorboard.hpp"

namespace {

using namespace ksave;
namespace fs = std::filesystem;

enum Watch { kNothing, kTensorBoard, kCsv };

ModelPtr compiled_mlp() {
  std::vector<LayerPtr> layers{Input({784}).layer()};
  for (Dim units : {512, 512, 10})
    layers.push_back(make_layer("Dense", {{"units", units}, {"activation", units == 10 ? "softmax" : "relu"}}));
  auto model = std::make_shared<Sequential>(layers);
  unsigned salt = 1;
  for (const auto& v : model->weights()) v->assign(ops::mul(bench::pseudo_random(v->shape(), salt++), 0.05));
  model->compile(Json{{"class_name", "SGD"}, {"config", {{"learning_rate", 0.01}}}}, "categorical_crossentropy",
                 Json::array({"accuracy"}));
  return model;
}

void BM_FitEpoch(benchmark::State& state) {
  if (!Registry::global().resolve(Kind::Optimizer, "SGD")) {
    state.SkipWithError("no SGD optimizer plugin");
    return;
  }
  const auto watch = static_cast<Watch>(state.range(0));
  auto model = compiled_mlp();
  const Tensor x = bench::pseudo_random({1024, 784}, 7);
  Tensor y(DType::Float32, {1024, 10});
  for (Dim i = 0; i < 1024; ++i) y.data<float>()[i * 10 + (i * 7) % 10] = 1.f;
  const fs::path dir = fs::temp_directory_path() / ("ksave_bench_tensorboard_" + std::to_string(state.range(0)));
  FitOptions options;
  options.batch_size = 128;
  options.verbose = 0;
  options.shuffle = false;
  for (auto _ : state) {
    state.PauseTiming();
    fs::remove_all(dir);
    options.callbacks.clear();
    if (watch == kTensorBoard)
      options.callbacks.push_back(std::make_shared<tensorboard::TensorBoard>(
          dir, tensorboard::TensorBoardOptions{.histogram_freq = 1, .write_graph = true, .update_freq = 1}));
    if (watch == kCsv) options.callbacks.push_back(std::make_shared<CSVLogger>(dir.string() + ".csv"));
    state.ResumeTiming();
    benchmark::DoNotOptimize(model->fit({x}, {y}, options));
  }
  fs::remove_all(dir);
  fs::remove(dir.string() + ".csv");
  state.SetItemsProcessed(state.iterations() * 1024);
  state.SetLabel(watch == kNothing ? "no callback" : watch == kTensorBoard ? "TensorBoard" : "CSVLogger");
}
// Process CPU time: ksave's matrix products run on worker threads as well as the caller's.
BENCHMARK(BM_FitEpoch)
    ->Arg(kNothing)
    ->Arg(kTensorBoard)
    ->Arg(kCsv)
    ->Unit(benchmark::kMillisecond)
    ->MeasureProcessCPUTime()
    ->UseRealTime();

void BM_HistogramSummary_784x512(benchmark::State& state) {
  const fs::path dir = fs::temp_directory_path() / "ksave_bench_histogram";
  fs::remove_all(dir);
  tensorboard::SummaryWriter writer(dir);
  const Tensor kernel = bench::pseudo_random({784, 512}, 3);
  std::int64_t step = 0;
  for (auto _ : state) {
    writer.histogram("dense/kernel_0/histogram", kernel, step++);
    writer.flush();
  }
  state.SetItemsProcessed(state.iterations() * kernel.size());
  fs::remove_all(dir);
}
BENCHMARK(BM_HistogramSummary_784x512)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime()->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
