// The damaged-load sweep: randomly damaged copies of the real fixtures (truncations, bit flips,
// random and zeroed byte runs; for folders and checkpoints, one of their files) read as
// `ksave inspect` and `ksave convert` read them: the whole read first in a child process with a
// time limit (check_in_child_process), then for real.
//
//   ksave_damage_sweep
//
// Settings (environment): KSAVE_FIXTURES (default: $KSAVE_DEFAULT_FIXTURES, which CTest sets),
// KSAVE_DAMAGE_COUNT damaged copies per fixture kind (default 8, for CI),
// KSAVE_DAMAGE_COMMAND_COUNT of them also through the real `ksave` command ($KSAVE_CLI; default
// 2), KSAVE_DAMAGE_TIME_LIMIT seconds per read (default 30), KSAVE_DAMAGE_SEED to replay,
// KSAVE_DAMAGE_KINDS a comma-separated list of formats to sweep (default: every kind; long
// campaigns run one process per kind, so that each kind's figures arrive as it ends).
// Counts per kind: reads that succeeded, were refused with an Error (or with another exception:
// a finding, as bad input must give a clear ksave::Error), crashed the reader in its
// child process (contained: the command goes on), ran out of time, or made a sanitizer report;
// and any read that succeeded in the child but failed in the parent. Exit status 0 when no
// reader crashed, hung, let another exception out or made a sanitizer report and the command
// never died; 77 without the fixtures (1 under CI=true).
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <string_view>

#include "child_process.hpp"
#include "harness_support.hpp"
#include "ksave/ksave.hpp"

