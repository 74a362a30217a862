// What `ksave conform` found: one outcome per class and check, printed as a table or JSON.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "ksave/json.hpp"

namespace ksave::conformance {

struct CheckOutcome {
  std::string kind;        // "layer", "optimizer", "format", ...
  std::string class_name;  // the registered name ("Dense", "MyPkg>ScaledDense")
  std::string check;       // "config round trip (h5)", "gradients", ...
  bool passed = false;
  bool skipped = false;    // not run, for a reason its plugin declared (counts as no failure)
  std::string detail;      // why it failed, or what was checked
};

class Report {
 public:
  void pass(const std::string& kind, const std::string& class_name, const std::string& check,
            const std::string& detail = "");
  void fail(const std::string& kind, const std::string& class_name, const std::string& check,
            const std::string& why);
  // A check the plugin declared impossible, with its reason: printed as SKIP, not a failure.
  void skip(const std::string& kind, const std::string& class_name, const std::string& check, const std::string& why);
  bool passed() const;
  std::size_t failures() const;
  const std::vector<CheckOutcome>& outcomes() const { return outcomes_; }

  // One line per check ("PASS layer Dense: gradients"), failures with their reason, then a total.
  void print(std::ostream& out) const;
  Json json() const;

 private:
  std::vector<CheckOutcome> outcomes_;
};

}  // namespace ksave::conformance
