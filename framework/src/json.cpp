#include "ksave/json.hpp"

#include <utility>
#include <vector>

#include "ksave/error.hpp"

namespace ksave {

Json parse_json(std::string_view text, const std::string& what) {
  // nlohmann's parser keeps its own stack (no recursion); the callback stops it at the limit.
  const Json::parser_callback_t limit_depth = [&](int depth, Json::parse_event_t, Json&) {
    if (depth > kMaxJsonDepth)
      throw Error(what + " is JSON nested more than " + std::to_string(kMaxJsonDepth) +
                  " levels deep, which no Keras config is (damaged or hostile)");
    return true;
  };
  try {
    return Json::parse(text, limit_depth);
  } catch (const Json::parse_error& e) {
    // nlohmann's message says "at line L, column C"; the byte offset locates the spot in files
    // written on one line (tfjs, to_json without indent).
    throw Error(what + " is not valid JSON (at byte " + std::to_string(e.byte) + " of " + std::to_string(text.size()) +
                "): " + e.what());
  }
}

void check_json_depth(const Json& value, const std::string& what) {
  std::vector<std::pair<const Json*, int>> pending{{&value, 0}};  // no recursion: any depth is safe here
  while (!pending.empty()) {
    const auto [v, depth] = pending.back();
    pending.pop_back();
    if (!v->is_structured()) continue;
    if (depth >= kMaxJsonDepth)
      throw Error(what + " nests more than " + std::to_string(kMaxJsonDepth) + " levels deep, which no Keras config does");
    for (const Json& child : *v) pending.emplace_back(&child, depth + 1);
  }
}

}  // namespace ksave
