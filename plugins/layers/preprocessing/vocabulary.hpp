// A lookup layer's vocabulary as Keras's IndexLookup.set_vocabulary keeps it: the tokens (as
// text; IntegerLookup's integers as their decimal text) after Keras drops a leading run of the
// special tokens (the mask, then the OOV token num_oov_indices times) when the list starts with
// exactly those, each token's position, and Keras's checks (no repeats, no mask token among the
// tokens, no OOV token among them when inverting, no more than max_tokens in all).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "ksave/json.hpp"

namespace ksave::plugins::preprocessing {

// A config value (a string or an integer) as the text a vocabulary holds.
std::string token_text(const Json& value, const std::string& object);

struct VocabularyRules {
  std::vector<std::string> special_tokens;  // [mask] * oov_start + [oov] * num_oov_indices
  std::optional<std::string> mask_token;
  std::optional<std::string> oov_token_reserved;  // the OOV token, when inverting (it must not be a token)
  std::optional<std::int64_t> max_tokens;         // on the whole size, special tokens included
};

class Vocabulary {
 public:
  Vocabulary() = default;
  // `tokens` as given (a list, or a file's lines); `strip_special` says whether a leading run of
  // the special tokens is dropped (Keras does for lists, not for files read by TextFileInitializer).
  Vocabulary(std::vector<std::string> tokens, const VocabularyRules& rules, bool strip_special, const std::string& object);

  // Whether the given list began with the special tokens (Keras then pads no idf_weights).
  bool had_special_tokens() const { return had_special_tokens_; }
  const std::vector<std::string>& tokens() const { return tokens_; }
  // The token's position among tokens(), or nothing.
  std::optional<std::int64_t> find(const std::string& token) const;

 private:
  std::vector<std::string> tokens_;
  std::unordered_map<std::string, std::int64_t> positions_;
  bool had_special_tokens_ = false;
};

// A config's `vocabulary`: a list of strings or integers, or (tf-keras) the path of a text file
// of one token per line. Nothing for null.
std::optional<std::vector<std::string>> vocabulary_tokens(const Json& value, bool& from_file, const std::string& object);

}  // namespace ksave::plugins::preprocessing
