#include "revived_configs.hpp"

#include <array>

namespace ksave::plugins::savedmodel {
namespace {

// What the Layer base reads (name, trainable, dtype and every spelling of the input shape).
constexpr std::array<const char*, 8> kBaseLayerKeys{"name",        "trainable",  "dtype",      "batch_input_shape",
                                                    "batch_shape", "input_shape", "batch_size", "input_dim"};

std::string layer_name(const Json& config) {
  const auto name = config.find("name");
  return name != config.end() && name->is_string() ? name->get<std::string>() : "";
}

// The revived class an entry {"class_name", "registered_name", "config"} is of, or "".
std::string revived_class(const Json& entry, const CustomObjects& revived) {
  for (const char* key : {"class_name", "registered_name"}) {
    const auto name = entry.find(key);
    if (name != entry.end() && name->is_string() && revived.count(name->get<std::string>())) return name->get<std::string>();
  }
  return "";
}

}  // namespace

Json RevivedConfigs::reduce(const Json& model_config, const CustomObjects& revived) {
  if (revived.empty()) return model_config;
  return reduce_value(model_config, revived);
}

Json RevivedConfigs::reduce_value(const Json& value, const CustomObjects& revived) {
  if (value.is_array()) {
    Json out = Json::array();
    for (const auto& item : value) out.push_back(reduce_value(item, revived));
    return out;
  }
  if (!value.is_object()) return value;
  const auto config = value.find("config");
  const std::string cls = revived_class(value, revived);
  if (!cls.empty() && config != value.end() && config->is_object()) {
    Json reduced = Json::object();
    for (const char* key : kBaseLayerKeys)
      if (config->contains(key)) reduced[key] = (*config)[key];
    full_[{cls, layer_name(*config)}] = *config;
    Json out = value;
    out["config"] = std::move(reduced);
    return out;
  }
  Json out = Json::object();
  for (const auto& [key, item] : value.items()) out[key] = reduce_value(item, revived);
  return out;
}

Json RevivedConfigs::full(const std::string& class_name, const Json& reduced) const {
  const auto it = full_.find({class_name, reduced.is_object() ? layer_name(reduced) : ""});
  return it != full_.end() ? it->second : reduced;
}

Json without_shared_object_ids(Json config) {
  if (config.is_object()) config.erase("shared_object_id");
  if (config.is_structured())
    for (auto& item : config) item = without_shared_object_ids(std::move(item));
  return config;
}

}  // namespace ksave::plugins::savedmodel
