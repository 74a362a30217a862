// Conv2D forward, and backward (Conv2DBackpropInput + Conv2DBackpropFilter, what a training step
// runs), against the same computation in numpy (numpy_conv.py, run by this program on the same
// inputs, which also reports the largest relative difference of y, dx and dw). Ratio ksave /
// numpy reported. A plain program: best of N runs per figure.
//   <build>/bin/bench_layers [batch size channels filters kernel repeats]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>

#include <unistd.h>

#include "bench_support.hpp"
#include "ksave/json.hpp"
#include "ksave/npy.hpp"
#include "ksave/ops.hpp"

namespace {

using namespace ksave;

using bench::best_ms;
using bench::pseudo_random;

Json run_numpy(const std::string& args) { return bench::run_python(KSAVE_BENCH_NUMPY_CONV, args); }

}  // namespace

int main(int argc, char** argv) {
  const bool given = argc > 6;
  const Dim n = given ? std::atoll(argv[1]) : 8, size = given ? std::atoll(argv[2]) : 32;
  const Dim c = given ? std::atoll(argv[3]) : 32, o = given ? std::atoll(argv[4]) : 64;
  const Dim k = given ? std::atoll(argv[5]) : 3;
  const int repeats = given ? std::atoi(argv[6]) : 10;
  const Tensor x = pseudo_random({n, size, size, c}, 1, 1.0f);
  const Tensor w = pseudo_random({k, k, c, o}, 2, 0.1f);
  ops::Window2D same;
  same.padding = "SAME";

  const Tensor y = ops::conv2d(x, w, same);
  const Tensor dx = ops::conv2d_backprop_input(x.shape(), w, y, same);
  const Tensor dw = ops::conv2d_backprop_filter(x, w.shape(), y, same);
  const double forward = best_ms([&] { ops::conv2d(x, w, same); }, repeats);
  const double backward = best_ms([&] {
    ops::conv2d_backprop_input(x.shape(), w, y, same);
    ops::conv2d_backprop_filter(x, w.shape(), y, same);
  }, repeats);

  // numpy on the same inputs (dy = y, as here).
  const auto dir = std::filesystem::temp_directory_path() / ("ksave_bench_layers_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  write_npy(dir / "x.npy", x);
  write_npy(dir / "w.npy", w);
  write_npy(dir / "y.npy", y);
  write_npy(dir / "dx.npy", dx);
  write_npy(dir / "dw.npy", dw);
  const Json np = run_numpy("--batch " + std::to_string(n) + " --size " + std::to_string(size) + " --channels " +
                            std::to_string(c) + " --filters " + std::to_string(o) + " --kernel " + std::to_string(k) +
                            " --repeats " + std::to_string(repeats) + " --check " + dir.string());
  std::filesystem::remove_all(dir);

  std::printf("Conv2D %lldx%lldx%lldx%lld * %lldx%lldx%lldx%lld, stride 1, SAME; best of %d\n", (long long)n,
              (long long)size, (long long)size, (long long)c, (long long)k, (long long)k, (long long)c, (long long)o,
              repeats);
  std::printf("%-34s %10s %10s %8s\n", "", "ksave ms", "numpy ms", "ratio");
  auto row = [&](const char* what, double mine, const char* key) {
    if (np.is_null()) {
      std::printf("%-34s %10.2f %10s %8s\n", what, mine, "n/a", "n/a");
      return;
    }
    const double theirs = np.at(key).get<double>();
    std::printf("%-34s %10.2f %10.2f %8.2f\n", what, mine, theirs, mine / theirs);
  };
  row("forward", forward, "forward_ms");
  row("backward (input + filter grads)", backward, "backward_ms");
  if (!np.is_null())
    std::printf("largest relative difference vs numpy: y %.2g, dx %.2g, dw %.2g (numpy %s)\n",
                np.at("max_rel_diff_y").get<double>(), np.at("max_rel_diff_dx").get<double>(),
                np.at("max_rel_diff_dw").get<double>(), np.at("numpy").get<std::string>().c_str());
  else
    std::printf("numpy side failed (needs /usr/bin/python3 with numpy)\n");
  return 0;
}
