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
      {"CrossedColumn", "a crossed column"},
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

CategoricalColumn parse_categorical(const Json& column, const std::string& where) {
  const std::string cls = column_class(column, where);
  const Json& c = column["config"];
  CategoricalColumn out;
  out.key = field(c, "key", where).get<std::string>();
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
                       "VocabularyListCategoricalColumn, HashedCategoricalColumn)");
  }
  if (out.id_count <= 0 || out.oov_buckets < 0)
    throw Error(here + ": bucket counts must be positive, found " + std::to_string(out.id_count));
  return out;
}

std::string quoted_name(const FeatureColumn& c) { return "column '" + c.name + "'"; }

}  // namespace

std::vector<std::int64_t> CategoricalColumn::ids(const Tensor& values, const std::string& object) const {
  const std::string where = object + ", feature '" + key + "'";
  const bool strings = values.dtype() == DType::String;
  const bool wants_strings = kind != Kind::Identity && string_values;
  if (strings != wants_strings || is_floating(values.dtype()) || values.dtype() == DType::Bool)
    throw Error(where + ": expected " + (wants_strings ? "string" : "integer") + " values, found " +
                std::string(dtype_name(values.dtype())));
  const std::size_t n = static_cast<std::size_t>(values.size());
  std::vector<std::int64_t> out(n, -1);
  std::vector<std::string> text(n);
  std::vector<std::int64_t> numbers(n, 0);
  if (strings) {
    text = values.string_values();
  } else {
    const Tensor as_int = values.cast(DType::Int64);
    std::copy(as_int.values<std::int64_t>().begin(), as_int.values<std::int64_t>().end(), numbers.begin());
    for (std::size_t i = 0; i < n; ++i) text[i] = std::to_string(numbers[i]);
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (strings ? text[i].empty() : numbers[i] == -1) continue;  // dropped as a missing value
    switch (kind) {
      case Kind::Identity:
        if (numbers[i] >= 0 && numbers[i] < id_count) out[i] = numbers[i];
        else if (default_value) out[i] = *default_value;
        else throw Error(where + ": value " + text[i] + " is outside [0, " + std::to_string(id_count) + ") and the column has no default_value");
        break;
      case Kind::VocabularyList: {
        const auto it = std::find(vocabulary.begin(), vocabulary.end(), text[i]);
        if (it != vocabulary.end()) out[i] = it - vocabulary.begin();
        else if (oov_buckets > 0)  // IdTableWithHashBuckets: the value's text through to_hash_bucket_fast
          out[i] = static_cast<std::int64_t>(vocabulary.size() + fingerprint64(text[i]) % static_cast<std::uint64_t>(oov_buckets));
        else out[i] = default_value.value_or(-1);
        break;
      }
      case Kind::HashBucket:  // string_to_hash_bucket_fast of the text (as_string for integers)
        out[i] = static_cast<std::int64_t>(fingerprint64(text[i]) % static_cast<std::uint64_t>(id_count));
        break;
    }
  }
  return out;
}

std::int64_t FeatureColumn::output_size() const {
  switch (kind) {
    case Kind::Numeric: return numeric_size;
    case Kind::Bucketized: return numeric_size * static_cast<std::int64_t>(boundaries.size() + 1);
    case Kind::Indicator: return categorical.id_count;
    case Kind::Embedding: return dimension;
  }
  return 0;
}

