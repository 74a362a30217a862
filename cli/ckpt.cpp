// ksave ckpt: the variables of a TensorFlow checkpoint, and one variable's value as .npy.
//
// Served by the "tf-checkpoint" format plugin through Format::inspect, whose description has
// "variables": [{"name", "dtype", "shape", ...}]. For --tensor, each numeric variable also says
// where its bytes are, as the bundle's BundleEntryProto does: "shard_id", "offset", "size"
// (bytes, little-endian, C order), with "num_shards" in the description (top level or under
// "header"); the shard is <prefix>.data-<shard_id>-of-<num_shards>, 5 digits each. A variable
// may give its data file directly as "file" instead.
#include <bit>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "commands.hpp"
#include "ksave/npy.hpp"
#include "ksave/saving.hpp"
#include "ksave/shape.hpp"

namespace ksave::cli {
namespace {
namespace fs = std::filesystem;

static_assert(std::endian::native == std::endian::little, "bundle tensors are little-endian");

int run(const Args& args);

const Command kCkpt{"ckpt", "ckpt PATH [--json] | ckpt PATH --tensor NAME --output T.npy",
                    "Lists the variables of a TensorFlow checkpoint (PATH: its prefix, its .index, or a SavedModel folder), or "
                    "writes one of them as .npy.",
                    run};

// A variable's checkpoint key ("name"; "key" as bundle listings call it).
std::string variable_name(const Json& v) {
  if (!v.is_object()) return "";
  return v.contains("name") ? json_text(v["name"]) : v.value("key", "");
}

const Json& find_variable(const Json& variables, const std::string& name, const fs::path& path) {
  for (const Json& v : variables)
    if (variable_name(v) == name) return v;
  std::string near;
  std::size_t shown = 0;
  for (const Json& v : variables) {
    std::string candidate = variable_name(v);
    if (candidate.find(name) != std::string::npos || name.find(candidate) != std::string::npos)
      if (shown++ < 5) near += (near.empty() ? "" : ", ") + candidate;
  }
  throw Error("checkpoint '" + path.string() + "' has no variable '" + name + "' (" +
              std::to_string(variables.size()) + " variables" + (near.empty() ? "" : "; similar: " + near) +
              "; `ksave ckpt " + path.string() + "` lists them)");
}

std::uint64_t shard_count(const Json& description) {
  if (description.contains("num_shards")) return description["num_shards"].get<std::uint64_t>();
  if (description.contains("header") && description["header"].contains("num_shards"))
    return description["header"]["num_shards"].get<std::uint64_t>();
  return 1;
}

// The data file holding a variable's bytes.
fs::path data_file(const Json& variable, const Json& description, const fs::path& checkpoint) {
  if (variable.contains("file")) {
    fs::path file = variable["file"].get<std::string>();
    return file.is_relative() ? checkpoint.parent_path() / file : file;
  }
  char suffix[48];
  std::snprintf(suffix, sizeof suffix, ".data-%05llu-of-%05llu",
                static_cast<unsigned long long>(variable.at("shard_id").get<std::uint64_t>()),
                static_cast<unsigned long long>(shard_count(description)));
  return checkpoint.string() + suffix;
}

// The bytes of one variable, checked against its dtype and shape before anything is allocated.
Tensor read_stored_tensor(const Json& variable, const Json& description, const fs::path& checkpoint) {
  const std::string where = "variable '" + variable_name(variable) + "' of '" + checkpoint.string() + "'";
  if (!(variable.contains("file") || variable.contains("shard_id")) || !variable.contains("offset") ||
      !variable.contains("size"))
    throw Error(where + ": the tf-checkpoint plugin did not say where its bytes are (shard_id or file, "
                "offset, size); string tensors have no raw form");
  const DType dtype = parse_dtype(variable.at("dtype").get<std::string>());
  const Shape shape = shape_from_json(variable.at("shape"), where);
  const auto offset = variable.at("offset").get<std::uint64_t>();
  const auto size = variable.at("size").get<std::uint64_t>();
  const std::uint64_t expected = static_cast<std::uint64_t>(num_elements(shape)) * dtype_size(dtype);
  if (size != expected)
    throw Error(where + ": " + std::to_string(size) + " bytes stored, " + std::string(dtype_name(dtype)) + " " +
                shape_to_string(shape) + " needs " + std::to_string(expected));
  const fs::path file = data_file(variable, description, checkpoint);
  std::error_code ec;
  const std::uintmax_t file_size = fs::file_size(file, ec);
  if (ec || offset > file_size || size > file_size - offset)
    throw Error(where + ": bytes " + std::to_string(offset) + ".." + std::to_string(offset + size) + " are not in '" +
                file.string() + "'" + (ec ? " (" + ec.message() + ")" : " (" + std::to_string(file_size) + " bytes)"));
  Tensor tensor(dtype, shape);
  std::ifstream in(file, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(static_cast<char*>(tensor.raw_data()), static_cast<std::streamsize>(size));
  if (!in) throw Error(where + ": cannot read '" + file.string() + "'");
  return tensor;
}

int run(const Args& args) {
  po::options_description visible("options");
  visible.add_options()
      ("json", "print the listing as JSON")
      ("tensor", po::value<std::string>(), "the variable to write (its full checkpoint key)")
      ("output", po::value<std::string>(), "where --tensor's value goes (.npy)");
  po::options_description hidden;
  hidden.add_options()("PATH", po::value<std::string>());
  po::positional_options_description positional;
  positional.add("PATH", 1);
  po::variables_map vm;
  if (!parse_command_line(kCkpt, args, visible, hidden, positional, vm)) return 0;
  require_option(vm, "PATH");
  if (vm.count("tensor") != vm.count("output")) throw CommandLineError("--tensor and --output go together");

  fs::path path = vm["PATH"].as<std::string>();
  if (path.extension() == ".index" && !fs::exists(path.string() + ".index")) path.replace_extension();
  // A SavedModel folder: its variables are the checkpoint DIR/variables/variables.
  if (fs::is_directory(path) && fs::exists(path / "variables" / "variables.index")) path = path / "variables" / "variables";
  const Json description = read_untrusted(path, [&] { return get_format("tf-checkpoint")->inspect(path); });
  const Json variables = description.value("variables", Json::array());

  if (vm.count("tensor")) {
    const Tensor value = read_stored_tensor(find_variable(variables, vm["tensor"].as<std::string>(), path), description, path);
    write_npy(vm["output"].as<std::string>(), value);
    return 0;
  }
  if (vm.count("json")) {
    std::cout << pretty_json(description) << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const Json& v : variables)
    rows.push_back({variable_name(v), json_text(v.value("dtype", Json(nullptr))),
                    json_text(v.value("shape", Json(nullptr)))});
  print_table(std::cout, {"name", "dtype", "shape"}, rows);
  std::cout << variables.size() << " variables\n";
  return 0;
}

[[maybe_unused]] const bool registered = register_command(kCkpt);

}  // namespace
}  // namespace ksave::cli
