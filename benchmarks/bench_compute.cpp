// The compute workloads of issue 14, predict and one training step, at 1 and 2 intra-op threads:
//   mlp_big    MLP 784-512(relu)-512(relu)-10(softmax), batch 128
//   mlp_small  MLP 16-64(relu)-32(relu)-5(softmax), one sample (predict only)
//   cnn        28x28x1 -> Conv2D 16 3x3 relu -> MaxPooling2D 2 -> Flatten -> Dense 10 softmax, batch 64
//   lstm       LSTM(128) over 100 steps of 64 features, batch 32 (training: MSE on the last state)
//   text       Embedding(10000, 64) -> LSTM(64) -> Dense(1, sigmoid), 100 ids, batch 32
// Prints one JSON object per line (workload, threads, wall/CPU medians) after a table, for
// compare_compute.py, which runs this beside the ONNX Runtime, TensorFlow and numpy peers.
//   bench_compute [--threads 1,2] [--rounds 7] [--round-time 0.3] [--only mlp_big,cnn] [--json]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "bench_support.hpp"
#include "compute_timing.hpp"
#include "ksave/ksave.hpp"

namespace {

using namespace ksave;
using bench::pseudo_random;

struct Options {
  std::vector<int> threads{1, 2};
  int rounds = 7;
  double round_time = 0.3;
  std::vector<std::string> only;
  bool json_only = false;
};

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, ',');) parts.push_back(part);
  return parts;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", arg.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--threads") {
      o.threads.clear();
      for (const std::string& t : split(value())) o.threads.push_back(std::atoi(t.c_str()));
    } else if (arg == "--rounds") {
      o.rounds = std::atoi(value().c_str());
    } else if (arg == "--round-time") {
      o.round_time = std::atof(value().c_str());
    } else if (arg == "--only") {
      o.only = split(value());
    } else if (arg == "--json") {
      o.json_only = true;
    } else {
      std::fprintf(stderr, "unknown argument %s\n", arg.c_str());
      std::exit(2);
    }
  }
  return o;
}

// Small weights (as glorot would give) so activations and losses stay in range.
ModelPtr with_weights(ModelPtr model, unsigned salt) {
  for (const auto& v : model->weights()) v->assign(ops::mul(pseudo_random(v->shape(), salt++), 0.05));
  return model;
}

ModelPtr sequential(std::vector<LayerPtr> layers, unsigned salt) {
  return with_weights(std::make_shared<Sequential>(std::move(layers)), salt);
}

ModelPtr mlp(const std::vector<Dim>& sizes) {
  std::vector<LayerPtr> layers{Input({sizes[0]}).layer()};
  for (std::size_t i = 1; i < sizes.size(); ++i)
    layers.push_back(make_layer("Dense", {{"units", sizes[i]}, {"activation", i + 1 == sizes.size() ? "softmax" : "relu"}}));
  return sequential(layers, 1);
}

ModelPtr cnn() {
  return sequential({Input({28, 28, 1}).layer(),
                     make_layer("Conv2D", {{"filters", 16}, {"kernel_size", {3, 3}}, {"activation", "relu"}}),
                     make_layer("MaxPooling2D", {{"pool_size", {2, 2}}}), make_layer("Flatten"),
                     make_layer("Dense", {{"units", 10}, {"activation", "softmax"}})},
                    11);
}

ModelPtr lstm() { return sequential({Input({100, 64}).layer(), make_layer("LSTM", {{"units", 128}})}, 21); }

ModelPtr text_classifier() {
  return sequential({Input({100}).layer(), make_layer("Embedding", {{"input_dim", 10000}, {"output_dim", 64}}),
                     make_layer("LSTM", {{"units", 64}}), make_layer("Dense", {{"units", 1}, {"activation", "sigmoid"}})},
                    31);
}

Tensor one_hot_labels(Dim rows, Dim classes) {
  Tensor y(DType::Float32, {rows, classes});
  for (Dim i = 0; i < rows; ++i) y.data<float>()[i * classes + (i * 7) % classes] = 1.f;
  return y;
}

Tensor token_ids(Dim rows, Dim steps) {
  Tensor ids(DType::Int32, {rows, steps});
  for (Dim i = 0; i < ids.size(); ++i) ids.data<std::int32_t>()[i] = static_cast<std::int32_t>((i * 7919) % 10000);
  return ids;
}

struct Workload {
  std::string name;
  ModelPtr model;
  Tensor x, y;
  Json loss;  // null: predict only
};

std::vector<Workload> workloads() {
  const Json sgd{{"class_name", "SGD"}, {"config", {{"learning_rate", 0.01}}}};
  std::vector<Workload> w;
  w.push_back({"mlp_big", mlp({784, 512, 512, 10}), pseudo_random({128, 784}, 99), one_hot_labels(128, 10),
               "categorical_crossentropy"});
  w.push_back({"mlp_small", mlp({16, 64, 32, 5}), pseudo_random({1, 16}, 97), Tensor(), nullptr});
  w.push_back({"cnn", cnn(), pseudo_random({64, 28, 28, 1}, 96), one_hot_labels(64, 10), "categorical_crossentropy"});
  w.push_back({"lstm", lstm(), pseudo_random({32, 100, 64}, 95), pseudo_random({32, 128}, 94, 0.5f),
               "mean_squared_error"});
  Tensor labels(DType::Float32, {32, 1});
  for (Dim i = 0; i < 32; ++i) labels.data<float>()[i] = static_cast<float>(i % 2);
  w.push_back({"text", text_classifier(), token_ids(32, 100), labels, "binary_crossentropy"});
  for (Workload& each : w)
    if (!each.loss.is_null()) each.model->compile(sgd, each.loss);
  return w;
}

bool selected(const Options& o, const std::string& name) {
  return o.only.empty() || std::find(o.only.begin(), o.only.end(), name) != o.only.end();
}

void report(const Options& o, const std::string& workload, const char* mode, int threads, const bench::CallTimes& t) {
  if (!o.json_only)
    std::printf("%-10s %-8s %7d %12.1f %12.1f %12.1f\n", workload.c_str(), mode, threads, t.wall_us, t.min_wall_us,
                t.cpu_us);
  std::printf("{\"peer\": \"ksave\", \"workload\": \"%s\", \"mode\": \"%s\", \"threads\": %d, \"wall_us\": %.3f, "
              "\"min_wall_us\": %.3f, \"cpu_us\": %.3f, \"rounds\": %d}\n",
              workload.c_str(), mode, threads, t.wall_us, t.min_wall_us, t.cpu_us, t.rounds);
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  const double load_before = bench::load_average();
  if (!o.json_only)
    std::printf("load average %.2f; medians of %d rounds of %.2f s\n%-10s %-8s %7s %12s %12s %12s\n", load_before,
                o.rounds, o.round_time, "workload", "mode", "threads", "wall us", "min wall us", "cpu us");
  std::vector<Workload> all = workloads();
  for (int threads : o.threads) {
    set_intra_op_parallelism_threads(threads);
    for (Workload& w : all) {
      if (!selected(o, w.name)) continue;
      report(o, w.name, "predict", threads,
             bench::time_calls([&] { w.model->predict_on_batch({w.x}); }, o.rounds, o.round_time));
      if (!w.loss.is_null())
        report(o, w.name, "train", threads,
               bench::time_calls([&] { w.model->train_on_batch({w.x}, {w.y}); }, o.rounds, o.round_time));
    }
  }
  std::printf("{\"peer\": \"ksave\", \"load_average\": [%.2f, %.2f]}\n", load_before, bench::load_average());
}
