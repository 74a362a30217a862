// Where a process's memory goes when it loads a model and runs it (issue 14's load goal: peak
// memory at most the weights + 10%). Peak resident set (VmHWM) after the plugins are loaded (the
// libraries: oneDNN, HDF5, protobuf), after load_model, and after each of three predicts, beside
// the bytes of the model's variables:
//   bench_load_memory MODEL INPUT.npy
// Prints one JSON object. The load's own cost is load_peak - plugins_rss; what a predict adds is
// its activations, the buffer pool and the weights kept in the layouts inference uses (folded
// normalizations, filters reordered for oneDNN).
#include <cstdio>
#include <fstream>
#include <string>

#include "ksave/ksave.hpp"
#include "ksave/npy.hpp"
#include "ksave/plugin_loader.hpp"

namespace {

// A /proc/self/status field in bytes ("VmHWM", "VmRSS").
double status_bytes(const std::string& field) {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind(field + ":", 0) == 0) return std::stod(line.substr(field.size() + 1)) * 1024.0;
  return -1;
}

double mib(double bytes) { return bytes / (1024.0 * 1024.0); }

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: bench_load_memory MODEL INPUT.npy\n");
    return 2;
  }
  try {
    ksave::load_plugins();
    const double plugins = status_bytes("VmHWM");
    const ksave::ModelPtr model = ksave::load_model(argv[1]);
    const double loaded = status_bytes("VmHWM");
    double weights = 0;
    for (const ksave::VariablePtr& v : model->weights()) weights += static_cast<double>(v->value().nbytes());
    const ksave::Tensor x = ksave::read_npy(argv[2]);
    std::string predicts;
    for (int i = 0; i < 3; ++i) {
      model->predict_on_batch({x});
      predicts += (i ? ", " : "") + std::to_string(mib(status_bytes("VmHWM")));
    }
    std::printf("{\"weights_mib\": %.1f, \"plugins_rss_mib\": %.1f, \"load_peak_mib\": %.1f, "
                "\"load_over_weights\": %.3f, \"predict_peaks_mib\": [%s]}\n",
                mib(weights), mib(plugins), mib(loaded), (loaded - plugins) / weights, predicts.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_load_memory: %s\n", e.what());
    return 1;
  }
}
