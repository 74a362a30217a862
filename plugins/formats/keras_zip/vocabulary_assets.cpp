#include "vocabulary_assets.hpp"

#include "variable_layout.hpp"

namespace ksave::plugins::keras_zip {
namespace {

// The serialized layer named `name` anywhere inside `config` (nested models included).
Json* find_layer_config(Json& config, const std::string& name) {
  if (config.is_object()) {
    auto c = config.find("config");
    if (config.contains("class_name") && c != config.end() && c->is_object() && c->value("name", "") == name) return &*c;
    for (auto& [_, v] : config.items())
      if (Json* found = find_layer_config(v, name)) return found;
  } else if (config.is_array()) {
    for (auto& v : config)
      if (Json* found = find_layer_config(v, name)) return found;
  }
  return nullptr;
}

Json vocabulary_lines(const std::vector<char>& bytes, bool integers, const std::string& entry) {
  std::vector<std::string> lines;
  std::string line;
  for (char ch : bytes) {
    if (ch != '\n') {
      line += ch;
      continue;
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    line.clear();
  }
  if (!line.empty()) lines.push_back(std::move(line));
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  Json out = Json::array();
  for (const std::string& l : lines) {
    if (!integers) {
      out.push_back(l);
      continue;
    }
    try {
      std::size_t used = 0;
      const long long value = std::stoll(l, &used);
      if (used != l.size()) throw std::invalid_argument(l);
      out.push_back(value);
    } catch (const std::exception&) {
      throw Error("'" + entry + "' holds '" + l + "' where an IntegerLookup vocabulary holds integers");
    }
  }
  return out;
}

}  // namespace

bool vocabulary_assets_into_config(const ZipReader& zip, const Model& model, Json& config) {
  bool found = false;
  for (const VariableOwner& owner : layer_variable_owners(model)) {
    if (owner.path.empty()) continue;
    const std::string entry = "assets/" + owner.path + "/vocabulary.txt";
    const auto bytes = zip.read(entry);
    if (!bytes) continue;
    Json* layer = find_layer_config(config, owner.name);
    // A layer made inside another (TextVectorization's _lookup_layer) takes its vocabulary from
    // its owner's config, which has its own copy of the asset.
    if (!layer) continue;
    const auto existing = layer->find("vocabulary");
    if (existing != layer->end() && !existing->is_null()) continue;  // Keras reads the config's list then, not the asset
    const bool integers = owner.description.find("(IntegerLookup)") != std::string::npos;
    (*layer)["vocabulary"] = vocabulary_lines(*bytes, integers, (zip.path() / entry).string());
    found = true;
  }
  return found;
}

}  // namespace ksave::plugins::keras_zip
