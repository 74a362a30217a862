// bench_formats (Google Benchmark): save and load times of the three weight-carrying formats side
// by side in one run — SavedModel (save_model/load_model of a folder), HDF5 (save_model/
// load_model of a .h5, and save_weights/load_weights), TF checkpoint (save_weights/load_weights
// of a prefix) — against writing and reading the same weight bytes with plain write()/read().
// Two models: 100 Dense(64) layers (1.7 MB: per-layer and per-object costs dominate) and
// 25 Dense(2048) layers (420 MB: bytes dominate).
//
//   bench_formats [--dir /tmp] [Google Benchmark flags, e.g. --benchmark_filter=deep]
//
// Every save is timed up to fsync() of every file it wrote (so the page cache's writeback state
// left by earlier runs does not decide the figure); loads read from the page cache, like the raw
// read. After the Google Benchmark table, a summary gives each side's range over the
// repetitions and its ratio to the raw file I/O (median / median), with the load average.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "bench_weights_io.hpp"
#include "ksave/saving.hpp"

namespace fs = std::filesystem;
using namespace ksave;

namespace {

struct ModelShape {
  const char* name;
  int layers;
  int units;
  int iterations;   // per repetition
  int repetitions;
};

const ModelShape kDeep{"deep_100xDense64", 100, 64, 10, 5};
const ModelShape kLarge{"large_25xDense2048", 25, 2048, 1, 3};

fs::path g_dir;
// Seconds per iteration of every repetition, by benchmark name.
std::map<std::string, std::vector<double>> g_seconds;

// One model per shape for the whole run (building 420 MB of weights takes a while).
const ModelPtr& model_of(const ModelShape& shape) {
  static std::map<std::string, ModelPtr> models;
  auto& model = models[shape.name];
  if (!model) model = bench::dense_stack(shape.layers, shape.units);
  return model;
}

void fsync_path(const fs::path& path) {
  const auto sync_one = [](const fs::path& file) {
    const int fd = ::open(file.c_str(), O_RDONLY);
    if (fd >= 0) {
      ::fsync(fd);
      ::close(fd);
    }
  };
  if (fs::is_directory(path)) {
    for (const auto& entry : fs::recursive_directory_iterator(path))
      if (entry.is_regular_file()) sync_one(entry.path());
  } else {
    // A checkpoint prefix: its .index and data shards.
    for (const auto& entry : fs::directory_iterator(path.parent_path()))
      if (entry.path().filename().string().rfind(path.filename().string(), 0) == 0) sync_one(entry.path());
  }
}

// One side of the comparison: how it saves and loads, and the file name it uses.
struct Side {
  const char* name;
  const char* file;
  std::function<void(const Model&, const fs::path&)> save;
  std::function<void(Model&, const fs::path&)> load;  // `model` is a ready target for weights-only sides
};

SaveOptions no_traces() {
  SaveOptions options;
  options.save_traces = false;
  return options;
}

const std::vector<Side>& sides() {
  static const std::vector<Side> all = {
      {"raw_io", "raw.bin", bench::raw_save_weights, bench::raw_load_weights},
      {"h5_model", "model.h5", [](const Model& m, const fs::path& p) { save_model(m, p); },
       [](Model&, const fs::path& p) { benchmark::DoNotOptimize(load_model(p)); }},
      {"h5_weights", "weights.h5", [](const Model& m, const fs::path& p) { save_weights(m, p); },
       [](Model& m, const fs::path& p) { load_weights(m, p); }},
      {"tf_checkpoint_weights", "ckpt/weights", [](const Model& m, const fs::path& p) { save_weights(m, p); },
       [](Model& m, const fs::path& p) { load_weights(m, p); }},
      {"savedmodel", "savedmodel", [](const Model& m, const fs::path& p) { save_model(m, p); },
       [](Model&, const fs::path& p) { benchmark::DoNotOptimize(load_model(p)); }},
      {"savedmodel_no_traces", "savedmodel_nt", [](const Model& m, const fs::path& p) { save_model(m, p, no_traces()); },
       [](Model&, const fs::path& p) { benchmark::DoNotOptimize(load_model(p)); }},
  };
  return all;
}

fs::path path_of(const ModelShape& shape, const Side& side) {
  const fs::path path = g_dir / shape.name / side.file;
  fs::create_directories(path.parent_path());
  return path;
}

template <typename Step>
void timed_loop(benchmark::State& state, const std::string& name, Step&& step) {
  double total = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    step();
    total += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  g_seconds[name].push_back(total / static_cast<double>(state.iterations()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(state.range(0)));
}

void bench_save(benchmark::State& state, const std::string& name, const ModelShape& shape, const Side& side) {
  const Model& model = *model_of(shape);
  const fs::path path = path_of(shape, side);
  ::sync();
  timed_loop(state, name, [&] {
    side.save(model, path);
    fsync_path(path);
  });
}

void bench_load(benchmark::State& state, const std::string& name, const ModelShape& shape, const Side& side) {
  const fs::path path = path_of(shape, side);
  if (!fs::exists(path) && !fs::exists(path.string() + ".index")) side.save(*model_of(shape), path);
  // Weights-only sides load into a model of the same architecture (a clone, so the source
  // model's values stay what the saves write).
  static std::map<std::string, ModelPtr> targets;
  auto& target = targets[shape.name];
  if (!target) target = bench::dense_stack(shape.layers, shape.units);
  timed_loop(state, name, [&] { side.load(*target, path); });
}

void register_all() {
  for (const ModelShape* shape : {&kDeep, &kLarge}) {
    const auto bytes = static_cast<std::int64_t>(shape->layers) * (shape->units * shape->units + shape->units) * 4;
    for (const Side& side : sides()) {
      for (const bool save : {true, false}) {
        const std::string name = std::string(shape->name) + "/" + (save ? "save/" : "load/") + side.name;
        auto* b = save ? benchmark::RegisterBenchmark(name.c_str(), bench_save, name, *shape, side)
                       : benchmark::RegisterBenchmark(name.c_str(), bench_load, name, *shape, side);
        b->Arg(bytes)->ArgName("bytes")->Iterations(shape->iterations)->Repetitions(shape->repetitions);
        b->UseRealTime()->MeasureProcessCPUTime()->ReportAggregatesOnly(true)->Unit(benchmark::kMillisecond);
      }
    }
  }
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// "<model>/<op>/<side>" → {"<model>/<op>", "<side>"}.
std::pair<std::string, std::string> split_name(const std::string& name) {
  std::vector<std::string> parts;
  for (std::size_t start = 0, slash; start <= name.size(); start = slash + 1) {
    slash = name.find('/', start);
    if (slash == std::string::npos) slash = name.size();
    parts.push_back(name.substr(start, slash - start));
  }
  return {parts.at(0) + "/" + parts.at(1), parts.at(2)};
}

void print_summary() {
  std::map<std::string, std::map<std::string, std::vector<double>>> by_group;
  for (const auto& [name, seconds] : g_seconds) {
    const auto [group, side] = split_name(name);
    by_group[group][side] = seconds;
  }
  std::printf("\nSummary (ms per operation, min-max over the repetitions; time / raw_io time, of the best runs and of\n"
              "the medians: on a shared machine the best runs are the least disturbed)\n");
  for (const auto& [group, by_side] : by_group) {
    const auto raw = by_side.find("raw_io");
    const bool has_raw = raw != by_side.end() && !raw->second.empty();
    const double raw_best = has_raw ? *std::min_element(raw->second.begin(), raw->second.end()) : 0;
    const double raw_median = has_raw ? median(raw->second) : 0;
    std::printf("%s\n", group.c_str());
    for (const auto& [side, seconds] : by_side) {
      const auto [lo, hi] = std::minmax_element(seconds.begin(), seconds.end());
      std::printf("  %-24s %10.2f - %10.2f ms", side.c_str(), *lo * 1e3, *hi * 1e3);
      if (has_raw && side != "raw_io")
        std::printf("   best %6.1fx raw, median %6.1fx raw", *lo / raw_best, median(seconds) / raw_median);
      std::printf("\n");
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> args;
  g_dir = fs::temp_directory_path();
  for (int i = 0; i < argc; ++i) {
    if (std::string(argv[i]) == "--dir" && i + 1 < argc) g_dir = argv[++i];
    else args.push_back(argv[i]);
  }
  g_dir /= "ksave_bench_formats_" + std::to_string(::getpid());
  int count = static_cast<int>(args.size());
  benchmark::Initialize(&count, args.data());
  for (const char* format : {"h5", "savedmodel", "tf-checkpoint"}) get_format(format);  // plugins loaded before timing
  register_all();
  const std::string load_before = load_average();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  print_summary();
  std::printf("load average (1, 5, 15 min): %s before, %s after\n", load_before.c_str(), load_average().c_str());
  fs::remove_all(g_dir);
  return 0;
}
