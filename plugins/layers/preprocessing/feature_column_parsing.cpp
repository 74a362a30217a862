// Reading DenseFeatures' feature_columns (tf's serialize_feature_column form) into
// FeatureColumn / CategoricalColumn; the ids and outputs are computed in feature_columns.cpp.
#include <algorithm>
#include <map>

#include "feature_columns.hpp"
#include "fingerprint64.hpp"
#include "ksave/error.hpp"

namespace ksave::plugins::preprocessing {
namespace {

// Columns tf.feature_column has that DenseFeatures could hold, refused with what they are.
const std::map<std::string, std::string>& refused_columns() {
  static const std::map<std::string, std::string> table = {
      {"SequenceNumericColumn", "a sequence column (SequenceFeatures' input, not DenseFeatures')"},
      {"SequenceCategoricalColumn", "a sequence column (SequenceFeatures' input, not DenseFeatures')"},
      {"SharedEmbeddingColumn", "a shared embedding column"},
      {"WeightedCategoricalColumn", "a weighted categorical column"},
      {"VocabularyFileCategoricalColumn", "a vocabulary file column (the file is not part of the model)"},
  };
  return table;
}

const Json& field(const Json& config, const char* key, const std::string& where) {
  if (!config.is_object() || !config.contains(key))
    throw Error(where + ": feature column config has no '" + key + "', found " + config.dump().substr(0, 200));
  return config[key];
}

std::int64_t product(const Json& shape, const std::string& where) {
  std::int64_t n = 1;
  for (const auto& d : shape.is_array() ? shape : Json::array({shape})) {
    if (!d.is_number_integer() || d.get<std::int64_t>() <= 0)
      throw Error(where + ": shape must hold positive integers, found " + shape.dump());
    n *= d.get<std::int64_t>();
  }
  return n;
}

bool is_string_dtype(const Json& dtype) { return dtype.is_string() && dtype.get<std::string>() == "string"; }

// {"class_name", "config"} checked against the refusals; returns the class name.
std::string column_class(const Json& column, const std::string& where) {
  if (!column.is_object() || !column.contains("class_name") || !column["class_name"].is_string() || !column.contains("config"))
    throw Error(where + ": expected a feature column {\"class_name\", \"config\"}, found " + column.dump().substr(0, 200));
  const std::string cls = column["class_name"].get<std::string>();
  if (auto it = refused_columns().find(cls); it != refused_columns().end())
    throw Error(where + ": feature column " + cls + " ('" + column["config"].value("key", std::string("?")) + "') is " +
                it->second + ", which ksave does not support");
  return cls;
}

CategoricalColumn parse_categorical(const Json& column, const std::string& where, bool in_cross = false);

FeatureColumn parse_numeric(const Json& column, const std::string& where) {
  const Json& c = column["config"];
  FeatureColumn out;
  out.kind = FeatureColumn::Kind::Numeric;
  out.key = out.name = field(c, "key", where).get<std::string>();
  const std::string here = where + ", column '" + out.key + "' (NumericColumn)";
  if (const Json fn = c.value("normalizer_fn", Json()); !fn.is_null())
    throw Error(here + ": a normalizer_fn (" + fn.dump().substr(0, 100) + ") is Python code, which ksave does not run");
  if (is_string_dtype(c.value("dtype", Json("float32")))) throw Error(here + ": a numeric column cannot have dtype string");
  out.numeric_size = product(c.value("shape", Json::array({1})), here);
  return out;
}


// A BucketizedColumn: its ids are bucket + i * (boundaries + 1) for the source's i-th value
// (BucketizedColumn.get_sparse_tensors); as a dense column, their one-hot.
CategoricalColumn parse_bucketized(const Json& c, const std::string& where) {
  const Json& source = field(c, "source_column", where);
  if (column_class(source, where) != "NumericColumn")
    throw Error(where + ": a BucketizedColumn's source must be a NumericColumn, found " + source.dump().substr(0, 100));
  const FeatureColumn numeric = parse_numeric(source, where);
  CategoricalColumn out;
  out.kind = CategoricalColumn::Kind::Bucketized;
  out.key = numeric.key;
  out.name = out.key + "_bucketized";
  out.numeric_size = numeric.numeric_size;
  for (const auto& b : field(c, "boundaries", where)) out.boundaries.push_back(b.get<double>());
  if (!std::is_sorted(out.boundaries.begin(), out.boundaries.end()))
    throw Error(where + ", column '" + out.name + "': boundaries must be sorted, found " + c["boundaries"].dump());
  out.id_count = out.numeric_size * static_cast<std::int64_t>(out.boundaries.size() + 1);
  return out;
}

// A CrossedColumn: keys are raw features (strings) or categorical columns; its name joins the
// sorted names by _X_ (CrossedColumn.name). Crosses of crosses are refused.
CategoricalColumn parse_crossed(const Json& c, const std::string& where, bool in_cross) {
  if (in_cross) throw Error(where + ": a CrossedColumn inside a CrossedColumn is not supported by ksave");
  CategoricalColumn out;
  out.kind = CategoricalColumn::Kind::Crossed;
  std::vector<std::string> names;
  for (const auto& key : field(c, "keys", where)) {
    if (key.is_string()) {
      out.crossed.emplace_back(key.get<std::string>(), nullptr);
      names.push_back(key.get<std::string>());
    } else {
      auto part = std::make_shared<const CategoricalColumn>(parse_categorical(key, where, true));
      names.push_back(part->name);
      out.crossed.emplace_back(part->name, std::move(part));
    }
  }
  if (out.crossed.size() < 2) throw Error(where + ": a CrossedColumn crosses two or more keys, found " + c["keys"].dump());
  std::sort(names.begin(), names.end());
  for (const auto& n : names) out.name += (out.name.empty() ? "" : "_X_") + n;
  out.id_count = field(c, "hash_bucket_size", where).get<std::int64_t>();
  const Json hash_key = c.value("hash_key", Json());
  out.hash_key = hash_key.is_null() ? kCrossHashKey : hash_key.get<std::uint64_t>();
  if (out.id_count <= 0) throw Error(where + ", column '" + out.name + "': hash_bucket_size must be positive");
  return out;
}

CategoricalColumn parse_categorical(const Json& column, const std::string& where, bool in_cross) {
  const std::string cls = column_class(column, where);
  const Json& c = column["config"];
  if (cls == "BucketizedColumn") return parse_bucketized(c, where);
  if (cls == "CrossedColumn") return parse_crossed(c, where, in_cross);
  CategoricalColumn out;
  out.key = out.name = field(c, "key", where).get<std::string>();
  const std::string here = where + ", column '" + out.key + "' (" + cls + ")";
  if (cls == "IdentityCategoricalColumn") {
    out.kind = CategoricalColumn::Kind::Identity;
    out.id_count = field(c, "number_buckets", here).get<std::int64_t>();
    if (const Json d = c.value("default_value", Json()); !d.is_null()) out.default_value = d.get<std::int64_t>();
  } else if (cls == "VocabularyListCategoricalColumn") {
    out.kind = CategoricalColumn::Kind::VocabularyList;
    out.string_values = is_string_dtype(c.value("dtype", Json("string")));
    for (const auto& v : field(c, "vocabulary_list", here))
      out.vocabulary.push_back(v.is_string() ? v.get<std::string>() : std::to_string(v.get<std::int64_t>()));
    out.oov_buckets = c.value("num_oov_buckets", std::int64_t{0});
    out.default_value = c.value("default_value", std::int64_t{-1});
    out.id_count = static_cast<std::int64_t>(out.vocabulary.size()) + out.oov_buckets;
  } else if (cls == "HashedCategoricalColumn") {
    out.kind = CategoricalColumn::Kind::HashBucket;
    out.string_values = is_string_dtype(c.value("dtype", Json("string")));
    out.id_count = field(c, "hash_bucket_size", here).get<std::int64_t>();
  } else {
    throw Error(here + ": not a categorical column ksave supports (IdentityCategoricalColumn, "
                       "VocabularyListCategoricalColumn, HashedCategoricalColumn, BucketizedColumn, CrossedColumn)");
  }
  if (out.id_count <= 0 || out.oov_buckets < 0)
    throw Error(here + ": bucket counts must be positive, found " + std::to_string(out.id_count));
  return out;
}

FeatureColumn parse_column(const Json& column, const std::string& where) {
  const std::string cls = column_class(column, where);
  const Json& c = column["config"];
  if (cls == "NumericColumn") return parse_numeric(column, where);
  FeatureColumn out;
  if (cls == "BucketizedColumn") {
    out.kind = FeatureColumn::Kind::Indicator;
    out.categorical = parse_bucketized(c, where);
    out.name = out.categorical.name;
    return out;
  }
  if (cls != "IndicatorColumn" && cls != "EmbeddingColumn")
    throw Error(where + ": feature column " + cls + " is not a dense column ksave supports (NumericColumn, "
                        "BucketizedColumn, IndicatorColumn, EmbeddingColumn)");
  out.categorical = parse_categorical(field(c, "categorical_column", where), where);
  if (cls == "IndicatorColumn") {
    out.kind = FeatureColumn::Kind::Indicator;
    out.name = out.categorical.name + "_indicator";
    return out;
  }
  out.kind = FeatureColumn::Kind::Embedding;
  out.name = out.categorical.name + "_embedding";
  const std::string here = where + ", column '" + out.name + "' (EmbeddingColumn)";
  out.dimension = field(c, "dimension", here).get<std::int64_t>();
  if (out.dimension <= 0) throw Error(here + ": dimension must be positive, found " + std::to_string(out.dimension));
  out.combiner = c.value("combiner", std::string("mean"));
  if (out.combiner != "mean" && out.combiner != "sum" && out.combiner != "sqrtn")
    throw Error(here + ": combiner must be mean, sum or sqrtn, found '" + out.combiner + "'");
  for (const char* key : {"ckpt_to_load_from", "tensor_name_in_ckpt", "max_norm"})
    if (const Json v = c.value(key, Json()); !v.is_null())
      throw Error(here + ": " + key + " (" + v.dump().substr(0, 100) + ") is not supported by ksave");
  out.initializer = c.value("initializer", Json());
  out.trainable = c.value("trainable", true);
  return out;
}
}  // namespace

std::vector<std::string> CategoricalColumn::keys() const {
  if (kind != Kind::Crossed) return {key};
  std::vector<std::string> out;
  for (const auto& [k, column] : crossed)
    for (const auto& inner : column ? column->keys() : std::vector<std::string>{k}) out.push_back(inner);
  return out;
}

std::int64_t FeatureColumn::output_size() const {
  switch (kind) {
    case Kind::Numeric: return numeric_size;
    case Kind::Indicator: return categorical.id_count;
    case Kind::Embedding: return dimension;
  }
  return 0;
}

std::vector<FeatureColumn> parse_feature_columns(const Json& columns, const std::string& object) {
  if (!columns.is_array() || columns.empty())
    throw Error(object + ": feature_columns must be a non-empty list, found " + columns.dump().substr(0, 200));
  std::vector<FeatureColumn> out;
  for (const auto& column : columns) out.push_back(parse_column(column, object));
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  for (std::size_t i = 1; i < out.size(); ++i)
    if (out[i].name == out[i - 1].name) throw Error(object + ": two feature columns are named '" + out[i].name + "'");
  return out;
}

}  // namespace ksave::plugins::preprocessing
