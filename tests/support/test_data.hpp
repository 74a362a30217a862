// Where the tests find shared data, and what a case does when it is absent (a user's fresh clone
// has no ../shared folder).
//
// The folders are read at run time: $KSAVE_FIXTURES (its real/ folder) and $KSAVE_ORACLE, or, when
// those are unset, ../shared/fixtures and ../shared/oracle beside the source tree.
//
// A case that finds its data missing is skipped, and the test program then exits with 77, which
// CTest reports as "skipped" (SKIP_RETURN_CODE), not "passed"; under CI=true the case fails
// instead, since CI must run every real-file claim.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

namespace ksave::test {

// $KSAVE_FIXTURES/real (default ../shared/fixtures/real), or nullopt when the folder is absent.
std::optional<std::filesystem::path> real_fixtures();
// $KSAVE_ORACLE (default ../shared/oracle), or nullopt when absent.
std::optional<std::filesystem::path> oracle_dir();
// A fresh empty folder for this test's files (under $KSAVE_TEST_TMP or the system temp dir).
std::filesystem::path scratch_dir(const std::string& name);

// The current case cannot run without `what`: fails it under CI=true, otherwise records it as
// skipped with a message naming what is missing and where it was looked for.
void data_missing(const std::string& what);
// The cases data_missing recorded as skipped in this run ("case: what").
const std::vector<std::string>& skipped_cases();

}  // namespace ksave::test

// Ends the current test case (skipped, or failed under CI=true) when `opt` holds no path.
#define KSAVE_REQUIRE_DATA(opt, what)    \
  do {                                   \
    if (!(opt)) {                        \
      ::ksave::test::data_missing(what); \
      return;                            \
    }                                    \
  } while (0)
