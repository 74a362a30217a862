// The vocabularies Keras 3 keeps outside the config: an adapted StringLookup / IntegerLookup /
// TextVectorization saves `assets/<layer path>/vocabulary.txt` (IndexLookup.save_assets:
// get_vocabulary(include_special_tokens=True), one token a line, no final line break;
// TextVectorization's again under `<path>/_lookup_layer`) and leaves `vocabulary` and
// `idf_weights` null in config.json; a vocabulary given as a list stays in the config.
//
// Reading an archive, each such file becomes its layer's config `vocabulary` list (load_assets'
// reading: the lines, trailing empty ones dropped, IntegerLookup's as integers), which the
// lookup layers take as Keras's set_vocabulary does. The layers built from it are remembered (for
// the life of the layer objects), so that writing them to an archive again puts their vocabulary
// back in assets/ as Keras 3 would; any other lookup keeps its list in the config.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "ksave/model.hpp"
#include "zip_archive.hpp"

namespace ksave::plugins::keras_zip {

// Puts every vocabulary asset of `zip` for a layer of `model` (built from `config`) into that
// layer's entry of `config`, found by name. The paths of the layers that took one (the model must
// then be built again from `config`, and the new model passed to remember_asset_vocabularies).
std::vector<std::string> vocabulary_assets_into_config(const ZipReader& zip, const Model& model, Json& config);
void remember_asset_vocabularies(const Model& model, const std::vector<std::string>& paths);

// For each layer of `model` whose vocabulary came from an archive's assets: its config entry in
// `keras3_config` (the archive's config.json) gets `vocabulary` and `idf_weights` null and its
// vocabulary is returned as the archive entries to add (name, text). An adapted tf_idf layer with
// pad_to_max_tokens keeps its lists in the config: Keras 3 cannot reload its own asset form of it
// (load_assets passes the padded idf_weights with the unpadded vocabulary), but reloads this one.
std::vector<std::pair<std::string, std::string>> vocabulary_assets_from_config(const Model& model, Json& keras3_config);

}  // namespace ksave::plugins::keras_zip
