#include "text_tokens.hpp"

#include <cstring>

namespace ksave::plugins::preprocessing {
namespace {

constexpr const char* kPunctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
constexpr const char* kWhitespace = " \t\n\v\f\r";
constexpr const char* kReplacement = "\xEF\xBF\xBD";  // U+FFFD

bool is_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// The byte length of the well-formed UTF-8 sequence at text[at], or 0.
std::size_t sequence_length(const std::string& text, std::size_t at) {
  const auto lead = static_cast<unsigned char>(text[at]);
  std::size_t length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : (lead >> 3) == 0x1E ? 4 : 0;
  if (length == 0 || at + length > text.size()) return 0;
  for (std::size_t i = 1; i < length; ++i)
    if (!is_continuation(static_cast<unsigned char>(text[at + i]))) return 0;
  return length;
}

}  // namespace

std::string lower_ascii(std::string text) {
  for (char& c : text)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return text;
}

std::string strip_punctuation(const std::string& text) {
  std::string out;
  for (char c : text)
    if (c == '\0' || !std::strchr(kPunctuation, c)) out += c;
  return out;
}

std::vector<std::string> split_whitespace(const std::string& text) {
  std::vector<std::string> tokens;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t start = text.find_first_not_of(kWhitespace, at);
    if (start == std::string::npos) break;
    const std::size_t end = text.find_first_of(kWhitespace, start);
    tokens.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    at = end == std::string::npos ? text.size() : end;
  }
  return tokens;
}

std::vector<std::string> split_characters(const std::string& text) {
  std::vector<std::string> tokens;
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t length = sequence_length(text, at);
    tokens.push_back(length ? text.substr(at, length) : std::string(kReplacement));
    at += length ? length : 1;
  }
  return tokens;
}

}  // namespace ksave::plugins::preprocessing
