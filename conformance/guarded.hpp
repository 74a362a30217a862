// Runs one check so that an exception fails that check (naming class and check) and the kit
// goes on with the next one.
#pragma once

#include <exception>
#include <string>

#include "report.hpp"

namespace ksave::conformance {

// `check` returns "" when it passed, else why it failed.
template <typename Check>
void run_check(Report& report, const std::string& kind, const std::string& class_name, const std::string& name,
               Check check) {
  try {
    const std::string why = check();
    if (why.empty())
      report.pass(kind, class_name, name);
    else
      report.fail(kind, class_name, name, why);
  } catch (const std::exception& e) {
    report.fail(kind, class_name, name, e.what());
  }
}

}  // namespace ksave::conformance
