#include "report.hpp"

#include <algorithm>
#include <ostream>

namespace ksave::conformance {

void Report::pass(const std::string& kind, const std::string& class_name, const std::string& check,
                  const std::string& detail) {
  outcomes_.push_back({kind, class_name, check, true, false, detail});
}

void Report::fail(const std::string& kind, const std::string& class_name, const std::string& check,
                  const std::string& why) {
  outcomes_.push_back({kind, class_name, check, false, false, why});
}

void Report::skip(const std::string& kind, const std::string& class_name, const std::string& check,
                  const std::string& why) {
  outcomes_.push_back({kind, class_name, check, true, true, why});
}

std::size_t Report::failures() const {
  return static_cast<std::size_t>(
      std::count_if(outcomes_.begin(), outcomes_.end(), [](const CheckOutcome& o) { return !o.passed; }));
}

// A report without a single check passes nothing: a plugin that registers nothing the kit can
// check is a failure, not a silent success.
bool Report::passed() const { return !outcomes_.empty() && failures() == 0; }

void Report::print(std::ostream& out) const {
  for (const CheckOutcome& o : outcomes_) {
    out << (o.skipped ? "SKIP " : o.passed ? "PASS " : "FAIL ") << o.kind << " " << o.class_name << ": " << o.check;
    if (!o.detail.empty()) out << (o.passed && !o.skipped ? " (" : ": ") << o.detail << (o.passed && !o.skipped ? ")" : "");
    out << "\n";
  }
  out << outcomes_.size() - failures() << " of " << outcomes_.size() << " checks passed";
  if (outcomes_.empty()) out << " (the plugin registers nothing the kit checks)";
  out << "\n";
}

Json Report::json() const {
  Json checks = Json::array();
  for (const CheckOutcome& o : outcomes_)
    checks.push_back({{"kind", o.kind}, {"class_name", o.class_name}, {"check", o.check},
                      {"passed", o.passed}, {"skipped", o.skipped}, {"detail", o.detail}});
  return {{"passed", passed()}, {"failures", failures()}, {"checks", std::move(checks)}};
}

}  // namespace ksave::conformance
