// bench_h5: saving and loading a model of about 400 MB of float32 weights in the HDF5 format,
// side by side in one run with (a) writing and reading the same bytes with plain write()/read()
// and (b) h5py writing and reading the same arrays in the Keras layout (benchmarks/h5py_io.py).
// Peak memory of load_model is measured in a fresh child process (/proc/self/status VmHWM).
//
//   bench_h5 [--layers 25] [--units 2048] [--dir /tmp]
//
// Writes are timed up to fsync() of the file (the page cache makes write-only timings depend on
// the writeback state left by earlier phases); sync() runs before every write phase. Reads come
// from the page cache, best of three runs, the same for every side.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "bench_weights_io.hpp"
#include "ksave/saving.hpp"
#include "ksave/serialization.hpp"

namespace fs = std::filesystem;
using namespace ksave;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

void fsync_file(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  ::fsync(fd);
  ::close(fd);
}

// VmRSS / VmHWM of this process, in bytes.
std::size_t status_bytes(const std::string& key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key + ":", 0) == 0) return std::stoull(line.substr(key.size() + 1)) * 1024;
  return 0;
}

std::size_t weight_bytes(const Model& model) {
  std::size_t total = 0;
  for (const auto& v : model.weights()) total += v->value().nbytes();
  return total;
}

constexpr int kReadRepeats = 3;

template <typename F>
double timed(F&& f) {
  auto start = Clock::now();
  f();
  return seconds_since(start);
}

template <typename F>
double best_of(int runs, F&& f) {
  double best = 1e300;
  for (int i = 0; i < runs; ++i) best = std::min(best, timed(f));
  return best;
}

// The same bytes through plain write()/read() into the variables' own storage.
std::pair<double, double> plain_file(Model& model, const fs::path& path) {
  ::sync();
  double write_s = timed([&] { bench::raw_save_weights(model, path); });
  double read_s = best_of(kReadRepeats, [&] { bench::raw_load_weights(model, path); });
  fs::remove(path);
  return {write_s, read_s};
}

std::string run_command(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return out;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  ::pclose(pipe);
  return out;
}

void row(const std::string& what, double seconds, std::size_t bytes) {
  std::printf("  %-46s %8.3f s  %8.0f MB/s\n", what.c_str(), seconds, static_cast<double>(bytes) / 1e6 / seconds);
}

// Child mode: load_model in a fresh process and report time and memory as JSON.
int load_only(const fs::path& path) {
  get_format("h5");  // plugins loaded before the baseline
  std::size_t baseline = status_bytes("VmRSS");
  auto start = Clock::now();
  ModelPtr model = load_model(path);
  double seconds = seconds_since(start);
  std::printf("{\"seconds\": %.6f, \"baseline\": %zu, \"peak\": %zu, \"weights\": %zu}\n", seconds, baseline, status_bytes("VmHWM"),
              weight_bytes(*model));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int layers = 25, units = 2048;
  fs::path dir = fs::temp_directory_path();
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string key = argv[i];
    if (key == "--layers") layers = std::stoi(argv[i + 1]);
    else if (key == "--units") units = std::stoi(argv[i + 1]);
    else if (key == "--dir") dir = argv[i + 1];
    else if (key == "--load-only") return load_only(argv[i + 1]);
  }
  fs::path work = dir / ("bench_h5_" + std::to_string(::getpid()));
  fs::create_directories(work);

  ModelPtr model = bench::dense_stack(layers, units);
  std::size_t bytes = weight_bytes(*model);
  std::printf("bench_h5: %d Dense layers of %dx%d + bias, %.1f MB of float32 weights, files in %s\n", layers, units, units,
              static_cast<double>(bytes) / 1e6, work.c_str());

  auto [plain_write, plain_read] = plain_file(*model, work / "plain.bin");

  ::sync();
  double save_s = timed([&] {
    save_model(*model, work / "ksave.h5");
    fsync_file(work / "ksave.h5");
  });
  ModelPtr target = bench::dense_stack(layers, units);
  double load_weights_s = best_of(kReadRepeats, [&] { load_weights(*target, work / "ksave.h5"); });
  bool identical = true;
  auto a = model->weights(), b = target->weights();
  for (std::size_t i = 0; i < a.size(); ++i)
    identical = identical && std::memcmp(a[i]->value().raw_data(), b[i]->value().raw_data(), a[i]->value().nbytes()) == 0;
  target.reset();
  model.reset();

  std::string child = run_command("'" + fs::canonical("/proc/self/exe").string() + "' --load-only '" + (work / "ksave.h5").string() + "'");
  Json load = Json::parse(child.empty() ? "{}" : child, nullptr, false);

  ::sync();
  std::string h5py_out = run_command("/usr/bin/python3 '" KSAVE_BENCH_H5PY_SCRIPT "' --path '" + (work / "h5py.h5").string() +
                                     "' --layers " + std::to_string(layers) + " --units " + std::to_string(units) + " 2>&1");
  Json h5py = Json::parse(h5py_out, nullptr, false);

  std::printf("\n  %-46s %10s  %13s\n", "", "time", "throughput");
  row("plain write() of the weight buffers + fsync", plain_write, bytes);
  row("plain read() into the variables", plain_read, bytes);
  if (h5py.is_object()) {
    row("h5py " + h5py.value("h5py", std::string("?")) + " write (Keras layout) + fsync", h5py.at("write_seconds").get<double>(), bytes);
    row("h5py read (np.asarray per weight)", h5py.at("read_seconds").get<double>(), bytes);
  } else {
    std::printf("  h5py side failed: %s\n", h5py_out.c_str());
  }
  row("ksave save_model (.h5) + fsync", save_s, bytes);
  row("ksave load_weights (.h5, into an existing model)", load_weights_s, bytes);
  if (load.is_object() && load.contains("seconds")) {
    row("ksave load_model (.h5, builds the model too)", load.at("seconds").get<double>(), bytes);
    double extra = static_cast<double>(load.at("peak").get<std::size_t>() - load.at("baseline").get<std::size_t>());
    double weights = static_cast<double>(load.at("weights").get<std::size_t>());
    std::printf("\n  load_model peak memory above the process baseline: %.1f MB for %.1f MB of weights (%.1f%% over)\n", extra / 1e6,
                weights / 1e6, (extra / weights - 1.0) * 100.0);
  } else {
    std::printf("  load_model child failed: %s\n", child.c_str());
  }
  std::printf("  save_model throughput vs plain write: %.0f%%; load_weights vs plain read: %.0f%%; weights identical after reload: %s\n",
              100.0 * plain_write / save_s, 100.0 * plain_read / load_weights_s, identical ? "yes" : "NO");
  fs::remove_all(work);
  return identical ? 0 : 1;
}
