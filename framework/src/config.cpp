#include "ksave/config.hpp"

namespace ksave {

ConfigReader::ConfigReader(const Json& config, std::string object)
    : config_(config), object_(std::move(object)) {
  if (!config_.is_object()) throw Error(object_ + ": config must be a JSON object, found " + config_.dump());
}

bool ConfigReader::has(std::string_view key) const { return config_.contains(key); }

const Json* ConfigReader::find(std::string_view key, std::initializer_list<std::string_view> aliases) const {
  if (auto it = config_.find(key); it != config_.end()) return &*it;
  for (auto alias : aliases)
    if (auto it = config_.find(alias); it != config_.end()) return &*it;
  return nullptr;
}

std::vector<std::int64_t> ConfigReader::int_tuple(std::string_view key, std::size_t rank,
                                                  std::vector<std::int64_t> fallback,
                                                  std::initializer_list<std::string_view> aliases) const {
  const Json* v = find(key, aliases);
  if (!v || v->is_null()) {
    // A fallback of another length means "required": callers index the result by `rank`.
    if (fallback.size() != rank)
      throw Error(object_ + ": config key '" + std::string(key) + "' is " + (v ? "null" : "missing") +
                  ", expected an integer or " + std::to_string(rank) + " integers");
    return fallback;
  }
  std::vector<std::int64_t> out;
  if (v->is_number_integer()) {
    out.assign(rank, v->get<std::int64_t>());
  } else if (v->is_array() && v->size() == rank) {
    for (const auto& e : *v) {
      if (!e.is_number_integer())
        throw Error(object_ + ": config key '" + std::string(key) + "' expected integers, found " + v->dump());
      out.push_back(e.get<std::int64_t>());
    }
  } else {
    throw Error(object_ + ": config key '" + std::string(key) + "' expected an integer or " +
                std::to_string(rank) + " integers, found " + v->dump());
  }
  return out;
}

std::vector<std::int64_t> ConfigReader::int_list(std::string_view key, std::vector<std::int64_t> fallback,
                                                 std::initializer_list<std::string_view> aliases) const {
  const Json* v = find(key, aliases);
  if (!v || v->is_null()) return fallback;
  if (v->is_number_integer()) return {v->get<std::int64_t>()};
  std::vector<std::int64_t> out;
  if (v->is_array())
    for (const auto& e : *v) {
      if (!e.is_number_integer()) break;
      out.push_back(e.get<std::int64_t>());
    }
  if (!v->is_array() || out.size() != v->size())
    throw Error(object_ + ": config key '" + std::string(key) + "' expected an integer or a list of integers, found " +
                v->dump());
  return out;
}

std::optional<Shape> ConfigReader::shape(std::string_view key,
                                         std::initializer_list<std::string_view> aliases) const {
  const Json* v = find(key, aliases);
  if (!v || v->is_null()) return std::nullopt;
  return shape_from_json(*v, object_ + ": config key '" + std::string(key) + "'");
}

}  // namespace ksave
