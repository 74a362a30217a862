// Reading configs: typed access with defaults, older Keras spellings (aliases), and errors that
// name the object and the key. Every from_config goes through this.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>

#include "ksave/error.hpp"
#include "ksave/json.hpp"
#include "ksave/shape.hpp"

namespace ksave {

class ConfigReader {
 public:
  // `object` names what the config belongs to, for errors: "layer 'dense' (Dense)".
  ConfigReader(const Json& config, std::string object);

  bool has(std::string_view key) const;
  // The value under `key` or the first alias present; nullptr when none is.
  const Json* find(std::string_view key, std::initializer_list<std::string_view> aliases = {}) const;

  template <typename T>
  T get(std::string_view key, T fallback, std::initializer_list<std::string_view> aliases = {}) const {
    const Json* v = find(key, aliases);
    if (!v || v->is_null()) return fallback;
    return convert<T>(*v, key);
  }
  template <typename T>
  T require(std::string_view key, std::initializer_list<std::string_view> aliases = {}) const {
    const Json* v = find(key, aliases);
    if (!v || v->is_null()) throw Error(object_ + ": config has no '" + std::string(key) + "'");
    return convert<T>(*v, key);
  }
  // An int or a list of ints (Keras accepts `kernel_size=3` and `kernel_size=[3, 3]`), expanded
  // to `rank` entries; always `rank` entries: a missing or null key with a fallback of another
  // length (e.g. {}) is an error naming the key.
  std::vector<std::int64_t> int_tuple(std::string_view key, std::size_t rank,
                                      std::vector<std::int64_t> fallback,
                                      std::initializer_list<std::string_view> aliases = {}) const;
  // An int or a list of ints of any length (axes, target shapes), as a list; `fallback` when the
  // key is missing or null. Anything else is an error naming the key and the value found.
  std::vector<std::int64_t> int_list(std::string_view key, std::vector<std::int64_t> fallback,
                                     std::initializer_list<std::string_view> aliases = {}) const;
  std::optional<Shape> shape(std::string_view key,
                             std::initializer_list<std::string_view> aliases = {}) const;
  const Json& json() const { return config_; }
  const std::string& object() const { return object_; }

 private:
  template <typename T>
  T convert(const Json& v, std::string_view key) const {
    try {
      if constexpr (std::is_same_v<T, double> || std::is_same_v<T, float>) {
        if (!v.is_number()) throw Error("not a number");
      } else if constexpr (std::is_same_v<T, bool>) {
        if (!v.is_boolean()) throw Error("not a boolean");
      } else if constexpr (std::is_integral_v<T>) {
        if (!v.is_number()) throw Error("not an integer");
        if (v.is_number_float() && v.get<double>() != static_cast<double>(v.get<std::int64_t>()))
          throw Error("not an integer");
      } else if constexpr (std::is_same_v<T, std::string>) {
        if (!v.is_string()) throw Error("not a string");
      }
      return v.get<T>();
    } catch (const std::exception&) {
      throw Error(object_ + ": config key '" + std::string(key) + "' has an unexpected value " +
                  v.dump());
    }
  }
  const Json& config_;
  std::string object_;
};

}  // namespace ksave
