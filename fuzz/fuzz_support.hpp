// What the libFuzzer harnesses share. Each harness feeds its input to one reader; a ksave::Error
// is the expected answer to bad input, and anything else (another exception, a crash, a
// sanitizer report, a hang, an allocation beyond libFuzzer's limit) is a finding.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "ksave/error.hpp"
#include "ksave/tensor.hpp"

namespace ksave::fuzz {

// This process's scratch folder (in /dev/shm when there is one: inputs go through files), made
// once, with the plugins loaded.
const std::filesystem::path& scratch();
// Writes the input to <scratch>/<name> and returns that path.
std::filesystem::path write_input(std::string_view bytes, const std::string& name);
std::string_view as_text(const std::uint8_t* data, std::size_t size);
// An input holding two files: a 4-byte little-endian length, the first file, then the second.
std::pair<std::string_view, std::string_view> split_two(std::string_view input);
// Zeros of `shape` with unknown dimensions taken as 1; nullopt when that is more than 4096
// elements (a harness runs models on small inputs only).
std::optional<Tensor> small_input(const Shape& shape, DType dtype);

// Reads `path` as `ksave inspect` and `ksave convert` do: load_model and the format's inspect.
void read_like_the_command(const std::filesystem::path& path);

// Runs `read`; a ksave::Error is a correct answer to a bad input and is swallowed.
template <typename Read>
void errors_are_answers(Read read) {
  try {
    read();
  } catch (const Error&) {
  }
}

}  // namespace ksave::fuzz