namespace ksave::reliability {
namespace {

namespace fs = std::filesystem;

struct Outcomes {
  int ok = 0, refused = 0, crashed = 0, timed_out = 0, sanitizer = 0, inconsistent = 0, not_an_error = 0;
  std::vector<std::string> findings;  // the first few crashes, hangs and reports, with their recipes
};

// A fixture to damage: a file, a folder (SavedModel) or a checkpoint prefix, and its format.
struct Fixture {
  fs::path path;
  std::string format;
  bool whole_model;
};

std::vector<Fixture> fixtures_in(const fs::path& real) {
  std::vector<Fixture> found;
  for (auto it = fs::recursive_directory_iterator(real); it != fs::recursive_directory_iterator(); ++it) {
    const fs::path& p = it->path();
    if (p.filename() == "expected") {
      it.disable_recursion_pending();
      continue;
    }
    fs::path candidate = p;
    if (p.extension() == ".index") candidate = fs::path(p).replace_extension();
    else if (p.extension() == ".npy" || p.extension() == ".md" || p.extension() == ".txt" || p.filename() == "SHA256SUMS" ||
             (it->is_regular_file() && p.parent_path().filename() == "variables"))
      continue;
    try {
      FormatPtr format = fs::exists(candidate) ? detect_format(candidate) : get_format("tf-checkpoint");
      if (candidate != p && format->name() != "tf-checkpoint") continue;
      if (fs::is_directory(candidate)) it.disable_recursion_pending();
      found.push_back({candidate, format->name(), format->can(Capability::LoadModel)});
    } catch (const Error&) {
    }
  }
  return found;
}

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// Damages `bytes` one random way; says how.
std::string damage(std::string& bytes, std::mt19937_64& random) {
  auto pick = [&](std::size_t n) { return n == 0 ? 0 : std::uniform_int_distribution<std::size_t>(0, n - 1)(random); };
  if (bytes.empty()) return "empty file left as it was";
  switch (pick(4)) {
    case 0: {
      const std::size_t at = pick(bytes.size());
      bytes.resize(at);
      return "truncated to " + std::to_string(at) + " bytes";
    }
    case 1: {
      std::string how = "bits flipped at";
      for (std::size_t i = 0, n = 1 + pick(8); i < n; ++i) {
        const std::size_t at = pick(bytes.size() * 8);
        bytes[at / 8] = static_cast<char>(bytes[at / 8] ^ (1 << (at % 8)));
        how += ' ';  // appended apart (GCC 12 -Wrestrict false positive on " " + string)
        how += std::to_string(at);
      }
      return how;
    }
    case 2: {
      const std::size_t at = pick(bytes.size()), n = std::min(1 + pick(64), bytes.size() - at);
      for (std::size_t i = 0; i < n; ++i) bytes[at + i] = static_cast<char>(pick(256));
      return std::to_string(n) + " random bytes at " + std::to_string(at);
    }
    default: {
      const std::size_t at = pick(bytes.size()), n = std::min(1 + pick(4096), bytes.size() - at);
      std::fill_n(bytes.begin() + static_cast<std::ptrdiff_t>(at), n, '\0');
      return std::to_string(n) + " zero bytes at " + std::to_string(at);
    }
  }
}

// A damaged copy of `fixture` under `work`; its path and the recipe (which file, which bytes).
std::pair<fs::path, std::string> damaged_copy(const Fixture& fixture, const fs::path& work, std::mt19937_64& random) {
  fs::remove_all(work);
  fs::create_directories(work);
  std::vector<fs::path> files;
  fs::path copy;
  if (fs::is_directory(fixture.path)) {
    copy = work / fixture.path.filename();
    fs::copy(fixture.path, copy, fs::copy_options::recursive);
    for (const auto& e : fs::recursive_directory_iterator(copy))
      if (e.is_regular_file()) files.push_back(e.path());
  } else if (fs::exists(fixture.path)) {
    copy = work / fixture.path.filename();
    fs::copy_file(fixture.path, copy);
    files.push_back(copy);
  } else {  // a checkpoint prefix: its index and data shards
    copy = work / fixture.path.filename();
    const std::string stem = fixture.path.filename().string();
    for (const auto& e : fs::directory_iterator(fixture.path.parent_path()))
      if (e.path().filename().string().rfind(stem + ".", 0) == 0) {
        fs::copy_file(e.path(), work / e.path().filename());
        files.push_back(work / e.path().filename());
      }
  }
  for (const auto& f : files) fs::permissions(f, fs::perms::owner_write, fs::perm_options::add);
  const fs::path victim = files.at(std::uniform_int_distribution<std::size_t>(0, files.size() - 1)(random));
  std::string bytes = read_bytes(victim);
  const std::string how = damage(bytes, random);
  std::ofstream(victim, std::ios::binary | std::ios::trunc) << bytes;
  return {copy, fs::relative(victim, work).string() + ": " + how};
}

// Marks a refusal that was not a ksave::Error (std::out_of_range, a filesystem_error, a JSON
// library's exception): the child-process check turns every exception into an Error, which
// would hide that the reader let an unexplained one out.
constexpr std::string_view kNotAnError = "[not a ksave::Error] ";

void only_errors(const std::function<void()>& read) {
  try {
    read();
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Error(std::string(kNotAnError) + e.what());
  }
}

// One read as the command makes it: checked in a child process, then for real.
void read_as_command(const std::function<void()>& read, const std::string& recipe, double limit, Outcomes& out) {
  try {
    check_in_child_process("the damaged copy", [&] { only_errors(read); }, limit);
  } catch (const Error& e) {
    const std::string message = e.what();
    auto finding = [&](int& count) {
      ++count;
      if (out.findings.size() < 20) out.findings.push_back(recipe + ": " + message.substr(0, 600));
    };
    if (message.find("Sanitizer") != std::string::npos || message.find("runtime error") != std::string::npos) finding(out.sanitizer);
    else if (message.find("crashed the reader") != std::string::npos) finding(out.crashed);
    else if (message.find("did not finish within") != std::string::npos) finding(out.timed_out);
    else if (message.find(kNotAnError) != std::string::npos) finding(out.not_an_error);
    else ++out.refused;
    return;
  }
  try {
    read();
    ++out.ok;
  } catch (const std::exception& e) {
    ++out.inconsistent;
    if (out.findings.size() < 20) out.findings.push_back(recipe + ": read in the child, failed here: " + e.what());
  }
}

// The real command on a damaged copy: it must exit 0 or 1, never die.
void run_command(const std::vector<std::string>& argv, const std::string& recipe, Outcomes& out) {
  const fs::path log = fresh_folder("damage-command-log") / "stderr";
  ChildProcess command(argv, {}, log);
  const int status = command.wait();
  if (WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 1)) {
    ++(WEXITSTATUS(status) == 0 ? out.ok : out.refused);  // the command's exit status for an error is 1
    return;
  }
  ++out.crashed;
  out.findings.push_back(recipe + ": `ksave " + argv[1] + "` ended with " + describe_status(status) + ": " + command.error_output());
}

void describe(const std::string& what, const Outcomes& o) {
  std::printf("  %s: %d read, %d refused with an error, %d refused with another exception, %d crashed (in the child), "
              "%d timed out, %d sanitizer reports, %d inconsistent\n", what.c_str(), o.ok, o.refused, o.not_an_error,
              o.crashed, o.timed_out, o.sanitizer, o.inconsistent);
  for (const auto& f : o.findings) std::printf("    FINDING %s\n", f.c_str());
  std::fflush(stdout);  // a sanitizer's report at exit ends the process without flushing stdio
}

int failures_in(const Outcomes& o) { return o.crashed + o.timed_out + o.sanitizer + o.inconsistent + o.not_an_error; }

// Keeps the damaged copy a reader failed on (the recipe names the bytes, not their new values),
// under <work>/findings/<kind>-<number>, for the regression test that reproduces it.
void keep_finding(const fs::path& work, const std::string& format, long number) {
  const fs::path kept = work / "findings" / (format + "-" + std::to_string(number));
  fs::create_directories(kept);
  fs::copy(work / "copy", kept, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  std::printf("    kept the damaged copy of finding %ld in %s\n", number, kept.string().c_str());
}

// $KSAVE_FIXTURES, else the default CTest gives ($KSAVE_DEFAULT_FIXTURES): the other suites'
// lookup (tests/support/test_data.hpp).
fs::path fixtures_folder() {
  for (const char* variable : {"KSAVE_FIXTURES", "KSAVE_DEFAULT_FIXTURES"})
    if (const char* value = std::getenv(variable); value && *value) return value;
  return {};
}

int run() {
  const fs::path fixtures = fixtures_folder();
  const fs::path real = fixtures / "real";
  if (fixtures.empty() || !fs::is_directory(real)) {
    const char* ci = std::getenv("CI");
    const bool under_ci = ci && std::string(ci) == "true";  // CI must run every real-file check
    std::printf("%s: no real fixtures (looked in '%s'; set KSAVE_FIXTURES)\n", under_ci ? "FAILED" : "SKIPPED",
                real.string().c_str());
    return under_ci ? 1 : 77;
  }
  const long count = setting("KSAVE_DAMAGE_COUNT", 8);
  const long command_count = setting("KSAVE_DAMAGE_COMMAND_COUNT", 2);
  const double limit = static_cast<double>(setting("KSAVE_DAMAGE_TIME_LIMIT", 30));
  const auto seed = static_cast<std::uint64_t>(setting("KSAVE_DAMAGE_SEED", static_cast<long>(std::random_device{}())));
  const char* cli = std::getenv("KSAVE_CLI");
  std::mt19937_64 random(seed);
  load_plugins();
  std::map<std::string, std::vector<Fixture>> kinds;
  const std::string wanted = std::getenv("KSAVE_DAMAGE_KINDS") ? std::getenv("KSAVE_DAMAGE_KINDS") : "";
  for (const auto& f : fixtures_in(real))
    if (wanted.empty() || ("," + wanted + ",").find("," + f.format + ",") != std::string::npos) kinds[f.format].push_back(f);
  if (kinds.empty()) {
    std::printf("FAILED: no fixture of the kinds '%s' in '%s'\n", wanted.c_str(), real.string().c_str());
    return 1;
  }
  const fs::path work = fresh_folder("damage-sweep");
  int failures = 0;
  std::printf("seed %llu, %ld damaged copies per kind, time limit %.0f s\n", static_cast<unsigned long long>(seed), count, limit);
  for (const auto& [format, fixtures] : kinds) {
    Outcomes inspect, convert, command;
    for (long i = 0; i < count; ++i) {
      const Fixture& fixture = fixtures[static_cast<std::size_t>(i) % fixtures.size()];
      const auto [copy, how] = damaged_copy(fixture, work / "copy", random);
      const std::string recipe = fs::relative(fixture.path, real).string() + " (" + how + ")";
      const int failures_before = failures_in(inspect) + failures_in(convert);
      read_as_command([&, copy = copy] {
        FormatPtr f = fs::exists(copy) ? detect_format(copy) : get_format("tf-checkpoint");
        f->inspect(copy);
      }, recipe, limit, inspect);
      if (fixture.whole_model)
        read_as_command([&, copy = copy] { save_model(*load_model(copy), work / "converted.h5"); }, recipe, limit, convert);
      if (failures_in(inspect) + failures_in(convert) > failures_before) keep_finding(work, format, i);
      if (cli && i < command_count) {
        run_command({cli, "inspect", copy.string()}, recipe, command);
        if (fixture.whole_model) run_command({cli, "convert", copy.string(), (work / "command.h5").string()}, recipe, command);
      }
    }
    std::printf("%s (%zu fixtures):\n", format.c_str(), fixtures.size());
    describe("inspect", inspect);
    describe("convert", convert);
    describe("the ksave command", command);
    failures += failures_in(inspect) + failures_in(convert) + failures_in(command);
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace ksave::reliability

int main() {
  try {
    return ksave::reliability::run();
  } catch (const std::exception& e) {
    std::printf("FAILED: %s\n", e.what());
    return 1;
  }
}
