// keras.applications backbones (issue 14): a model file written by tf-keras (random weights) is
// loaded, then predict_on_batch and one SGD train_on_batch (categorical crossentropy) are timed
// per batch size, at one intra-op thread count. compare_applications.py writes the files and runs
// this beside TensorFlow and ONNX Runtime.
//   bench_applications --model resnet50.h5 --name resnet50 [--batches 1,8] [--threads 1]
//                      [--rounds 3] [--round-time 0.2] [--warmups 1] [--no-train] [--profile-ops CALLS]
// One warm-up call by default: the first call plans buffers and creates the primitives, and a
// ResNet50 training step takes seconds.
// Prints one JSON object per line in bench_compute's form (workload "NAME_bBATCH").
// --profile-ops CALLS: instead, the process CPU time of each op type over CALLS predicts per batch
// size (an observer timestamps every op, so the layers run unfused, one op after another: the
// profile of the path without inference folding), one JSON object per op type.
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "bench_support.hpp"
#include "compute_timing.hpp"
#include "ksave/ksave.hpp"

namespace {

using namespace ksave;

struct Options {
  std::string model, name;
  std::vector<Dim> batches{1, 8};
  int threads = 1, rounds = 3, warmups = 1, profile_calls = 0;
  double round_time = 0.2;
  bool train = true;
};

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr, "%s\nusage: bench_applications --model FILE --name NAME [--batches 1,8] [--threads N] "
                       "[--rounds R] [--round-time S] [--warmups N] [--no-train]\n", why.c_str());
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--model") o.model = value();
    else if (arg == "--name") o.name = value();
    else if (arg == "--threads") o.threads = std::atoi(value().c_str());
    else if (arg == "--rounds") o.rounds = std::atoi(value().c_str());
    else if (arg == "--round-time") o.round_time = std::atof(value().c_str());
    else if (arg == "--warmups") o.warmups = std::atoi(value().c_str());
    else if (arg == "--no-train") o.train = false;
    else if (arg == "--profile-ops") o.profile_calls = std::atoi(value().c_str());
    else if (arg == "--batches") {
      o.batches.clear();
      const std::string list = value();
      for (std::size_t p = 0; p < list.size();) {
        const std::size_t q = std::min(list.find(',', p), list.size());
        o.batches.push_back(std::atoll(list.substr(p, q - p).c_str()));
        p = q + 1;
      }
    } else {
      usage("unknown argument " + arg);
    }
  }
  if (o.model.empty() || o.name.empty()) usage("--model and --name are required");
  return o;
}

void emit(const Options& o, Dim batch, const char* mode, const bench::CallTimes& t) {
  std::printf("{\"peer\": \"ksave\", \"workload\": \"%s_b%lld\", \"mode\": \"%s\", \"threads\": %d, "
              "\"wall_us\": %.3f, \"min_wall_us\": %.3f, \"cpu_us\": %.3f, \"rounds\": %d}\n",
              o.name.c_str(), static_cast<long long>(batch), mode, o.threads, t.wall_us, t.min_wall_us, t.cpu_us,
              t.rounds);
  std::fflush(stdout);
}

// Charges the process CPU time since the previous op ended to each op as it ends.
class OpProfile : public OpObserver {
 public:
  void on_op(const OpDef& op, std::span<const Tensor>, const Attrs&, std::span<const Tensor>) override {
    const double now = bench::process_cpu_s();
    cpu_s_[op.name] += now - last_;
    last_ = now;
  }
  void start() { last_ = bench::process_cpu_s(); }
  const std::map<std::string, double>& cpu_s() const { return cpu_s_; }

 private:
  double last_ = 0;
  std::map<std::string, double> cpu_s_;
};

void profile_ops(const Options& o, Model& model, Dim batch, const Tensor& x) {
  model.predict_on_batch({x});  // primitives created, buffers planned
  OpProfile profile;
  {
    ObserverScope scope(profile);
    profile.start();
    for (int i = 0; i < o.profile_calls; ++i) model.predict_on_batch({x});
  }
  for (const auto& [op, seconds] : profile.cpu_s())
    std::printf("{\"peer\": \"ksave\", \"workload\": \"%s_b%lld\", \"threads\": %d, \"op\": \"%s\", "
                "\"cpu_ms_per_call\": %.4f}\n",
                o.name.c_str(), static_cast<long long>(batch), o.threads, op.c_str(), seconds * 1e3 / o.profile_calls);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  set_intra_op_parallelism_threads(o.threads);
  ModelPtr model = load_model(o.model);
  model->compile(Json{{"class_name", "SGD"}, {"config", {{"learning_rate", 0.001}}}}, "categorical_crossentropy");
  Shape input = model->inputs().at(0).shape();
  const Dim classes = model->outputs().at(0).shape().back();
  for (Dim batch : o.batches) {
    input[0] = batch;
    const Tensor x = bench::pseudo_random(input, 7);
    const Tensor y = bench::one_hot_labels(batch, classes);
    if (o.profile_calls > 0) {
      profile_ops(o, *model, batch, x);
      continue;
    }
    const auto predict = [&] { model->predict_on_batch({x}); };
    const auto train = [&] { model->train_on_batch({x}, {y}); };
    emit(o, batch, "predict", bench::time_calls(predict, o.rounds, o.round_time, o.warmups));
    if (o.train) emit(o, batch, "train", bench::time_calls(train, o.rounds, o.round_time, o.warmups));
  }
}
