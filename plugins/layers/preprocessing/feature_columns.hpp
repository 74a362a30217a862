// tf.feature_column's dense columns as tf-keras 2.x's DenseFeatures serializes them
// (tensorflow/python/feature_column/serialization.py): NumericColumn, BucketizedColumn,
// IndicatorColumn and EmbeddingColumn over the categorical columns IdentityCategoricalColumn,
// VocabularyListCategoricalColumn (strings or integers), HashedCategoricalColumn and
// CrossedColumn (of raw features, bucketized and categorical columns: tf.sparse.cross_hashed).
// Other columns (sequence, shared embedding, weighted, vocabulary file, nested crosses) and
// numeric columns with a normalizer_fn are refused by name.
//
// A categorical column turns its raw values into ids as TensorFlow does: a dense input is first
// made sparse with -1 (integers) or '' (strings) dropped (_to_sparse_input_and_drop_ignore_values);
// an id of -1 (an unknown value without default) is then dropped by the indicator's one_hot and by
// the safe embedding lookup (a cross hashes it). Ids are computed on the values (not with ops):
// they carry no gradient.
#pragma once

#include <climits>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ksave/json.hpp"
#include "ksave/tensor.hpp"

namespace ksave::plugins::preprocessing {

// A feature's values by key, as the layer's call gives them.
using Features = std::map<std::string, Tensor>;

// Ids of a batch: per_row ids per example, row-major; kDropped where TensorFlow's sparse tensor has
// no entry (a missing value, a row with fewer crosses). A negative id (an unknown vocabulary entry
// without default) is kept: a cross hashes it, one_hot and the safe embedding lookup ignore it.
inline constexpr std::int64_t kDropped = INT64_MIN;
struct Ids {
  std::vector<std::int64_t> values;
  Dim batch = 0;
  std::size_t per_row = 0;
};

struct CategoricalColumn {
  enum class Kind { Identity, VocabularyList, HashBucket, Bucketized, Crossed };
  Kind kind = Kind::Identity;
  std::string name;  // tf's name: the key, key_bucketized, or the crossed names sorted and joined by _X_
  std::string key;   // the feature read (all but Crossed)
  std::int64_t id_count = 0;  // number_buckets, vocabulary + num_oov_buckets, hash_bucket_size, buckets
  std::optional<std::int64_t> default_value;  // Identity: for values outside [0, number_buckets)
  bool string_values = false;                 // VocabularyList / HashBucket: dtype string
  std::vector<std::string> vocabulary;        // as text; integers as their decimal text
  std::int64_t oov_buckets = 0;
  std::int64_t numeric_size = 1;              // Bucketized: elements of the source's shape
  std::vector<double> boundaries;             // Bucketized
  // Crossed: each key a raw feature (column null) or a categorical column, in the config's order.
  std::vector<std::pair<std::string, std::shared_ptr<const CategoricalColumn>>> crossed;
  std::uint64_t hash_key = 0;

  // Every feature the column reads.
  std::vector<std::string> keys() const;
  Ids ids(const Features& features, const std::string& object) const;
};

struct FeatureColumn {
  enum class Kind { Numeric, Indicator, Embedding };  // a BucketizedColumn is the indicator of its buckets
  Kind kind = Kind::Numeric;
  std::string name;  // tf's column name, the order DenseFeatures concatenates in
  std::string key;   // Numeric: the feature it reads
  std::int64_t numeric_size = 1;        // Numeric
  CategoricalColumn categorical;        // Indicator, Embedding
  std::int64_t dimension = 0;           // Embedding
  std::string combiner = "mean";        // Embedding: mean, sum, sqrtn
  Json initializer;                     // Embedding: its config (null: tf's truncated normal)
  bool trainable = true;                // Embedding

  std::vector<std::string> keys() const { return kind == Kind::Numeric ? std::vector<std::string>{key} : categorical.keys(); }
  // Width of the column's part of DenseFeatures' output.
  std::int64_t output_size() const;
};

// The columns of a DenseFeatures config's feature_columns, sorted by name (DenseFeatures' order).
std::vector<FeatureColumn> parse_feature_columns(const Json& columns, const std::string& object);

// The column's output, float32 [batch, output_size()]; `embeddings` is its table (Embedding only).
Tensor dense_column_output(const FeatureColumn& column, const Features& features, const Tensor* embeddings,
                           const std::string& object);

}  // namespace ksave::plugins::preprocessing
