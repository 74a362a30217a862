// Helpers shared by the subcommands (see commands.hpp).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>

#include "commands.hpp"
#include "ksave/error_context.hpp"
#include "ksave/npy.hpp"
#include "ksave/saving.hpp"

namespace ksave::cli {
namespace fs = std::filesystem;

namespace {

std::vector<Command>& command_table() {
  static std::vector<Command> table;
  return table;
}

// The order `ksave --help` lists the subcommands in; others follow by name.
int listing_rank(const std::string& name) {
  static const std::vector<std::string> order = {"predict", "fit", "convert", "inspect", "ckpt", "plugins", "demo"};
  auto it = std::find(order.begin(), order.end(), name);
  return static_cast<int>(it - order.begin());
}

}  // namespace

bool register_command(const Command& command) {
  command_table().push_back(command);
  return true;
}

std::vector<Command> commands() {
  std::vector<Command> sorted = command_table();
  std::sort(sorted.begin(), sorted.end(), [](const Command& a, const Command& b) {
    int ra = listing_rank(a.name), rb = listing_rank(b.name);
    return ra != rb ? ra < rb : std::string(a.name) < b.name;
  });
  return sorted;
}

const Command* find_command(const std::string& name) {
  for (const auto& c : command_table())
    if (name == c.name) return &c;
  return nullptr;
}

bool parse_command_line(const Command& command, const Args& args, po::options_description visible,
                        const po::options_description& hidden,
                        const po::positional_options_description& positional, po::variables_map& vm) {
  visible.add_options()("help,h", "show this help");
  po::options_description all;
  all.add(visible).add(hidden);
  try {
    po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
    if (vm.count("help")) {
      std::cout << "usage: ksave " << command.synopsis << "\n" << command.summary << "\n\n" << visible;
      return false;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    throw CommandLineError(e.what());
  }
  return true;
}

void require_option(const po::variables_map& vm, const std::string& name) {
  if (!vm.count(name)) {
    // Positional arguments are named in capitals in the synopsis.
    bool positional = std::all_of(name.begin(), name.end(), [](char c) { return std::isupper(static_cast<unsigned char>(c)); });
    throw CommandLineError(positional ? "missing argument " + name : "the option '--" + name + "' is required");
  }
}


LoadOptions untrusted_file_options() {
  LoadOptions options;
  const char* trusted = std::getenv("KSAVE_TRUSTED_FILES");
  options.check_in_child_process = !(trusted && std::string(trusted) == "1");
  if (const char* limit = std::getenv("KSAVE_READ_TIME_LIMIT"); limit && *limit) {
    char* end = nullptr;
    options.time_limit_seconds = std::strtod(limit, &end);
    if (*end || options.time_limit_seconds < 0)
      throw CommandLineError(std::string("$KSAVE_READ_TIME_LIMIT must be a number of seconds, found '") + limit + "'");
  }
  return options;
}

ModelPtr load_model_and_weights(const fs::path& model_path, const std::string& weights, bool need_weights,
                                bool compile) {
  // One check in a child process covers the whole read: format detection, model and weights.
  return read_untrusted(model_path, [&] { return load_trusted_model_and_weights(model_path, weights, need_weights, compile); });
}

ModelPtr load_trusted_model_and_weights(const fs::path& model_path, const std::string& weights, bool need_weights,
                                        bool compile) {
  // The format of a file, folder or checkpoint prefix, as the format plugins recognize them.
  FormatPtr format = detect_format(model_path);
  if (!format->can(Capability::LoadModel))
    throw Error("'" + model_path.string() + "' is in format '" + format->name() +
                "', which holds no model architecture (give an architecture JSON or a whole saved model)");
  if (weights.empty() && need_weights && !format->traits().holds_values)
    throw Error("no weights: '" + model_path.string() + "' is an architecture only (give its weights with --weights W)");
  LoadOptions options;
  options.compile = compile;
  // Initializers wait for the weights file too (an architecture JSON has no values of its own).
  DeferredInitialization deferred;
  ModelPtr model = errors_naming(model_path.string(), [&] { return load_model(model_path, options); });
  if (!weights.empty()) {
    errors_naming(weights, [&] {
      LoadStatus status = load_weights(*model, weights);
      for (const auto& w : status.warnings) std::cerr << "ksave: warning: " << w << "\n";
      status.assert_existing_objects_matched();
    });
  }
  return model;
}

std::vector<Tensor> read_npy_files(const std::vector<std::string>& paths) {
  std::vector<Tensor> tensors;
  for (const auto& p : paths) tensors.push_back(read_npy(p));
  return tensors;
}

void print_table(std::ostream& out, const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) width[c] = header[c].size();
  for (const auto& row : rows)
    for (std::size_t c = 0; c < row.size() && c < width.size(); ++c) width[c] = std::max(width[c], row[c].size());
  auto line = [&](const std::vector<std::string>& cells) {
    std::string text;
    for (std::size_t c = 0; c < width.size(); ++c) {
      std::string cell = c < cells.size() ? cells[c] : "";
      text += cell + (c + 1 < width.size() ? std::string(width[c] - cell.size() + 2, ' ') : "");
    }
    out << text << "\n";
  };
  line(header);
  std::vector<std::string> rule;
  for (std::size_t w : width) rule.push_back(std::string(w, '-'));
  line(rule);
  for (const auto& row : rows) line(row);
}

std::string pretty_json(const Json& value) {
  return value.dump(2, ' ', false, Json::error_handler_t::replace);
}

std::string json_text(const Json& value) {
  if (value.is_null()) return "-";
  if (value.is_string()) return value.get<std::string>();
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

namespace {

bool is_table(const Json& value) {
  return value.is_array() && !value.empty() &&
         std::all_of(value.begin(), value.end(), [](const Json& v) { return v.is_object(); });
}

// A table cell: a list of objects (a layer's weights) as "v1 v2 v3, v1 v2 v3", other values as text.
std::string cell_text(const Json& value) {
  if (!is_table(value)) return json_text(value);
  std::string text;
  for (const Json& object : value) {
    std::string item;
    // Appended piece by piece: GCC 12 reports a false -Wrestrict for `"literal" + std::string`.
    for (const auto& [k, v] : object.items()) item.append(item.empty() ? "" : " ").append(json_text(v));
    text.append(text.empty() ? "" : ", ").append(item);
  }
  return text;
}

void print_rows(std::ostream& out, const Json& objects, const std::string& indent) {
  std::vector<std::string> header;
  for (const Json& o : objects)
    for (const auto& [k, v] : o.items())
      if (std::find(header.begin(), header.end(), k) == header.end()) header.push_back(k);
  std::vector<std::vector<std::string>> rows;
  for (const Json& o : objects) {
    std::vector<std::string> row;
    for (const auto& k : header) row.push_back(o.contains(k) ? cell_text(o[k]) : "");
    rows.push_back(std::move(row));
  }
  std::ostringstream table;
  print_table(table, header, rows);
  std::istringstream lines(table.str());
  for (std::string l; std::getline(lines, l);) out << indent << l << "\n";
}

void print_object(std::ostream& out, const Json& object, const std::string& indent) {
  for (const auto& [key, value] : object.items()) {
    if (value.is_string() && value.get<std::string>().find('\n') != std::string::npos) {
      out << indent << key << ":\n";
      std::istringstream lines(value.get<std::string>());
      for (std::string l; std::getline(lines, l);) out << indent << "  " << l << "\n";
    } else if (is_table(value)) {
      out << indent << key << " (" << value.size() << "):\n";
      print_rows(out, value, indent + "  ");
    } else if (value.is_object() && !value.empty()) {
      out << indent << key << ":\n";
      print_object(out, value, indent + "  ");
    } else {
      out << indent << key << ": " << json_text(value) << "\n";
    }
  }
}

}  // namespace

void print_description(std::ostream& out, const Json& description) {
  if (description.is_object()) print_object(out, description, "");
  else out << pretty_json(description) << "\n";  // a damaged file's strings may not be UTF-8
}

std::string human_size(std::uintmax_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 3) {
    value /= 1024;
    ++unit;
  }
  char text[32];
  if (unit == 0) std::snprintf(text, sizeof text, "%ju B", bytes);
  else std::snprintf(text, sizeof text, "%.1f %s", value, units[unit]);
  return text;
}

}  // namespace ksave::cli
