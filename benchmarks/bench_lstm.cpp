// LSTM forward, and forward + backward through the GradientTape, against the same computation
// in numpy (numpy_lstm.py, run by this program); ratio ksave / numpy reported. A plain program:
// best of N runs per figure.
//   <build>/bin/bench_lstm [batch steps features units repeats]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>

#include "ksave/autodiff.hpp"
#include "bench_support.hpp"
#include "ksave/json.hpp"
#include "ksave/ops.hpp"
#include "ksave/serialization.hpp"

namespace {

using namespace ksave;

using bench::best_ms;
using bench::pseudo_random;

Json run_numpy(const std::string& args) { return bench::run_python(KSAVE_BENCH_NUMPY_LSTM, args); }

}  // namespace

int main(int argc, char** argv) {
  const Dim B = argc > 5 ? std::atoll(argv[1]) : 32, T = argc > 5 ? std::atoll(argv[2]) : 50;
  const Dim F = argc > 5 ? std::atoll(argv[3]) : 64, U = argc > 5 ? std::atoll(argv[4]) : 128;
  const int repeats = argc > 5 ? std::atoi(argv[5]) : 10;
  LayerPtr lstm = make_layer("LSTM", {{"units", U}});
  lstm->build(Shape{kUnknown, T, F});
  lstm->set_weights({pseudo_random({F, 4 * U}, 1, 0.1f), pseudo_random({U, 4 * U}, 2, 0.1f),
                     Tensor::zeros(DType::Float32, {4 * U})});
  const Tensor x = pseudo_random({B, T, F}, 3, 1.0f), w = pseudo_random({B, U}, 4, 1.0f);

  const double forward = best_ms([&] { (*lstm)(x); }, repeats);
  const double backward = best_ms([&] {
    GradientTape tape;
    const Tensor loss = ops::sum(ops::mul((*lstm)(x), w));
    auto grads = tape.gradient(loss, lstm->trainable_weights());
    tape.gradient(loss, std::vector<Tensor>{x});
  }, repeats);

  const std::string args = std::to_string(B) + " " + std::to_string(T) + " " + std::to_string(F) + " " +
                           std::to_string(U) + " " + std::to_string(repeats);
  const Json numpy = run_numpy(args);
  std::printf("LSTM batch %lld, steps %lld, features %lld, units %lld (best of %d)\n", static_cast<long long>(B),
              static_cast<long long>(T), static_cast<long long>(F), static_cast<long long>(U), repeats);
  std::printf("%-20s %12s %12s %8s\n", "", "ksave ms", "numpy ms", "ratio");
  auto row = [&](const char* what, double ours, const char* key) {
    if (numpy.is_null()) {
      std::printf("%-20s %12.2f %12s %8s\n", what, ours, "n/a", "n/a");
    } else {
      const double theirs = numpy.at(key).get<double>();
      std::printf("%-20s %12.2f %12.2f %8.2f\n", what, ours, theirs, ours / theirs);
    }
  };
  row("forward", forward, "forward_ms");
  row("forward+backward", backward, "forward_backward_ms");
  return 0;
}
