#include "vocabulary.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "ksave/error.hpp"

namespace ksave::plugins::preprocessing {

std::string token_text(const Json& value, const std::string& object) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer()) return std::to_string(value.get<std::int64_t>());
  throw Error(object + ": vocabulary tokens must be strings or integers, found " + value.dump());
}

Vocabulary::Vocabulary(std::vector<std::string> tokens, const VocabularyRules& rules, bool strip_special, const std::string& object) {
  if (tokens.empty()) throw Error(object + ": cannot set an empty vocabulary");
  const std::size_t specials = rules.special_tokens.size();
  had_special_tokens_ = strip_special && tokens.size() >= specials &&
                        std::equal(rules.special_tokens.begin(), rules.special_tokens.end(), tokens.begin());
  if (had_special_tokens_) tokens.erase(tokens.begin(), tokens.begin() + static_cast<std::ptrdiff_t>(specials));
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const std::string& t = tokens[i];
    if (rules.mask_token && t == *rules.mask_token)
      throw Error(object + ": the mask token '" + t + "' is in the vocabulary at position " + std::to_string(i) +
                  "; Keras allows it only as the first entry, followed by the OOV tokens");
    if (rules.oov_token_reserved && t == *rules.oov_token_reserved)
      throw Error(object + ": the OOV token '" + t + "' is in the vocabulary at position " + std::to_string(i) +
                  "; Keras allows it only at the start, after the mask token");
    if (!positions_.emplace(t, static_cast<std::int64_t>(i)).second)
      throw Error(object + ": the vocabulary repeats the token '" + t + "' (Keras requires unique tokens)");
  }
  const auto size = static_cast<std::int64_t>(specials + tokens.size());
  if (rules.max_tokens && size > *rules.max_tokens)
    throw Error(object + ": the vocabulary has " + std::to_string(size) + " entries with the special tokens, more than max_tokens " +
                std::to_string(*rules.max_tokens));
  tokens_ = std::move(tokens);
}

std::optional<std::int64_t> Vocabulary::find(const std::string& token) const {
  auto it = positions_.find(token);
  if (it == positions_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::vector<std::string>> vocabulary_tokens(const Json& value, bool& from_file, const std::string& object) {
  from_file = false;
  if (value.is_null()) return std::nullopt;
  std::vector<std::string> tokens;
  if (value.is_array()) {
    for (const Json& t : value) tokens.push_back(token_text(t, object));
    return tokens;
  }
  if (!value.is_string()) throw Error(object + ": vocabulary must be a list of tokens or a file path, found " + value.dump());
  // TextFileInitializer's WHOLE_LINE: each line (without its line break) is a token.
  const std::string path = value.get<std::string>();
  // Only a regular file: a damaged or hostile config naming a device or a pipe must not hang the load.
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw Error(object + ": the vocabulary file '" + path + "' its config names is not a readable regular file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(object + ": cannot read the vocabulary file '" + path + "' its config names");
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    // TensorFlow's InitializeTableFromTextFile refuses an empty line too.
    if (line.empty())
      throw Error(object + ": the vocabulary file '" + path + "' has an empty line (line " + std::to_string(tokens.size() + 1) + ")");
    tokens.push_back(line);
  }
  from_file = true;
  return tokens;
}

}  // namespace ksave::plugins::preprocessing
