#include "versioned_model.hpp"

#include <cstdint>
#include <cstring>

#include "ksave/ksave.hpp"

namespace ksave::reliability {
namespace fs = std::filesystem;

namespace {

constexpr int kWidth = 512;  // a Dense(512, 512) kernel is 1 MiB

// Deterministic values in [-1, 1) from (version, weight, element): splitmix64.
float value_of(int version, std::size_t weight, std::size_t element) {
  std::uint64_t x = static_cast<std::uint64_t>(version) * 0x9E3779B97F4A7C15ULL + weight * 0xD1B54A32D192ED03ULL + element;
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  x ^= x >> 31;
  return static_cast<float>(static_cast<double>(x >> 40) / static_cast<double>(1ULL << 23) - 1.0);
}

Tensor weight_value(int version, std::size_t weight, const Shape& shape) {
  Tensor t(DType::Float32, shape);
  float* data = t.data<float>();
  for (std::size_t i = 0; i < static_cast<std::size_t>(t.size()); ++i) data[i] = value_of(version, weight, i);
  return t;
}

std::string model_name(int version) { return "version_" + std::to_string(version); }

// What differs from `version`'s weights, or "" when they are all equal bit for bit.
std::string weight_difference(const Model& model, int version) {
  const std::vector<Tensor> weights = model.get_weights();
  for (std::size_t w = 0; w < weights.size(); ++w) {
    const Tensor expected = weight_value(version, w, weights[w].shape());
    if (weights[w].dtype() != DType::Float32 || std::memcmp(weights[w].raw_data(), expected.raw_data(), expected.nbytes()) != 0)
      return "weight " + std::to_string(w) + " of " + std::to_string(weights.size()) + " differs";
  }
  return "";
}

}  // namespace

const std::vector<SaveKind>& save_kinds() {
  static const std::vector<SaveKind> kinds = {
      {"h5", "h5", "model.h5", true, true, {"model.h5"}},
      {"keras", "keras", "model.keras", true, true, {"model.keras"}},
      {"savedmodel", "savedmodel", "model", true, true, {"model"}},
      {"json", "json", "model.json", true, false, {"model.json"}},
      {"h5-weights", "h5", "weights.h5", false, true, {"weights.h5"}},
      {"keras-weights", "keras", "model.weights.h5", false, true, {"model.weights.h5"}},
      {"tf-checkpoint", "tf-checkpoint", "ckpt", false, true, {"ckpt.index", "ckpt.data-00000-of-00001", "checkpoint"}},
  };
  return kinds;
}

const SaveKind& save_kind(const std::string& name) {
  std::string names;
  for (const auto& kind : save_kinds()) {
    if (kind.name == name) return kind;
    names += (names.empty() ? "" : ", ") + kind.name;
  }
  throw Error("unknown save kind '" + name + "' (kinds: " + names + ")");
}

ModelPtr versioned_model(const Version& version) {
  std::vector<LayerPtr> layers;
  for (int i = 0; i < std::max(1, version.megabytes); ++i) {
    Json config = {{"units", kWidth}, {"name", "dense_" + std::to_string(i)}};
    if (i == 0) config["batch_input_shape"] = {nullptr, kWidth};
    layers.push_back(make_layer("Dense", config));
  }
  auto model = std::make_shared<Sequential>(layers, model_name(version.number));
  std::vector<Tensor> values;
  const std::vector<Tensor> initial = model->get_weights();
  for (std::size_t w = 0; w < initial.size(); ++w) values.push_back(weight_value(version.number, w, initial[w].shape()));
  model->set_weights(values);
  return model;
}

void save_version(const SaveKind& kind, const Model& model, const fs::path& target) {
  SaveOptions options;
  options.format = kind.format;
  if (kind.whole_model) save_model(model, target, options);
  else save_weights(model, target, options);
}

int loaded_version(const SaveKind& kind, const fs::path& target, const std::vector<Version>& candidates) {
  if (kind.whole_model) {
    ModelPtr model = load_model(target);
    for (const Version& candidate : candidates) {
      if (model->name() != model_name(candidate.number)) continue;
      const std::string difference = kind.holds_weights ? weight_difference(*model, candidate.number) : "";
      if (difference.empty()) return candidate.number;
      throw Error("'" + target.string() + "' holds version " + std::to_string(candidate.number) + "'s model, but " + difference);
    }
    throw Error("'" + target.string() + "' holds a model named '" + model->name() + "', none of the versions saved");
  }
  std::string found;
  for (const Version& candidate : candidates) {
    ModelPtr model = versioned_model({candidate.number + 1000, candidate.megabytes});  // its architecture, other values
    std::string difference;
    try {
      load_weights(*model, target).assert_consumed();
      difference = weight_difference(*model, candidate.number);
    } catch (const Error& e) {
      difference = e.what();
    }
    if (difference.empty()) return candidate.number;
    found += "; as version " + std::to_string(candidate.number) + ": " + difference;
  }
  throw Error("'" + target.string() + "' holds none of the versions saved" + found);
}

std::vector<std::string> unexpected_entries(const SaveKind& kind, const fs::path& folder) {
  std::vector<std::string> extra;
  for (const auto& entry : fs::directory_iterator(folder))
    if (!kind.files.count(entry.path().filename().string())) extra.push_back(entry.path().filename().string());
  return extra;
}

}  // namespace ksave::reliability
