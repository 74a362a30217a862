#include "fuzz_support.hpp"

#include <unistd.h>

#include <fstream>
#include <optional>
#include <system_error>

#include "ksave/plugin_loader.hpp"
#include "ksave/saving.hpp"

namespace ksave::fuzz {
namespace fs = std::filesystem;

namespace {

// Removed when the harness ends normally (libFuzzer's time or run limit, which exit()): a
// campaign of many runs must not fill /dev/shm, which is memory. A crash leaves the folder, with
// the input that made it, beside libFuzzer's artifact.
struct ScratchFolder {
  fs::path path;
  ~ScratchFolder() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

}  // namespace

const fs::path& scratch() {
  static const ScratchFolder folder = [] {
    load_plugins();
    const fs::path shm = "/dev/shm";
    const fs::path root = fs::is_directory(shm) ? shm : fs::temp_directory_path();
    fs::path f = root / ("ksave-fuzz-" + std::to_string(::getpid()));
    fs::create_directories(f);
    return ScratchFolder{f};
  }();
  return folder.path;
}

fs::path write_input(std::string_view bytes, const std::string& name) {
  const fs::path path = scratch() / name;
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path;
}

void read_like_the_command(const fs::path& path) {
  errors_are_answers([&] { load_model(path); });
  errors_are_answers([&] { detect_format(path)->inspect(path); });
}

std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

std::pair<std::string_view, std::string_view> split_two(std::string_view input) {
  if (input.size() < 4) return {input, {}};
  std::size_t first = 0;
  for (int i = 3; i >= 0; --i) first = first << 8 | static_cast<unsigned char>(input[static_cast<std::size_t>(i)]);
  input.remove_prefix(4);
  first = std::min(first, input.size());
  return {input.substr(0, first), input.substr(first)};
}

std::optional<Tensor> small_input(const Shape& shape, DType dtype) {
  Shape concrete;
  std::int64_t elements = 1;
  for (Dim d : shape) {
    const Dim known = d < 0 ? 1 : d;
    if (known > 4096 || (elements *= std::max<Dim>(known, 1)) > 4096) return std::nullopt;
    concrete.push_back(known);
  }
  return Tensor::zeros(dtype, concrete);
}

}  // namespace ksave::fuzz
