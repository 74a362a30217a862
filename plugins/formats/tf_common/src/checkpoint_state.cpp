// The `checkpoint` state file: a text-format CheckpointState proto. Field names matter, numbers
// do not, so it is read and written as text here.
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <system_error>

#include "ksave/error.hpp"
#include "ksave/saving.hpp"
#include "ksave/tf/checkpoint.hpp"

namespace ksave::tf {
namespace fs = std::filesystem;
namespace {

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') out += '\\', out += static_cast<char>(c);
    else if (c == '\n') out += "\\n";
    else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\%03o", c);
      out += buf;
    } else out += static_cast<char>(c);
  }
  return out + "\"";
}

std::string unquote(const std::string& text, const fs::path& file) {
  if (text.size() < 2 || (text.front() != '"' && text.front() != '\'') || text.back() != text.front())
    throw Error("checkpoint state '" + file.string() + "': expected a quoted string, found " + text);
  std::string out;
  for (std::size_t i = 1; i + 1 < text.size(); ++i) {
    char c = text[i];
    if (c != '\\' || i + 2 >= text.size()) {
      out += c;
      continue;
    }
    char e = text[++i];
    if (e >= '0' && e <= '7') {
      int v = 0, digits = 0;
      while (digits < 3 && i + 1 < text.size() && text[i] >= '0' && text[i] <= '7') v = v * 8 + (text[i++] - '0'), ++digits;
      --i;
      out += static_cast<char>(v);
    } else if (e == 'n') out += '\n';
    else if (e == 't') out += '\t';
    else out += e;
  }
  return out;
}

// A timestamp field's number. std::stod would let a damaged file's "abc" or "1e999" out as
// std::invalid_argument or std::out_of_range, which names neither the file nor the field.
double parse_number(const std::string& text, const std::string& field, const fs::path& file) {
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || errno == ERANGE)
    throw Error("checkpoint state '" + file.string() + "': " + field + " expects a number, found '" + text + "'");
  return value;
}

std::string format_double(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

std::optional<CheckpointState> read_checkpoint_state(const fs::path& directory) {
  const fs::path file = directory / "checkpoint";
  std::ifstream in(file);
  if (!in) return std::nullopt;
  CheckpointState state;
  std::string line;
  while (std::getline(in, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    auto trim = [](std::string s) {
      const auto b = s.find_first_not_of(" \t\r");
      const auto e = s.find_last_not_of(" \t\r");
      return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
    };
    const std::string field = trim(line.substr(0, colon));
    const std::string value = trim(line.substr(colon + 1));
    if (field == "model_checkpoint_path") state.model_checkpoint_path = unquote(value, file);
    else if (field == "all_model_checkpoint_paths") state.all_model_checkpoint_paths.push_back(unquote(value, file));
    else if (field == "all_model_checkpoint_timestamps") state.all_model_checkpoint_timestamps.push_back(parse_number(value, field, file));
    else if (field == "last_preserved_timestamp") state.last_preserved_timestamp = parse_number(value, field, file);
  }
  if (state.model_checkpoint_path.empty())
    throw Error("checkpoint state '" + file.string() + "' names no model_checkpoint_path");
  return state;
}

void write_checkpoint_state(const fs::path& directory, const CheckpointState& state) {
  std::string text = "model_checkpoint_path: " + quote(state.model_checkpoint_path) + "\n";
  for (const auto& p : state.all_model_checkpoint_paths) text += "all_model_checkpoint_paths: " + quote(p) + "\n";
  for (double t : state.all_model_checkpoint_timestamps) text += "all_model_checkpoint_timestamps: " + format_double(t) + "\n";
  if (state.last_preserved_timestamp) text += "last_preserved_timestamp: " + format_double(*state.last_preserved_timestamp) + "\n";
  write_atomically(directory / "checkpoint", [&](const fs::path& temporary) {
    std::ofstream out(temporary, std::ios::binary);
    out << text;
    out.close();
    if (!out) throw Error("cannot write checkpoint state '" + (directory / "checkpoint").string() + "'");
  });
}

std::optional<fs::path> latest_checkpoint(const fs::path& directory) {
  const auto state = read_checkpoint_state(directory);
  if (!state) return std::nullopt;
  fs::path prefix = state->model_checkpoint_path;
  if (prefix.is_relative()) prefix = directory / prefix;
  // The prefix comes from the file: a name too long for the system is a prefix that does not
  // exist, not a std::filesystem_error.
  std::error_code unusable;
  if (fs::exists(index_path(prefix), unusable)) return prefix;
  return std::nullopt;
}

fs::path resolve_checkpoint_prefix(const fs::path& path) {
  if (fs::is_directory(path)) {
    const auto state = read_checkpoint_state(path);
    if (!state) throw Error("'" + path.string() + "' is a directory without a `checkpoint` state file");
    const auto latest = latest_checkpoint(path);
    if (!latest)
      throw Error("the `checkpoint` file in '" + path.string() + "' names '" + state->model_checkpoint_path +
                  "', whose .index does not exist");
    return *latest;
  }
  if (path.extension() == ".index" && fs::exists(path)) return fs::path(path).replace_extension();
  if (fs::exists(index_path(path))) return path;
  throw Error("no TensorFlow checkpoint at '" + path.string() + "' (looked for '" + index_path(path).string() + "')");
}

}  // namespace ksave::tf
