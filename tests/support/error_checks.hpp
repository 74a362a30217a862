// What the bad-input tests ask of an error: that one was thrown, and that its message names
// what it should (the file, the object, expected and found).
#pragma once

#include <boost/test/unit_test.hpp>
#include <functional>
#include <initializer_list>
#include <string>

#include "ksave/error.hpp"

namespace ksave::test {

// The message of the ksave::Error `action` throws; fails the test (and returns "") when none is.
inline std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& e) {
    BOOST_TEST_MESSAGE("error: " << e.what());
    return e.what();
  }
  BOOST_ERROR("no ksave::Error was thrown");
  return "";
}

// Whether `message` contains every one of `parts`; logs the first missing one.
inline bool mentions(const std::string& message, std::initializer_list<std::string> parts) {
  for (const auto& part : parts)
    if (message.find(part) == std::string::npos) {
      BOOST_TEST_MESSAGE("'" << part << "' is not in: " << message);
      return false;
    }
  return true;
}

}  // namespace ksave::test
