#include "feature_columns.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "fingerprint64.hpp"
#include "ksave/error.hpp"
#include "ksave/ops.hpp"

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

const Tensor& feature(const Features& features, const std::string& key, const std::string& object) {
  const auto it = features.find(key);
  if (it == features.end()) throw Error(object + ": the call gives no feature '" + key + "', which a feature column reads");
  return it->second;
}

// [batch, n] row-major values of a feature.
Tensor as_rows(const Tensor& values) { return values.reshape({values.rank() == 0 ? 1 : values.dim(0), -1}); }

// The ids of one categorical feature (Identity, VocabularyList, HashBucket).
Ids lookup_ids(const CategoricalColumn& c, const Tensor& raw, const std::string& object) {
  const std::string where = object + ", feature '" + c.key + "'";
  const Tensor values = as_rows(raw);
  const bool strings = values.dtype() == DType::String;
  const bool wants_strings = c.kind != CategoricalColumn::Kind::Identity && c.string_values;
  if (strings != wants_strings || is_floating(values.dtype()) || values.dtype() == DType::Bool)
    throw Error(where + ": expected " + (wants_strings ? "string" : "integer") + " values, found " +
                std::string(dtype_name(values.dtype())));
  const auto n = static_cast<std::size_t>(values.size());
  Ids out{std::vector<std::int64_t>(n, kDropped), values.dim(0), static_cast<std::size_t>(values.dim(1))};
  std::vector<std::string> text(n);
  std::vector<std::int64_t> numbers(n, 0);
  if (strings) {
    text = values.string_values();
  } else {
    numbers = values.cast(DType::Int64).to_vector<std::int64_t>();
    for (std::size_t i = 0; i < n; ++i) text[i] = std::to_string(numbers[i]);
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (strings ? text[i].empty() : numbers[i] == -1) continue;  // dropped as a missing value
    std::int64_t& id = out.values[i];
    switch (c.kind) {
      case CategoricalColumn::Kind::Identity:
        if (numbers[i] >= 0 && numbers[i] < c.id_count) id = numbers[i];
        else if (c.default_value) id = *c.default_value;
        else throw Error(where + ": value " + text[i] + " is outside [0, " + std::to_string(c.id_count) + ") and the column has no default_value");
        break;
      case CategoricalColumn::Kind::VocabularyList: {
        const auto it = std::find(c.vocabulary.begin(), c.vocabulary.end(), text[i]);
        if (it != c.vocabulary.end()) id = it - c.vocabulary.begin();
        else if (c.oov_buckets > 0)  // IdTableWithHashBuckets: the value's text through to_hash_bucket_fast
          id = static_cast<std::int64_t>(c.vocabulary.size() + fingerprint64(text[i]) % static_cast<std::uint64_t>(c.oov_buckets));
        else id = c.default_value.value_or(-1);
        break;
      }
      default:  // HashBucket: string_to_hash_bucket_fast of the text (as_string for integers)
        id = static_cast<std::int64_t>(fingerprint64(text[i]) % static_cast<std::uint64_t>(c.id_count));
    }
  }
  return out;
}

// Bucketize (the number of boundaries <= x), offset by the value's position in the row.
Ids bucket_ids(const CategoricalColumn& c, const Tensor& raw, const std::string& object) {
  const Tensor values = as_rows(raw);
  if (values.dim(1) != c.numeric_size || values.dtype() == DType::String || values.dtype() == DType::Bool)
    throw Error(object + ", column '" + c.name + "': feature '" + c.key + "' must be " + std::to_string(c.numeric_size) +
                " numbers per example, found " + std::string(dtype_name(values.dtype())) + " " + shape_to_string(values.shape()));
  const std::vector<float> x = values.as_float().to_vector<float>();
  Ids out{std::vector<std::int64_t>(x.size()), values.dim(0), static_cast<std::size_t>(values.dim(1))};
  const auto depth = static_cast<std::int64_t>(c.boundaries.size() + 1);
  for (std::size_t i = 0; i < x.size(); ++i) {
    const auto b = std::upper_bound(c.boundaries.begin(), c.boundaries.end(), static_cast<double>(x[i])) - c.boundaries.begin();
    out.values[i] = b + depth * static_cast<std::int64_t>(i % out.per_row);
  }
  return out;
}

// What tf.sparse.cross_hashed hashes of a raw feature's value: Fingerprint64 of a string, an
// integer as itself. A raw feature reaches the cross as a dense tensor: nothing is dropped, not
// even '' or -1 (measured with tf-keras 2.21).
std::vector<std::vector<std::uint64_t>> raw_cross_values(const Tensor& raw, const std::string& key, const std::string& object) {
  const Tensor values = as_rows(raw);
  std::vector<std::vector<std::uint64_t>> rows(static_cast<std::size_t>(values.dim(0)));
  const auto per_row = static_cast<std::size_t>(values.dim(1));
  if (values.dtype() == DType::String) {
    const auto& text = values.string_values();
    for (std::size_t i = 0; i < text.size(); ++i) rows[i / per_row].push_back(fingerprint64(text[i]));
  } else if (is_integer(values.dtype())) {
    const std::vector<std::int64_t> v = values.cast(DType::Int64).to_vector<std::int64_t>();
    for (std::size_t i = 0; i < v.size(); ++i) rows[i / per_row].push_back(static_cast<std::uint64_t>(v[i]));
  } else {
    throw Error(object + ": a crossed feature '" + key + "' must be strings or integers, found " + std::string(dtype_name(values.dtype())));
  }
  return rows;
}

