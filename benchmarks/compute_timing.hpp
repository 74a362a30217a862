// Per-call timing for the compute benchmarks: rounds of back-to-back calls, each round's mean
// per-call wall time and process CPU time, medians over the rounds. Process CPU time counts every
// thread's work, so on a shared machine it shows the cost that wall time hides behind waiting.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <functional>
#include <vector>

namespace bench {

struct CallTimes {
  double wall_us = 0, cpu_us = 0, min_wall_us = 0;
  int rounds = 0;
};

inline double process_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

inline double wall_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

inline double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Warms up (first calls plan buffers and create primitives), then `rounds` rounds of calls
// lasting at least `round_s` each.
inline CallTimes time_calls(const std::function<void()>& call, int rounds, double round_s, int warmups = 3) {
  for (int i = 0; i < warmups; ++i) call();
  std::vector<double> wall, cpu;
  for (int r = 0; r < rounds; ++r) {
    const double w0 = wall_s(), c0 = process_cpu_s();
    int calls = 0;
    do {
      call();
      ++calls;
    } while (wall_s() - w0 < round_s);
    wall.push_back((wall_s() - w0) / calls * 1e6);
    cpu.push_back((process_cpu_s() - c0) / calls * 1e6);
  }
  return {median_of(wall), median_of(cpu), *std::min_element(wall.begin(), wall.end()), rounds};
}

inline double load_average() {
  double load = -1;
  if (FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(f, "%lf", &load) != 1) load = -1;
    std::fclose(f);
  }
  return load;
}

}  // namespace bench