namespace {

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

FeatureColumn parse_column(const Json& column, const std::string& where) {
  const std::string cls = column_class(column, where);
  const Json& c = column["config"];
  if (cls == "NumericColumn") return parse_numeric(column, where);
  FeatureColumn out;
  if (cls == "BucketizedColumn") {
    const Json& source = field(c, "source_column", where);
    if (column_class(source, where) != "NumericColumn")
      throw Error(where + ": a BucketizedColumn's source must be a NumericColumn, found " + source.dump().substr(0, 100));
    out = parse_numeric(source, where);
    out.kind = FeatureColumn::Kind::Bucketized;
    out.name = out.key + "_bucketized";
    for (const auto& b : field(c, "boundaries", where)) out.boundaries.push_back(b.get<double>());
    if (!std::is_sorted(out.boundaries.begin(), out.boundaries.end()))
      throw Error(where + ", column '" + out.name + "': boundaries must be sorted, found " + c["boundaries"].dump());
    return out;
  }
  if (cls == "IndicatorColumn" || cls == "EmbeddingColumn") {
    out.categorical = parse_categorical(field(c, "categorical_column", where), where);
    out.key = out.categorical.key;
    if (cls == "IndicatorColumn") {
      out.kind = FeatureColumn::Kind::Indicator;
      out.name = out.key + "_indicator";
      return out;
    }
    out.kind = FeatureColumn::Kind::Embedding;
    out.name = out.key + "_embedding";
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
  throw Error(where + ": feature column " + cls + " is not a dense column ksave supports (NumericColumn, "
                      "BucketizedColumn, IndicatorColumn, EmbeddingColumn)");
}

// [batch, n] row-major values of a feature.
Tensor as_rows(const Tensor& values) {
  return values.reshape({values.rank() == 0 ? 1 : values.dim(0), -1});
}

// The safe embedding lookup with its combiner: dropped ids weigh 0; a row without ids is zeros.
Tensor embed(const FeatureColumn& c, const std::vector<std::int64_t>& ids, Dim batch, const Tensor& embeddings) {
  const auto per_row = static_cast<std::size_t>(batch == 0 ? 0 : static_cast<Dim>(ids.size()) / batch);
  std::vector<std::int64_t> gathered(ids.size());
  std::vector<float> kept(ids.size()), scale(static_cast<std::size_t>(batch));
  for (std::size_t r = 0; r < scale.size(); ++r) {
    float count = 0;
    for (std::size_t j = 0; j < per_row; ++j) {
      const std::int64_t id = ids[r * per_row + j];
      gathered[r * per_row + j] = std::max<std::int64_t>(id, 0);
      kept[r * per_row + j] = id >= 0 ? 1.0f : 0.0f;
      count += kept[r * per_row + j];
    }
    scale[r] = count == 0 || c.combiner == "sum" ? 1.0f : c.combiner == "mean" ? 1.0f / count : 1.0f / std::sqrt(count);
  }
  const Dim n = static_cast<Dim>(per_row);
  Tensor rows = ops::gather(embeddings, Tensor::from_vector(gathered, {batch, n}), 0);  // [batch, n, dimension]
  rows = ops::mul(rows, Tensor::from_vector(kept, {batch, n, 1}));
  return ops::mul(ops::sum(rows, {1}), Tensor::from_vector(scale, {batch, 1}));
}

}  // namespace

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

Tensor dense_column_output(const FeatureColumn& column, const Tensor& values, const Tensor* embeddings,
                           const std::string& object) {
  const Tensor rows = as_rows(values);
  const Dim batch = rows.dim(0);
  const bool categorical = column.kind == FeatureColumn::Kind::Indicator || column.kind == FeatureColumn::Kind::Embedding;
  if (!categorical && rows.dim(1) != column.numeric_size)
    throw Error(object + ", " + quoted_name(column) + ": feature '" + column.key + "' has " + std::to_string(rows.dim(1)) +
                " values per example, expected " + std::to_string(column.numeric_size));
  if (!categorical && (values.dtype() == DType::String || values.dtype() == DType::Bool))
    throw Error(object + ", " + quoted_name(column) + ": feature '" + column.key + "' must be numeric, found " +
                std::string(dtype_name(values.dtype())));
  switch (column.kind) {
    case FeatureColumn::Kind::Numeric:
      return ops::cast(rows, DType::Float32);
    case FeatureColumn::Kind::Bucketized: {  // Bucketize: the number of boundaries <= x, one-hot per value
      const Tensor x = rows.as_float();
      const std::size_t depth = column.boundaries.size() + 1;
      std::vector<float> hot(x.values<float>().size() * depth, 0.0f);
      for (std::size_t i = 0; i < x.values<float>().size(); ++i) {
        const double v = x.values<float>()[i];
        const auto b = std::upper_bound(column.boundaries.begin(), column.boundaries.end(), v) - column.boundaries.begin();
        hot[i * depth + static_cast<std::size_t>(b)] = 1.0f;
      }
      return Tensor::from_vector(hot, {batch, column.output_size()});
    }
    case FeatureColumn::Kind::Indicator: {  // counts of each id in the example (tf's reduce_sum of one_hot)
      const std::vector<std::int64_t> ids = column.categorical.ids(rows, object);
      const auto per_row = static_cast<std::size_t>(rows.dim(1));
      const auto depth = static_cast<std::size_t>(column.categorical.id_count);
      std::vector<float> counts(static_cast<std::size_t>(batch) * depth, 0.0f);
      for (std::size_t i = 0; i < ids.size(); ++i)
        if (ids[i] >= 0) counts[(i / per_row) * depth + static_cast<std::size_t>(ids[i])] += 1.0f;
      return Tensor::from_vector(counts, {batch, column.output_size()});
    }
    case FeatureColumn::Kind::Embedding:
      return embed(column, column.categorical.ids(rows, object), batch, *embeddings);
  }
  throw Error(object + ": unknown feature column kind");
}

}  // namespace ksave::plugins::preprocessing
