// Classes declared refused by their plugin: they must refuse with a clear ksave::Error.
#include "checks.hpp"
#include "ksave/error.hpp"
#include "ksave/serialization.hpp"

namespace ksave::conformance {

void check_refused_class(const ClassEntry& entry, const Json& sample, Report& report) {
  const std::string kind(kind_name(entry.kind)), name = entry.registered_name();
  const std::string check = "refused as its plugin declares (" + sample["refused"].dump() + ")";
  if (entry.kind != Kind::Layer && entry.kind != Kind::Model) {
    report.fail(kind, name, check, "only layer classes can be declared refused");
    return;
  }
  try {
    make_layer(name, Json::object());
    report.fail(kind, name, check, "it was made from {}");
  } catch (const Error& e) {
    report.pass(kind, name, check, e.what());
  } catch (const std::exception& e) {
    report.fail(kind, name, check, std::string("it threw something other than a ksave::Error: ") + e.what());
  }
}

}  // namespace ksave::conformance
