// The compute workloads of issue 14, predict and one training step, at 1 and 2 intra-op threads:
//   mlp_big    MLP 784-512(relu)-512(relu)-10(softmax), batch 128
//   mlp_small  MLP 16-64(relu)-32(relu)-5(softmax), one sample (predict only)
//   cnn        28x28x1 -> Conv2D 16 3x3 relu -> MaxPooling2D 2 -> Flatten -> Dense 10 softmax, batch 64
//   lstm       LSTM(128) over 100 steps of 64 features, batch 32 (training: MSE on the last state)
//   text       Embedding(10000, 64) -> LSTM(64) -> Dense(1, sigmoid), 100 ids, batch 32
//   gru, rnn   GRU(128) (reset_after) and SimpleRNN(128) over the LSTM's input (predict only; no
//              peer runs them: ksave against its own earlier builds)
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
#include "compute_workloads.hpp"
#include "ksave/ksave.hpp"

namespace {

using namespace ksave;
using bench::Workload;

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
  std::vector<Workload> all = bench::compute_workloads();
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