// Each row's crosses: every combination of its keys' values, folded by FingerprintCat64 from the
// hash key, modulo hash_bucket_size (the SparseCrossHashed kernel). The op takes its sparse inputs
// (the categorical columns' ids) before its dense ones (raw features), each in the keys' order.
Ids cross_ids(const CategoricalColumn& c, const Features& features, const std::string& object) {
  std::vector<std::vector<std::vector<std::uint64_t>>> parts;  // key, row, values
  for (const auto& [key, column] : c.crossed) {
    if (!column) continue;
    const Ids ids = column->ids(features, object);
    std::vector<std::vector<std::uint64_t>> rows(static_cast<std::size_t>(ids.batch));
    for (std::size_t i = 0; i < ids.values.size(); ++i)
      if (ids.values[i] != kDropped) rows[i / ids.per_row].push_back(static_cast<std::uint64_t>(ids.values[i]));
    parts.push_back(std::move(rows));
  }
  for (const auto& [key, column] : c.crossed)
    if (!column) parts.push_back(raw_cross_values(feature(features, key, object), key, object));
  const std::size_t batch = parts[0].size();
  std::vector<std::vector<std::int64_t>> rows(batch);
  std::size_t widest = 0;
  for (std::size_t r = 0; r < batch; ++r) {
    std::vector<std::uint64_t> hashes = {c.hash_key};
    for (const auto& part : parts) {
      std::vector<std::uint64_t> next;
      for (std::uint64_t h : hashes)
        for (std::uint64_t v : part.at(r)) next.push_back(fingerprint_cat64(h, v));
      hashes = std::move(next);
    }
    for (std::uint64_t h : hashes) rows[r].push_back(static_cast<std::int64_t>(h % static_cast<std::uint64_t>(c.id_count)));
    widest = std::max(widest, rows[r].size());
  }
  Ids out{std::vector<std::int64_t>(batch * widest, kDropped), static_cast<Dim>(batch), widest};
  for (std::size_t r = 0; r < batch; ++r) std::copy(rows[r].begin(), rows[r].end(), out.values.begin() + static_cast<std::ptrdiff_t>(r * widest));
  return out;
}

// The safe embedding lookup with its combiner: ids < 0 weigh 0; a row without ids is zeros.
Tensor embed(const FeatureColumn& c, const Ids& ids, const Tensor& embeddings) {
  std::vector<std::int64_t> gathered(ids.values.size());
  std::vector<float> kept(ids.values.size()), scale(static_cast<std::size_t>(ids.batch));
  for (std::size_t r = 0; r < scale.size(); ++r) {
    float count = 0;
    for (std::size_t j = 0; j < ids.per_row; ++j) {
      const std::int64_t id = ids.values[r * ids.per_row + j];
      gathered[r * ids.per_row + j] = std::max<std::int64_t>(id, 0);
      kept[r * ids.per_row + j] = id >= 0 ? 1.0f : 0.0f;
      count += kept[r * ids.per_row + j];
    }
    scale[r] = count == 0 || c.combiner == "sum" ? 1.0f : c.combiner == "mean" ? 1.0f / count : 1.0f / std::sqrt(count);
  }
  const Dim n = static_cast<Dim>(ids.per_row);
  Tensor rows = ops::gather(embeddings, Tensor::from_vector(gathered, {ids.batch, n}), 0);  // [batch, n, dimension]
  rows = ops::mul(rows, Tensor::from_vector(kept, {ids.batch, n, 1}));
  return ops::mul(ops::sum(rows, {1}), Tensor::from_vector(scale, {ids.batch, 1}));
}

// Counts of each id in the example (tf's reduce_sum of one_hot; ids < 0 count nowhere).
Tensor counts(const Ids& ids, std::int64_t depth) {
  std::vector<float> out(static_cast<std::size_t>(ids.batch * depth), 0.0f);
  for (std::size_t i = 0; i < ids.values.size(); ++i)
    if (ids.values[i] >= 0) out[(i / ids.per_row) * static_cast<std::size_t>(depth) + static_cast<std::size_t>(ids.values[i])] += 1.0f;
  return Tensor::from_vector(out, {ids.batch, depth});
}

}  // namespace

std::vector<std::string> CategoricalColumn::keys() const {
  if (kind != Kind::Crossed) return {key};
  std::vector<std::string> out;
  for (const auto& [k, column] : crossed)
    for (const auto& inner : column ? column->keys() : std::vector<std::string>{k}) out.push_back(inner);
  return out;
}

Ids CategoricalColumn::ids(const Features& features, const std::string& object) const {
  switch (kind) {
    case Kind::Crossed: return cross_ids(*this, features, object);
    case Kind::Bucketized: return bucket_ids(*this, feature(features, key, object), object);
    default: return lookup_ids(*this, feature(features, key, object), object);
  }
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

Tensor dense_column_output(const FeatureColumn& column, const Features& features, const Tensor* embeddings,
                           const std::string& object) {
  if (column.kind == FeatureColumn::Kind::Indicator) return counts(column.categorical.ids(features, object), column.output_size());
  if (column.kind == FeatureColumn::Kind::Embedding) return embed(column, column.categorical.ids(features, object), *embeddings);
  const Tensor rows = as_rows(feature(features, column.key, object));
  if (rows.dim(1) != column.numeric_size || rows.dtype() == DType::String || rows.dtype() == DType::Bool)
    throw Error(object + ", column '" + column.name + "': feature '" + column.key + "' must be " +
                std::to_string(column.numeric_size) + " numbers per example, found " + std::string(dtype_name(rows.dtype())) +
                " " + shape_to_string(rows.shape()));
  return ops::cast(rows, DType::Float32);
}

}  // namespace ksave::plugins::preprocessing
