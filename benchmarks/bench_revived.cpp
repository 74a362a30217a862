// Predict through the TensorFlow graph executor against ksave's native layers, in the same run
// (issue #6: revived traced functions within 1.5x of native). Each model is saved with ksave's
// SavedModel writer (traces included) to a scratch folder and loaded back with
// ksave::load_functions; its serving_default signature runs the traced functions (signature
// wrapper → wrapped model → one function per layer), the same executor that revives layers whose
// class is absent. Both sides compute the same outputs (checked bit for bit before timing).
//   build/bin/bench_revived --benchmark_min_time=1
// The ratio revived / native is each pair's time quotient (see README.md, "Revived traced
// functions").
#include <benchmark/benchmark.h>

#include <algorithm>
#include <filesystem>
#include <unistd.h>

#include "bench_support.hpp"
#include "ksave/error.hpp"
#include "ksave/loaded_functions.hpp"
#include "ksave/model.hpp"
#include "ksave/ops.hpp"
#include "ksave/saving.hpp"
#include "ksave/serialization.hpp"

namespace {

using namespace ksave;
namespace fs = std::filesystem;

ModelPtr with_weights(std::vector<LayerPtr> layers) {
  auto model = std::make_shared<Sequential>(std::move(layers));
  unsigned salt = 1;
  for (const auto& v : model->weights()) v->assign(ops::mul(bench::pseudo_random(v->shape(), salt++), 0.1));
  return model;
}

ModelPtr mlp() {
  return with_weights({Input({16}).layer(), make_layer("Dense", {{"units", 64}, {"activation", "relu"}}),
                       make_layer("Dense", {{"units", 32}, {"activation", "relu"}}),
                       make_layer("Dense", {{"units", 5}, {"activation", "softmax"}})});
}

ModelPtr cnn() {
  return with_weights({Input({28, 28, 1}).layer(), make_layer("Conv2D", {{"filters", 16}, {"kernel_size", {3, 3}}, {"activation", "relu"}}),
                       make_layer("MaxPooling2D", {{"pool_size", {2, 2}}}), make_layer("Flatten", Json::object()),
                       make_layer("Dense", {{"units", 10}, {"activation", "softmax"}})});
}

ModelPtr lstm() {
  return with_weights({Input({10, 8}).layer(), make_layer("LSTM", {{"units", 32}}),
                       make_layer("Dense", {{"units", 1}, {"activation", "sigmoid"}})});
}

// Where the SavedModels go (variables are read from them on first call); removed at exit.
fs::path scratch() { return fs::temp_directory_path() / ("ksave_bench_revived_" + std::to_string(::getpid())); }

// A model, its SavedModel's serving signature, and one input batch.
struct Pair {
  ModelPtr model;
  LoadedFunctionsPtr functions;
  const SignatureFunction* signature = nullptr;
  std::string input_key;
  Tensor x;
};

Pair make_pair(const std::string& name, const ModelPtr& model, const Shape& batch) {
  const fs::path folder = scratch() / name;
  fs::create_directories(folder.parent_path());
  save_model(*model, folder);
  Pair pair{model, load_functions(folder), nullptr, {}, bench::pseudo_random(batch, 7)};
  pair.signature = &pair.functions->signature("serving_default");
  pair.input_key = pair.signature->inputs.begin()->first;
  const Tensor native = model->predict_on_batch({pair.x}).at(0);
  const Tensor revived = (*pair.signature)({{pair.input_key, pair.x}}).begin()->second;
  if (native.shape() != revived.shape() || !std::ranges::equal(native.values<float>(), revived.values<float>()))
    throw Error("bench_revived: " + name + ": the signature's output differs from predict");
  return pair;
}

void native(benchmark::State& state, const Pair& pair) {
  for (auto _ : state) benchmark::DoNotOptimize(pair.model->predict_on_batch({pair.x}));
}

void revived(benchmark::State& state, const Pair& pair) {
  const NamedTensors inputs{{pair.input_key, pair.x}};
  for (auto _ : state) benchmark::DoNotOptimize((*pair.signature)(inputs));
}

void register_pair(const std::string& name, const ModelPtr& model, const Shape& batch, benchmark::TimeUnit unit) {
  static std::vector<std::unique_ptr<Pair>> pairs;  // alive until the benchmarks have run
  pairs.push_back(std::make_unique<Pair>(make_pair(name, model, batch)));
  const Pair& pair = *pairs.back();
  benchmark::RegisterBenchmark(("native/" + name).c_str(), [&pair](benchmark::State& s) { native(s, pair); })->Unit(unit);
  benchmark::RegisterBenchmark(("revived/" + name).c_str(), [&pair](benchmark::State& s) { revived(s, pair); })->Unit(unit);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  register_pair("mlp_16_64_32_5_batch1", mlp(), {1, 16}, benchmark::kMicrosecond);
  register_pair("mlp_16_64_32_5_batch128", mlp(), {128, 16}, benchmark::kMicrosecond);
  register_pair("cnn_conv16_pool_dense10_batch8", cnn(), {8, 28, 28, 1}, benchmark::kMicrosecond);
  register_pair("lstm32_10x8_batch4", lstm(), {4, 10, 8}, benchmark::kMicrosecond);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  fs::remove_all(scratch());
  return 0;
}
