#include "model_archive.hpp"

#include <iostream>

#include "hdf5_handle.hpp"
#include "keras3_config.hpp"
#include "ksave/saving.hpp"
#include "ksave/serialization.hpp"
#include "variable_layout.hpp"
#include "vocabulary_assets.hpp"
#include "weights_entry.hpp"
#include "weights_file.hpp"
#include "weights_store.hpp"
#include "zip_archive.hpp"

namespace ksave::plugins::keras_zip {
namespace fs = std::filesystem;

namespace {

constexpr const char* kConfigEntry = "config.json";
constexpr const char* kMetadataEntry = "metadata.json";

void print_warning(const std::string& message) { std::cerr << "ksave: warning: " << message << "\n"; }

// 'archive.keras/entry', how messages name a file inside the archive.
fs::path inside(const fs::path& archive, const char* entry) { return archive / entry; }

Json parse_entry(const ZipReader& zip, const char* entry, const std::vector<char>& bytes) {
  std::string what = "'";  // built by appending (GCC 12 -Wrestrict false positive on "'" + string)
  what += inside(zip.path(), entry).string();
  what += "'";
  return parse_json(std::string_view(bytes.data(), bytes.size()), what);
}

Json read_config(const ZipReader& zip) {
  Json config = parse_entry(zip, kConfigEntry, zip.require(kConfigEntry, "the model's config, which every Keras 3 .keras archive holds"));
  if (!config.is_object() || !config.contains("class_name"))
    throw Error("'" + inside(zip.path(), kConfigEntry).string() + "' holds no serialized model (no class_name at its top level)");
  return config;
}

// Compiles from compile_config and restores the optimizer's variables; a model that cannot be
// compiled (an unknown loss or metric) still predicts, so that is a warning, as is optimizer
// state that does not fit (Keras skips it too).
void compile_and_restore_optimizer(const fs::path& path, const h5::File& weights, Model& model, const Json& compile_config) {
  try {
    model.compile_from_training_config(training_config_from_compile_config(compile_config));
  } catch (const Error& e) {
    print_warning("the model from '" + path.string() + "' was not compiled: " + e.what());
    return;
  }
  if (!weights.has_group("optimizer")) return;
  auto optimizer = model.optimizer();
  optimizer->build(model.trainable_weights());
  for (const VariableOwner& owner : optimizer_variable_owners(*optimizer))
    if (auto why = try_read_owner(weights, owner)) {
      print_warning("optimizer state in '" + path.string() + "' was not loaded: " + *why + "; training resumes with a fresh optimizer state");
      return;
    }
}

}  // namespace

ModelPtr read_model_archive(const fs::path& path, const LoadOptions& options) {
  ZipReader zip(path);
  Json config = read_config(zip);
  keras3_names_to_ksave(config);
  ModelPtr model;
  auto build = [&] {
    try {
      // Through the model JSON reader, which gives a Keras 3 config's activation names their Keras
      // 3 meaning (hard_sigmoid), as for Keras 3's to_json.
      model = model_from_json(config.dump(), options.custom_objects);
    } catch (const Error& e) {
      throw Error("cannot build the model of '" + inside(path, kConfigEntry).string() + "': " + e.what());
    }
  };
  build();
  // Layer paths come from the built model; a lookup's vocabulary asset then joins its config.
  if (const auto from_assets = vocabulary_assets_into_config(zip, *model, config); !from_assets.empty()) {
    build();
    remember_asset_vocabularies(*model, from_assets);
  }
  auto lock = h5::hdf5_lock();
  read_weights_entry(zip, EntryCheck::FromTheReadsWhenLarge, [&](const h5::File& weights) {
    read_owners(weights, layer_variable_owners(*model));
    auto compile_config = config.find("compile_config");
    // An uncompiled model's compile_config is {} (Keras 3.15) or absent (earlier releases).
    if (options.compile && compile_config != config.end() && !compile_config->is_null() && !compile_config->empty())
      compile_and_restore_optimizer(path, weights, *model, *compile_config);
  });
  return model;
}

LoadStatus read_archive_weights(Model& model, const fs::path& path, const LoadOptions& options) {
  ZipReader zip(path);
  auto lock = h5::hdf5_lock();
  LoadStatus status;
  read_weights_entry(zip, EntryCheck::BeforeReading,
                     [&](const h5::File& weights) { status = load_weights_from(weights, model, path, options); });
  return status;
}

void write_model_archive(const Model& model, const fs::path& path, const SaveOptions& options) {
  if (!options.overwrite && fs::exists(path)) throw Error("cannot save to '" + path.string() + "': the file exists and overwrite is off");
  // Everything is serialized before touching the disk: a model without a config fails here.
  Json config;
  {
    // The form to_keras3_config converts from: tf-keras's get_config, layers with build_config.
    ConfigDialectScope dialect(ConfigDialect::Current);
    try {
      config = to_keras3_config(serialize(model), node_input_specs(model));
    } catch (const Error& e) {
      throw Error("cannot save '" + path.string() + "' as a Keras 3 archive: " + e.what());
    }
  }
  const bool with_optimizer = options.include_optimizer && model.compiled();
  if (with_optimizer) config["compile_config"] = compile_config_of(model);
  const auto assets = vocabulary_assets_from_config(model, config);
  std::vector<char> weights = weights_image(owners_to_save(model, with_optimizer), inside(path, kWeightsEntry));
  write_atomically(path, [&](const fs::path& temporary) {
    ZipWriter zip(temporary);
    zip.add(kMetadataEntry, archive_metadata().dump());
    zip.add(kConfigEntry, config.dump());
    zip.add(kWeightsEntry, std::move(weights));
    for (const auto& [entry, text] : assets) zip.add(entry, text);
    zip.close();
  });
}

Json describe_archive(const fs::path& path) {
  ZipReader zip(path);
  Json out = Json::object();
  out["format"] = "keras";
  out["path"] = path.string();
  out["kind"] = "model";
  Json metadata = zip.has(kMetadataEntry) ? parse_entry(zip, kMetadataEntry, *zip.read(kMetadataEntry)) : Json::object();
  out["keras_version"] = metadata.value("keras_version", Json(nullptr));
  out["date_saved"] = metadata.value("date_saved", Json(nullptr));
  out["entries"] = zip.entry_names();
  Json config = read_config(zip);
  out["model_class"] = config.value("class_name", "");
  out["compile_config"] = config.value("compile_config", Json(nullptr));

  auto lock = h5::hdf5_lock();
  read_weights_entry(zip, EntryCheck::BeforeReading, [&](const h5::File& weights) { out.update(describe_weights(weights)); });
  return out;
}

}  // namespace ksave::plugins::keras_zip
