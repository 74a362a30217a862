// The ids and dense outputs of the feature columns, as TensorFlow computes them (see
// feature_columns.hpp); the configs are read in feature_column_parsing.cpp.
#include <algorithm>
#include <cmath>

#include "feature_columns.hpp"
#include "fingerprint64.hpp"
#include "ksave/error.hpp"
#include "ksave/ops.hpp"

namespace ksave::plugins::preprocessing {
namespace {

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

Ids CategoricalColumn::ids(const Features& features, const std::string& object) const {
  switch (kind) {
    case Kind::Crossed: return cross_ids(*this, features, object);
    case Kind::Bucketized: return bucket_ids(*this, feature(features, key, object), object);
    default: return lookup_ids(*this, feature(features, key, object), object);
  }
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
