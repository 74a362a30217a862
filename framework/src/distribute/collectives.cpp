#include "ksave/collectives.hpp"

#include <atomic>
#include <exception>

#include "ksave/error.hpp"

namespace ksave {
namespace {

std::atomic<Collectives*> current{nullptr};

}  // namespace

CollectiveScope::CollectiveScope(Collectives* collectives) : previous_(current.exchange(collectives)) {}

CollectiveScope::~CollectiveScope() { current.store(previous_); }

Collectives* current_collectives() { return current.load(); }

Collectives* current_multi_process_collectives() {
  Collectives* c = current.load();
  return c && c->size() > 1 ? c : nullptr;
}

void run_agreed(Collectives& collectives, const std::string& what, const std::function<void()>& work) {
  // An empty string means success; a failure sends "!" + its message, so an empty message still
  // counts as a failure.
  std::string outcome;
  try {
    work();
  } catch (const std::exception& e) {
    outcome = std::string("!") + e.what();
  } catch (...) {
    outcome = "!unknown exception";
  }
  const std::vector<std::string> outcomes = collectives.allgather(outcome);
  std::string failures;
  for (std::size_t r = 0; r < outcomes.size(); ++r) {
    if (outcomes[r].empty()) continue;
    if (!failures.empty()) failures += "; ";
    failures += what + " failed on rank " + std::to_string(r) + ": " + outcomes[r].substr(1);
  }
  if (!failures.empty()) throw Error(failures);
}

}  // namespace ksave

namespace ksave {

void run_on_chief(const std::string& what, const std::function<void()>& work) {
  Collectives* collectives = current_multi_process_collectives();
  if (!collectives) {
    work();
    return;
  }
  run_agreed(*collectives, what, [&] {
    if (collectives->rank() != 0) return;
    CollectiveScope alone(nullptr);
    work();
  });
}

}  // namespace ksave
