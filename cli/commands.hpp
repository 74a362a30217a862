// The `ksave` subcommands and what they share: option parsing that turns command-line mistakes
// into CommandLineError (exit status 2), loading a model with optional separate weights, and
// printing tables and JSON.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "ksave/error.hpp"
#include "ksave/format.hpp"
#include "ksave/json.hpp"
#include "ksave/model.hpp"
#include "ksave/saving.hpp"

namespace ksave::cli {

namespace po = boost::program_options;
using Args = std::vector<std::string>;

// A mistake on the command line (unknown option, missing or extra argument): exit status 2.
// Library errors, even UsageError, are about files and models, so they exit with 1.
class CommandLineError : public Error {
 public:
  using Error::Error;
};

struct Command {
  const char* name;
  const char* synopsis;  // the usage line after "ksave "
  const char* summary;   // one line for `ksave --help`
  int (*run)(const Args& args);
};

// Each subcommand's file adds itself to the table with a namespace-scope
//   const bool registered = register_command({...});
// so that the table is exactly the subcommands compiled in.
bool register_command(const Command& command);
// The table, in the order `ksave --help` lists it.
std::vector<Command> commands();
// The subcommand of this name, or nullptr.
const Command* find_command(const std::string& name);

// Parses `args` for `command`: named options in `visible` (shown by --help), the targets of
// positional arguments in `hidden`, mapped by `positional`. Adds --help; returns false when help
// was printed (the command then exits 0). Boost's parse errors become CommandLineError.
bool parse_command_line(const Command& command, const Args& args, po::options_description visible,
                        const po::options_description& hidden,
                        const po::positional_options_description& positional, po::variables_map& vm);
// Throws CommandLineError when a required option is absent from `vm`.
void require_option(const po::variables_map& vm, const std::string& name);

// The ksave command treats every file it reads as untrusted: each read runs first in a child
// process (check_in_child_process) with a time limit, so that a damaged or hostile file gives
// an error, never a crash or a hang of the command. $KSAVE_TRUSTED_FILES=1 skips the check (one
// read instead of two); $KSAVE_READ_TIME_LIMIT sets the limit in seconds (default 600).
LoadOptions untrusted_file_options();
// `read()` of `path`, checked first as untrusted_file_options() say.
template <typename Read>
auto read_untrusted(const std::filesystem::path& path, Read read) {
  return read_checked(path, untrusted_file_options(), read);
}

// A whole saved model (format found by content); with `weights`, its weights are then read from
// that file or checkpoint prefix; the whole read is checked as untrusted (read_untrusted). A
// JSON architecture without weights is refused when `need_weights` (its values would be random
// initializations). `compile` as Keras's load_model(compile=...): predictions need no optimizer.
ModelPtr load_model_and_weights(const std::filesystem::path& model_path, const std::string& weights,
                                bool need_weights, bool compile);
// The same read without the check in a child process (what the check itself runs).
ModelPtr load_trusted_model_and_weights(const std::filesystem::path& model_path, const std::string& weights,
                                        bool need_weights, bool compile);

// Tensors from .npy files, in order.
std::vector<Tensor> read_npy_files(const std::vector<std::string>& paths);

// A plain text table with a header row, columns padded to their widest cell.
void print_table(std::ostream& out, const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows);
// A readable rendering of an inspect result: scalars as "key: value", text blocks indented,
// arrays of objects as tables.
void print_description(std::ostream& out, const Json& description);
// Indented JSON; bytes that are not UTF-8 (names read from binary files) become U+FFFD.
std::string pretty_json(const Json& value);
// A JSON scalar or short value as text (strings without quotes).
std::string json_text(const Json& value);
// 1234567 → "1.2 MiB".
std::string human_size(std::uintmax_t bytes);

}  // namespace ksave::cli
