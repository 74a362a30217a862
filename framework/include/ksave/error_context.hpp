// Errors that say which file they are about, whatever layer of a load or save raised them.
#pragma once

#include <string>

#include "ksave/error.hpp"

namespace ksave {

// Runs `body`; an Error whose message does not name `path` is thrown again, of the same class,
// with "'<path>': " in front.
template <typename F>
auto errors_naming(const std::string& path, F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const UsageError& e) {
    if (std::string(e.what()).find(path) != std::string::npos) throw;
    throw UsageError("'" + path + "': " + e.what());
  } catch (const Error& e) {
    if (std::string(e.what()).find(path) != std::string::npos) throw;
    throw Error("'" + path + "': " + e.what());
  }
}

}  // namespace ksave
