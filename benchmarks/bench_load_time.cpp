// The time of `load_model` alone (issue 14's load goal: within 1.25x of a raw read of the file),
// measured inside the process after the plugins are loaded, as compare_loads.py measures
// TensorFlow's load_model after its import: the process's start and the plugins' dlopen (about
// 0.05 s, the same for every model) are not the load's. One measurement per process, so every
// run starts with fresh pages, as a user's first load does:
//   bench_load_time MODEL [--weights WEIGHTS]   load_model (then load_weights, e.g. a checkpoint)
//   bench_load_time --raw FILE                  the same bytes read into one buffer of their size
// Prints one JSON line: {"wall_s": ..., "cpu_s": ...} (CPU: user + system of the whole process
// over the measured span).
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "ksave/ksave.hpp"
#include "ksave/plugin_loader.hpp"

namespace {

double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec * 1e-6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// What any loader must at least do: the file's bytes in memory, in one buffer of fresh pages.
void read_raw(const std::string& path) {
  const auto size = static_cast<std::size_t>(std::filesystem::file_size(path));
  const std::unique_ptr<char[]> buffer(new char[size]);  // uninitialized: the read faults the pages in
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot open " + path);
  std::size_t done = 0;
  while (done < size) {
    const ssize_t got = ::read(fd, buffer.get() + done, size - done);
    if (got <= 0) break;
    done += static_cast<std::size_t>(got);
  }
  ::close(fd);
  if (done != size) throw std::runtime_error("short read of " + path);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string usage = "usage: bench_load_time MODEL [--weights WEIGHTS] | --raw FILE\n";
  if (argc != 2 && argc != 3 && argc != 4) {
    std::fputs(usage.c_str(), stderr);
    return 2;
  }
  const std::string first = argv[1];
  const bool raw = first == "--raw";
  if ((raw && argc != 3) || (!raw && argc == 3) || (argc == 4 && std::string(argv[2]) != "--weights")) {
    std::fputs(usage.c_str(), stderr);
    return 2;
  }
  try {
    if (!raw) ksave::load_plugins();
    const auto wall_start = std::chrono::steady_clock::now();
    const double cpu_start = process_cpu_seconds();
    if (raw) {
      read_raw(argv[2]);
    } else {
      // As `ksave predict MODEL --weights W` does: an architecture's initializers wait for the
      // weights file, which supplies every value (without the scope they would run first).
      ksave::DeferredInitialization deferred;
      const ksave::ModelPtr model = ksave::load_model(first);
      if (argc == 4) ksave::load_weights(*model, argv[3]);
    }
    const double cpu = process_cpu_seconds() - cpu_start;
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    std::printf("{\"wall_s\": %.4f, \"cpu_s\": %.4f}\n", wall, cpu);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_load_time: %s\n", e.what());
    return 1;
  }
}
