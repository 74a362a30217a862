// Where the tests find shared data, and how they skip when it is absent (a user's fresh clone
// has no ../shared folder).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include <boost/test/unit_test.hpp>

namespace ksave::test {

// $KSAVE_FIXTURES/real, or nullopt when the folder is absent.
std::optional<std::filesystem::path> real_fixtures();
// $KSAVE_ORACLE, or nullopt when absent.
std::optional<std::filesystem::path> oracle_dir();
// A fresh empty folder for this test's files (under $KSAVE_TEST_TMP or the system temp dir).
std::filesystem::path scratch_dir(const std::string& name);

}  // namespace ksave::test

// Ends the current test case with a clear message when `opt` holds no path.
#define KSAVE_REQUIRE_DATA(opt, what)                                                        \
  do {                                                                                       \
    if (!(opt)) {                                                                            \
      BOOST_TEST_MESSAGE("SKIPPED: " what " not found (set KSAVE_FIXTURES / KSAVE_ORACLE)"); \
      return;                                                                                \
    }                                                                                        \
  } while (0)
