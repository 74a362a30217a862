// tf.feature_column's dense columns as tf-keras 2.x's DenseFeatures serializes them
// (tensorflow/python/feature_column/serialization.py): NumericColumn, BucketizedColumn,
// IndicatorColumn and EmbeddingColumn over the categorical columns IdentityCategoricalColumn,
// VocabularyListCategoricalColumn (strings or integers) and HashedCategoricalColumn. Other
// columns (sequence, shared embedding, weighted, crossed, vocabulary file) and numeric columns
// with a normalizer_fn are refused by name.
//
// A categorical column turns its raw values into ids as TensorFlow does: a dense input is first
// made sparse with -1 (integers) or '' (strings) dropped (_to_sparse_input_and_drop_ignore_values);
// an id of -1 (an unknown value without default) is then dropped by the indicator's one_hot and by
// the safe embedding lookup. Ids are computed on the values (not with ops): they carry no gradient.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ksave/json.hpp"
#include "ksave/tensor.hpp"

namespace ksave::plugins::preprocessing {

struct CategoricalColumn {
  enum class Kind { Identity, VocabularyList, HashBucket };
  Kind kind = Kind::Identity;
  std::string key;
  std::int64_t id_count = 0;  // number_buckets, vocabulary + num_oov_buckets, hash_bucket_size
  std::optional<std::int64_t> default_value;  // Identity: for values outside [0, number_buckets)
  bool string_values = false;                 // VocabularyList / HashBucket: dtype string
  std::vector<std::string> vocabulary;        // as text; integers as their decimal text
  std::int64_t oov_buckets = 0;

  // The id of each value of `values` (any shape, row-major), -1 where TensorFlow drops it.
  std::vector<std::int64_t> ids(const Tensor& values, const std::string& object) const;
};

struct FeatureColumn {
  enum class Kind { Numeric, Bucketized, Indicator, Embedding };
  Kind kind = Kind::Numeric;
  std::string name;  // tf's column name, the order DenseFeatures concatenates in
  std::string key;   // the feature the column reads
  std::int64_t numeric_size = 1;        // Numeric, Bucketized: elements of the source's shape
  std::vector<double> boundaries;       // Bucketized
  CategoricalColumn categorical;        // Indicator, Embedding
  std::int64_t dimension = 0;           // Embedding
  std::string combiner = "mean";        // Embedding: mean, sum, sqrtn
  Json initializer;                     // Embedding: its config (null: tf's truncated normal)
  bool trainable = true;                // Embedding

  // Width of the column's part of DenseFeatures' output.
  std::int64_t output_size() const;
};

// The columns of a DenseFeatures config's feature_columns, sorted by name (DenseFeatures' order).
std::vector<FeatureColumn> parse_feature_columns(const Json& columns, const std::string& object);

// The column's output for the feature `values` ([batch, ...]), float32 [batch, output_size()];
// `embeddings` is the column's weight (Embedding only).
Tensor dense_column_output(const FeatureColumn& column, const Tensor& values, const Tensor* embeddings,
                           const std::string& object);

}  // namespace ksave::plugins::preprocessing
