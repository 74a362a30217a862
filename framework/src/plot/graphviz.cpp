// plot_model's drawing: Graphviz's `dot` program, run without a shell on a DOT file, writing
// straight into the temporary sibling that then replaces the target (as Keras's pydot runs it).
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "ksave/plot.hpp"
#include "ksave/saving.hpp"

extern char** environ;

namespace ksave {
namespace {

namespace fs = std::filesystem;

// `dot` on PATH, as the shell would find it.
std::optional<fs::path> find_dot() {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const fs::path candidate = fs::path(dir.empty() ? "." : dir) / "dot";
    if (::access(candidate.c_str(), X_OK) == 0 && !fs::is_directory(candidate)) return candidate;
  }
  return std::nullopt;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Runs `program args...` with stderr into `error_file`; returns its exit status (-1 when it
// could not start or did not exit normally).
int run(const fs::path& program, const std::vector<std::string>& args, const fs::path& error_file) {
  std::vector<char*> argv;
  std::vector<std::string> owned{program.string()};
  owned.insert(owned.end(), args.begin(), args.end());
  for (auto& a : owned) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, error_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = 0;
  const int started = posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (started != 0) return -1;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// One line of dot's stderr for an error message.
std::string first_lines(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  for (char& c : text)
    if (c == '\n') c = ' ';
  return text.size() > 400 ? text.substr(0, 400) + "..." : text;
}

}  // namespace

void render_dot(const std::string& dot_text, const std::string& format, const fs::path& to_file) {
  const std::optional<fs::path> dot = find_dot();
  if (!dot)
    throw Error("cannot draw '" + to_file.string() +
                "': Graphviz's `dot` program is not on PATH (install the Debian package graphviz: "
                "apt-get install graphviz)");
  write_atomically(to_file, [&](const fs::path& temporary) {
    const fs::path source = temporary.string() + ".gv", errors = temporary.string() + ".err";
    struct Cleanup {
      fs::path a, b;
      ~Cleanup() {
        std::error_code ignore;
        fs::remove(a, ignore);
        fs::remove(b, ignore);
      }
    } cleanup{source, errors};
    {
      std::ofstream out(source, std::ios::binary);
      out << dot_text;
      if (!out.flush()) throw Error("cannot draw '" + to_file.string() + "': writing '" + source.string() + "' failed");
    }
    const int status = run(*dot, {"-T" + format, "-o", temporary.string(), source.string()}, errors);
    if (status != 0 || !fs::exists(temporary) || fs::file_size(temporary) == 0)
      throw Error("cannot draw '" + to_file.string() + "' as " + format + ": Graphviz's dot (" + dot->string() +
                  ") failed" + (status > 0 ? " with status " + std::to_string(status) : "") + ": " +
                  first_lines(read_file(errors)));
  });
}

void plot_model(const Model& model, const fs::path& to_file, const PlotOptions& options) {
  const std::string text = model_to_dot(model, options);
  std::string format = to_file.extension().string();
  format = format.empty() ? "png" : format.substr(1);  // Keras's default
  if (format == "dot" || format == "gv") {
    write_atomically(to_file, [&](const fs::path& temporary) {
      std::ofstream out(temporary, std::ios::binary);
      out << text;
      if (!out.flush()) throw Error("cannot write '" + to_file.string() + "'");
    });
    return;
  }
  render_dot(text, format, to_file);
}

}  // namespace ksave
