// TF checkpoint throughput: saving and loading ~400 MB of weights through the bundle writer and
// the object-graph restore, side by side with plain file writes and reads of the same bytes,
// and crc32c alone (hardware and table paths). Usage: bench_checkpoint [folder] [megabytes].
// Each figure is the best of three runs; files go to the page cache like any save would.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <random>

#include "ksave/tf/bundle.hpp"
#include "ksave/tf/crc32c.hpp"
#include "ksave/tf/object_graph.hpp"
#include "ksave/tf/restore.hpp"

namespace fs = std::filesystem;
using namespace ksave;

namespace {

// "w<i>", appended: GCC 12 reports a false -Wrestrict for `"literal" + std::string`.
std::string weight_name(std::size_t i) { return std::string("w").append(std::to_string(i)); }

// A root holding `count` float32 variables, as a model's layers would.
struct Weights : Trackable {
  std::vector<VariablePtr> variables;
  std::vector<TrackableChild> trackable_children() const override {
    std::vector<TrackableChild> out;
    for (std::size_t i = 0; i < variables.size(); ++i) out.push_back({weight_name(i), variables[i]});
    return out;
  }
  std::string trackable_kind() const override { return "weights"; }
};

std::shared_ptr<Weights> make_weights(std::size_t count, std::int64_t elements, bool random) {
  auto w = std::make_shared<Weights>();
  std::mt19937 rng(7);
  for (std::size_t i = 0; i < count; ++i) {
    Tensor t(DType::Float32, {elements});
    if (random)
      for (auto& v : t.values<float>()) v = static_cast<float>(rng() % 1000) * 0.001f;
    w->variables.push_back(std::make_shared<Variable>(weight_name(i) + ":0", t));
  }
  return w;
}

double best_seconds(const std::function<void()>& run) {
  double best = 1e30;
  for (int i = 0; i < 3; ++i) {
    const auto start = std::chrono::steady_clock::now();
    run();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return best;
}

void report(const char* what, double bytes, double seconds, double reference = 0) {
  std::printf("%-38s %8.1f ms  %8.2f GB/s", what, seconds * 1e3, bytes / seconds / 1e9);
  if (reference > 0) std::printf("  (%5.1f%% of plain)", 100.0 * reference / seconds);
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  const fs::path dir = argc > 1 ? fs::path(argv[1]) : fs::temp_directory_path() / "ksave_bench_checkpoint";
  const std::size_t megabytes = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 400;
  fs::create_directories(dir);
  const std::size_t count = 100;
  const std::int64_t elements = static_cast<std::int64_t>(megabytes) * (1 << 20) / 4 / static_cast<std::int64_t>(count);
  const double bytes = static_cast<double>(count) * static_cast<double>(elements) * 4;
  std::printf("%zu float32 variables of %lld elements: %.0f MB in %s\n", count, static_cast<long long>(elements),
              bytes / 1e6, dir.c_str());

  auto source = make_weights(count, elements, true);
  const fs::path prefix = dir / "ckpt";
  const fs::path plain = dir / "plain.bin";

  const double plain_write = best_seconds([&] {
    std::ofstream out(plain, std::ios::binary | std::ios::trunc);
    for (const auto& v : source->variables) out.write(static_cast<const char*>(v->value().raw_data()), v->value().nbytes());
  });
  const double save = best_seconds([&] { tf::write_object_checkpoint(source, prefix); });

  std::vector<std::vector<char>> buffers(count);
  const double plain_read = best_seconds([&] {
    const int fd = ::open(plain.c_str(), O_RDONLY);
    off_t offset = 0;
    for (auto& b : buffers) {
      b.resize(static_cast<std::size_t>(elements) * 4);  // allocation counted, as a load allocates
      if (::pread(fd, b.data(), b.size(), offset) != static_cast<ssize_t>(b.size())) std::abort();
      offset += static_cast<off_t>(b.size());
    }
    ::close(fd);
    buffers.assign(count, {});
  });
  auto target = make_weights(count, elements, false);
  const double load = best_seconds([&] { tf::restore_checkpoint(target, prefix).assert_consumed(); });
  for (std::size_t i = 0; i < count; ++i)
    if (std::memcmp(target->variables[i]->value().raw_data(), source->variables[i]->value().raw_data(),
                    static_cast<std::size_t>(elements) * 4) != 0) {
      std::fprintf(stderr, "variable %zu differs after the load\n", i);
      return 1;
    }

  const Tensor& big = source->variables[0]->value();
  std::vector<char> all(static_cast<std::size_t>(bytes));
  for (std::size_t i = 0; i < count; ++i)
    std::memcpy(all.data() + i * big.nbytes(), source->variables[i]->value().raw_data(), big.nbytes());
  std::uint32_t sink = 0;
  const double crc_hw = best_seconds([&] { sink ^= tf::crc32c::value(all.data(), all.size()); });
  const double crc_table = best_seconds([&] { sink ^= tf::crc32c::extend_portable(0, all.data(), all.size()); });

  report("plain write (ofstream)", bytes, plain_write);
  report("save_weights (bundle + crc32c)", bytes, save, plain_write);
  report("plain read (pread into new buffers)", bytes, plain_read);
  report("load_weights (restore + crc32c check)", bytes, load, plain_read);
  report(tf::crc32c::hardware_accelerated() ? "crc32c (sse4.2)" : "crc32c (table, no sse4.2)", bytes, crc_hw);
  report("crc32c (table)", bytes, crc_table);
  // The same amount of crc work over a 256 KiB buffer that stays in cache: the instruction's
  // own speed, apart from memory bandwidth.
  const std::size_t cached = 256 << 10;
  const double crc_cached = best_seconds([&] {
    for (std::size_t done = 0; done + cached <= all.size(); done += cached) sink ^= tf::crc32c::value(all.data(), cached);
  });
  report("crc32c (in cache)", bytes, crc_cached);
  const double memory = best_seconds([&] {
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < all.size(); i += 64) sum += static_cast<unsigned char>(all[i]);
    sink ^= static_cast<std::uint32_t>(sum);
  });
  report("memory read (one byte per cache line)", bytes, memory);
  std::printf("(crc sink %08x)\n", sink);
  fs::remove_all(dir);
  return 0;
}
