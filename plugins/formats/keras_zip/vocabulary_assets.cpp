#include "vocabulary_assets.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>

#include "variable_layout.hpp"

namespace ksave::plugins::keras_zip {
namespace {

constexpr const char* kAssetFile = "vocabulary.txt";

std::string asset_entry(const std::string& layer_path) { return "assets/" + layer_path + "/" + kAssetFile; }

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

// save_assets' text: str() of each token, joined by line breaks.
std::string vocabulary_text(const Json& tokens, const std::string& object) {
  if (!tokens.is_array()) throw Error(object + ": its vocabulary came from an archive's assets but its config holds " + tokens.dump());
  std::string text;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (i) text += '\n';
    text += tokens[i].is_string() ? tokens[i].get<std::string>() : tokens[i].dump();
  }
  return text;
}

// The layers whose vocabulary came from assets. Held weakly: an entry whose layer is gone (or
// whose address a new layer took) does not count.
class AssetVocabularies {
 public:
  void add(const Layer& layer) {
    std::lock_guard lock(mutex_);
    std::erase_if(layers_, [](const auto& entry) { return entry.second.expired(); });
    layers_[&layer] = layer.weak_from_this();
  }
  bool contains(const Layer& layer) const {
    std::lock_guard lock(mutex_);
    auto it = layers_.find(&layer);
    return it != layers_.end() && it->second.lock().get() == &layer;
  }

 private:
  mutable std::mutex mutex_;
  std::map<const Layer*, std::weak_ptr<const Layer>> layers_;
};

AssetVocabularies& asset_vocabularies() {
  static AssetVocabularies layers;
  return layers;
}

}  // namespace

std::vector<std::string> vocabulary_assets_into_config(const ZipReader& zip, const Model& model, Json& config) {
  std::vector<std::string> paths;
  for (const VariableOwner& owner : layer_variable_owners(model)) {
    if (owner.path.empty()) continue;
    const std::string entry = asset_entry(owner.path);
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
    paths.push_back(owner.path);
  }
  return paths;
}

void remember_asset_vocabularies(const Model& model, const std::vector<std::string>& paths) {
  for (const VariableOwner& owner : layer_variable_owners(model))
    if (owner.layer && std::find(paths.begin(), paths.end(), owner.path) != paths.end()) asset_vocabularies().add(*owner.layer);
}

std::vector<std::pair<std::string, std::string>> vocabulary_assets_from_config(const Model& model, Json& keras3_config) {
  std::vector<std::pair<std::string, std::string>> entries;
  for (const VariableOwner& owner : layer_variable_owners(model)) {
    if (owner.path.empty() || !owner.layer || !asset_vocabularies().contains(*owner.layer)) continue;
    Json* layer = find_layer_config(keras3_config, owner.name);
    if (!layer) continue;
    if (layer->value("output_mode", "") == "tf_idf" && layer->value("pad_to_max_tokens", false)) continue;
    const std::string text = vocabulary_text(layer->value("vocabulary", Json(nullptr)), owner.description);
    entries.emplace_back(asset_entry(owner.path), text);
    // Keras 3 writes TextVectorization's asset again for its _lookup_layer (and reads both).
    if (owner.layer->class_name() == "TextVectorization") entries.emplace_back(asset_entry(owner.path + "/_lookup_layer"), text);
    (*layer)["vocabulary"] = nullptr;
    (*layer)["idf_weights"] = nullptr;
  }
  std::sort(entries.begin(), entries.end());  // Keras 3's archive lists them by path
  return entries;
}

}  // namespace ksave::plugins::keras_zip
