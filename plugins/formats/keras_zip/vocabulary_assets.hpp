// The vocabularies Keras 3 keeps outside the config: an adapted StringLookup / IntegerLookup
// (or one given a file) saves `assets/<layer path>/vocabulary.txt` (IndexLookup.save_assets:
// get_vocabulary(include_special_tokens=True), one token a line) and leaves `vocabulary` null in
// config.json. Reading an archive, each such file becomes its layer's config `vocabulary` list
// (load_assets' reading: the lines, trailing empty ones dropped, IntegerLookup's as integers),
// which the lookup layers take as Keras's set_vocabulary does.
#pragma once

#include "ksave/model.hpp"
#include "zip_archive.hpp"

namespace ksave::plugins::keras_zip {

// Puts every vocabulary asset of `zip` for a layer of `model` (built from `config`) into that
// layer's entry of `config`, found by name. Whether any was found (the model must then be
// built again from `config`).
bool vocabulary_assets_into_config(const ZipReader& zip, const Model& model, Json& config);

}  // namespace ksave::plugins::keras_zip
