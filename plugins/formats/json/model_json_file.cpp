#include "model_json_file.hpp"

#include <cctype>
#include <fstream>
#include <iterator>

#include "ksave/error.hpp"
#include "tfjs_training_config.hpp"

namespace ksave::plugins::json_format {
namespace fs = std::filesystem;

namespace {

std::string quoted(const fs::path& path) {
  std::string out = "'";  // built by appending (GCC 12 -Wrestrict false positive on "'" + string)
  out += path.string();
  out += "'";
  return out;
}

// The whole file, or the reason it cannot be read.
std::string read_text(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw Error(quoted(path) + " is not a regular file");
  const std::uintmax_t size = fs::file_size(path, ec);
  if (ec) throw Error("cannot read " + quoted(path) + ": " + ec.message());
  if (size > kMaxModelJsonBytes)
    throw Error(quoted(path) + " is " + std::to_string(size) + " bytes, more than any model JSON (limit " +
                std::to_string(kMaxModelJsonBytes) + ")");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open " + quoted(path));
  std::string text(static_cast<std::size_t>(size), '\0');
  in.read(text.data(), static_cast<std::streamsize>(size));
  if (in.gcount() != static_cast<std::streamsize>(size)) throw Error("cannot read all of " + quoted(path));
  return text;
}

// The first byte that is not JSON whitespace decides cheaply whether the file can be JSON.
bool starts_with_object(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  char c = 0;
  while (in.get(c))
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return c == '{';
  return false;
}

std::string key_list(const Json& object) {
  std::string keys;
  std::size_t n = 0;
  for (const auto& [k, v] : object.items()) {
    if (n++ == 10) return keys + ", ...";
    keys += (keys.empty() ? "" : ", ") + k;
  }
  return keys.empty() ? "none" : keys;
}

}  // namespace

bool is_model_json(const Json& value) {
  if (!value.is_object()) return false;
  if (value.contains("class_name") && value.contains("config")) return true;
  return value.contains("modelTopology") && value["modelTopology"].is_object();
}

const Json& model_part(const Json& value) {
  if (value.contains("class_name") || !value.contains("modelTopology")) return value;
  const Json& topology = value["modelTopology"];
  return topology.contains("model_config") ? topology["model_config"] : topology;
}

Json training_config_part(const Json& value) {
  Json config = nullptr;
  if (value.contains("training_config")) config = value["training_config"];
  else if (value.contains("trainingConfig")) config = value["trainingConfig"];  // tfjs model.save()
  else if (value.contains("modelTopology") && value["modelTopology"].is_object())
    config = value["modelTopology"].value("training_config", Json(nullptr));  // tensorflowjs_converter
  return keras_training_config(config);
}

namespace {
// A top-level key of the file, of tfjs's modelTopology, or of the model config, in that order.
Json recorded(const Json& value, const char* key) {
  if (value.contains(key)) return value[key];
  if (value.contains("modelTopology") && value["modelTopology"].is_object() && value["modelTopology"].contains(key))
    return value["modelTopology"][key];
  const Json& model = model_part(value);
  if (model.is_object() && model.contains(key)) return model[key];
  return nullptr;
}
}  // namespace

Json keras_version_of(const Json& value) { return recorded(value, "keras_version"); }
Json backend_of(const Json& value) { return recorded(value, "backend"); }

Json read_model_json(const fs::path& path) {
  const Json value = parse_json(read_text(path), quoted(path));
  if (!value.is_object())
    throw Error(quoted(path) + " holds a JSON " + std::string(value.type_name()) +
                ", not a Keras model (expected an object with class_name and config)");
  if (!is_model_json(value))
    throw Error(quoted(path) + " is JSON but not a Keras model: expected class_name and config, or "
                "modelTopology; found keys: " + key_list(value));
  return value;
}

std::optional<Json> try_read_model_json(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec) || fs::file_size(path, ec) > kMaxModelJsonBytes || ec) return std::nullopt;
  if (!starts_with_object(path)) return std::nullopt;
  try {
    Json value = Json::parse(read_text(path), nullptr, /*allow_exceptions=*/false);
    if (is_model_json(value)) return value;
  } catch (const std::exception&) {
    // unreadable: not ours
  }
  return std::nullopt;
}

bool claims_file(const fs::path& path) {
  if (try_read_model_json(path)) return true;
  std::string ext = path.extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::error_code ec;
  return ext == ".json" && fs::is_regular_file(path, ec) && starts_with_object(path);
}

}  // namespace ksave::plugins::json_format
