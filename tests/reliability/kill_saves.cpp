// The kill harness: `kill -9` at random moments during saves over a previous version, for one
// kind of save (a format, or weights only).
//
//   ksave_kill_saves KIND
//
// After each kill the path must load and equal the old or the new version exactly; after the
// next completed save no leftover may remain beside it. Then two processes save different
// versions to the same path at once, several times: the result must be one of them, whole.
// Settings (environment): KSAVE_KILL_COUNT kills (default 5), KSAVE_KILL_MEGABYTES model size
// (default 4), KSAVE_CONCURRENT_ROUNDS (default 2), KSAVE_KILL_SEED to replay a run. Half of
// the kills land anywhere in the save, half in its last quarter, where files are synced and
// renamed. Exit status 0 when every check held.
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <random>
#include <thread>

#include "child_process.hpp"
#include "harness_support.hpp"
#include "ksave/error.hpp"

namespace ksave::reliability {
namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

struct Tally {
  int kills = 0, old_version = 0, new_version = 0, finished_before_kill = 0, broken = 0, leftovers_after_kill = 0;
  int failures = 0;
};

void report_failure(Tally& tally, const std::string& what) {
  ++tally.failures;
  std::printf("FAILED: %s\n", what.c_str());
  std::fflush(stdout);
}

// How long an uninterrupted save takes, from the driver's "saving" to its exit.
double timed_save(const SaveKind& kind, const fs::path& target, const Version& version) {
  ChildProcess child(driver_command(kind, target, version), {}, log_file(target, version));
  if (!child.wait_for_line("saving")) throw Error("the driver stopped before saving: " + child.error_output());
  const auto start = Clock::now();
  const int status = child.wait();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw Error("an uninterrupted save failed (" + describe_status(status) + "): " + child.error_output());
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// One kill during a save of `next` over `current`; returns the version the path then holds.
int kill_once(const SaveKind& kind, const fs::path& target, int current, const Version& next, double delay,
              Tally& tally) {
  ChildProcess child(driver_command(kind, target, next), {}, log_file(target, next));
  if (!child.wait_for_line("saving")) throw Error("the driver stopped before saving: " + child.error_output());
  std::this_thread::sleep_for(std::chrono::duration<double>(delay));
  child.kill();
  const int status = child.wait();
  ++tally.kills;
  if (WIFEXITED(status)) {
    ++tally.finished_before_kill;
    if (WEXITSTATUS(status) != 0) throw Error("the save failed on its own: " + child.error_output());
  }
  const Version versions[] = {{current, next.megabytes}, next};
  const int held = loaded_version(kind, target, {versions[0], versions[1]});
  ++(held == next.number ? tally.new_version : tally.old_version);
  if (!unexpected_entries(kind, target.parent_path()).empty()) ++tally.leftovers_after_kill;
  return held;
}

void check_no_leftovers(const SaveKind& kind, const fs::path& folder, Tally& tally, const std::string& when) {
  const auto extra = unexpected_entries(kind, folder);
  std::string names;
  for (const auto& e : extra) names += " " + e;
  if (!extra.empty()) report_failure(tally, "leftovers " + when + ":" + names);
}

// Two drivers saving different versions to the same path at the same time.
void concurrent_round(const SaveKind& kind, const fs::path& target, int megabytes, Tally& tally) {
  const Version a{0, megabytes}, b{1, megabytes};
  ChildProcess first(driver_command(kind, target, a), {}, log_file(target, a));
  ChildProcess second(driver_command(kind, target, b), {}, log_file(target, b));
  const int status_a = first.wait(), status_b = second.wait();
  for (auto [status, child] : {std::pair{status_a, &first}, std::pair{status_b, &second}})
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      report_failure(tally, "a concurrent save failed (" + describe_status(status) + "): " + child->error_output());
  try {
    loaded_version(kind, target, {a, b});
  } catch (const std::exception& e) {
    report_failure(tally, std::string("after two concurrent saves: ") + e.what());
  }
  check_no_leftovers(kind, target.parent_path(), tally, "after two concurrent saves");
}

int run(const std::string& kind_name) {
  const SaveKind& kind = save_kind(kind_name);
  const long count = setting("KSAVE_KILL_COUNT", 5);
  const int megabytes = static_cast<int>(setting("KSAVE_KILL_MEGABYTES", 4));
  const long rounds = setting("KSAVE_CONCURRENT_ROUNDS", 2);
  const auto seed = static_cast<std::uint32_t>(setting("KSAVE_KILL_SEED", static_cast<long>(std::random_device{}())));
  std::mt19937 random(seed);
  const fs::path target = fresh_folder("kill-" + kind.name) / kind.target;

  double duration = std::max(timed_save(kind, target, {0, megabytes}), 0.005);
  std::printf("%s: %ld kills of %d MiB saves (an uninterrupted save takes %.3f s), seed %u\n", kind.name.c_str(), count,
              megabytes, duration, seed);
  std::fflush(stdout);
  Tally tally;
  int current = 0;
  for (long k = 0; k < count; ++k) {
    const double delay = k % 2 == 0 ? std::uniform_real_distribution<double>(0, 1.1 * duration)(random)
                                    : std::uniform_real_distribution<double>(0.75 * duration, 1.05 * duration)(random);
    const int finished_before = tally.finished_before_kill;
    try {
      current = kill_once(kind, target, current, {1 - current, megabytes}, delay, tally);
      // A save that finished before its kill was quicker than the first, timed one (a warm page
      // cache, a lighter machine): aim the next kills earlier, so that they land inside saves.
      if (tally.finished_before_kill > finished_before) duration = std::max(0.8 * duration, 0.005);
    } catch (const std::exception& e) {
      ++tally.broken;
      report_failure(tally, "kill " + std::to_string(k) + " after " + std::to_string(delay) + " s: " + e.what());
      save_completely(kind, target, {current, megabytes});  // a known version again, to go on
    }
  }
  save_completely(kind, target, {1 - current, megabytes});
  check_no_leftovers(kind, target.parent_path(), tally, "after the save that followed the kills");
  for (long r = 0; r < rounds; ++r) concurrent_round(kind, target, megabytes, tally);
  std::printf("%s: %d kills: old version %d, new version %d (%d saves finished before their kill), broken %d; "
              "leftovers right after a kill %d times, after the next save 0 expected; %ld concurrent rounds; %d failures\n",
              kind.name.c_str(), tally.kills, tally.old_version, tally.new_version, tally.finished_before_kill,
              tally.broken, tally.leftovers_after_kill, rounds, tally.failures);
  return tally.failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace ksave::reliability

int main(int argc, char** argv) {
  return ksave::reliability::harness_main(argc, argv, "ksave_kill_saves KIND", ksave::reliability::run);
}
