// DenseFeatures (tf-keras 2.x feature columns) against numbers measured with tf-keras 2.21: the
// columns concatenated in name order; identity default_value, dropped -1 and '', vocabulary OOV
// buckets (Fingerprint64), bucket edges, the mean of hashed embedding rows and a row without ids;
// weight names; a functional model called on a dict writes tf-keras's dict node and reads it back;
// the unsupported columns are refused by name. Real tf-keras files both ways, JSON and training
// are in the interop suite (tests/interop/test_dense_features.py).
#include <boost/test/unit_test.hpp>

#include "ksave/call_arguments.hpp"
#include "ksave/ksave.hpp"
#include "layer_zoo_support/layer_checks.hpp"
#include "support/error_checks.hpp"

using namespace ksave;
using namespace ksave::test::zoo;
using ksave::test::error_of;

namespace {

Json column(const std::string& cls, Json config) { return {{"class_name", cls}, {"config", std::move(config)}}; }

// The columns of the measurement, listed out of name order.
Json measured_columns() {
  return Json::array({
      column("IndicatorColumn", {{"categorical_column", column("VocabularyListCategoricalColumn",
                                                               {{"key", "tag"}, {"vocabulary_list", {"red", "green"}},
                                                                {"dtype", "string"}, {"default_value", -1}, {"num_oov_buckets", 3}})}}),
      column("BucketizedColumn", {{"source_column", column("NumericColumn", {{"key", "n"}, {"shape", {1}}, {"dtype", "float32"}})},
                                  {"boundaries", {0.0, 1.0}}}),
      column("IndicatorColumn", {{"categorical_column", column("IdentityCategoricalColumn",
                                                               {{"key", "id"}, {"number_buckets", 3}, {"default_value", 2}})}}),
      column("EmbeddingColumn", {{"categorical_column", column("HashedCategoricalColumn", {{"key", "h"}, {"hash_bucket_size", 4}, {"dtype", "string"}})},
                                 {"dimension", 2}, {"combiner", "mean"}, {"initializer", nullptr}}),
  });
}

// The features of the measurement in sorted key order (h, id, n, tag).
Tensors measured_features() {
  return {Tensor::strings({"a", "b", "", ""}, {2, 2}), Tensor::from_vector<std::int64_t>({5, -1, 1, 1}, {2, 2}),
          Tensor::from_vector<float>({1.0f, -3.0f}, {2, 1}), Tensor::strings({"red", "blue", "", "zzz"}, {2, 2})};
}

// tf-keras 2.21 with the hash table's rows set to 0..7 (tf.constant_initializer).
const std::vector<float> kMeasured = {5, 6, 0, 0, 1, 0, 0, 1, 1, 0, 1, 0, 0,
                                      0, 0, 0, 2, 0, 1, 0, 0, 0, 0, 1, 0, 0};

LayerPtr measured_layer() {
  LayerPtr layer = layer_from("DenseFeatures", {{"name", "features"}, {"feature_columns", measured_columns()}});
  (*layer)(measured_features());  // builds it
  layer->set_weights({Tensor::from_vector<float>({0, 1, 2, 3, 4, 5, 6, 7}, {4, 2})});
  return layer;
}

std::string refusal_of(const Json& col) {
  return error_of([&] { layer_from("DenseFeatures", {{"name", "features"}, {"feature_columns", Json::array({col})}}); });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(dense_features)

BOOST_AUTO_TEST_CASE(columns_give_tf_keras_numbers_in_name_order) {
  const LayerPtr layer = measured_layer();
  BOOST_TEST(layer->weights().at(0)->name() == "features/h_embedding/embedding_weights:0");
  const Tensor y = (*layer)(measured_features()).at(0);
  BOOST_TEST(y.shape() == (Shape{2, 13}));
  BOOST_TEST(y.to_vector<float>() == kMeasured, boost::test_tools::per_element());
}

// Crosses measured with tf-keras 2.21: the bucketized column's ids hash before the raw 'tag'
// (SparseCrossHashed takes sparse inputs first), raw '' and -1 are crossed (not dropped).
BOOST_AUTO_TEST_CASE(crossed_columns_give_tf_keras_numbers) {
  const Json buckets = column("BucketizedColumn", {{"source_column", column("NumericColumn", {{"key", "count"}})}, {"boundaries", {0.0, 1.0, 5.0}}});
  const Json columns = Json::array({
      column("IndicatorColumn", {{"categorical_column", column("CrossedColumn", {{"keys", {"tag", buckets}}, {"hash_bucket_size", 6}, {"hash_key", nullptr}})}}),
      column("IndicatorColumn", {{"categorical_column", column("CrossedColumn", {{"keys", {"word", "year"}}, {"hash_bucket_size", 11}})}}),
  });
  LayerPtr layer = layer_from("DenseFeatures", {{"name", "crosses"}, {"feature_columns", columns}});
  // Sorted keys: count, tag, word, year. Columns by name: count_bucketized_X_tag_indicator, word_X_year_indicator.
  const Tensor y = (*layer)(Tensors{Tensor::from_vector<float>({0.5f, 7.0f}, {2, 1}), Tensor::strings({"red", "blue", "", "teal"}, {2, 2}),
                                    Tensor::strings({"a", "bb"}, {2, 1}), Tensor::from_vector<std::int64_t>({1999, 5, 2005, -1}, {2, 2})})
                       .at(0);
  const std::vector<float> expected = {1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0,
                                       0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0};
  BOOST_TEST(y.to_vector<float>() == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(config_round_trips) {
  check_config_round_trip("DenseFeatures",
                          {{"name", "features"}, {"trainable", true}, {"dtype", "float32"}, {"feature_columns", measured_columns()}, {"partitioner", nullptr}});
}

BOOST_AUTO_TEST_CASE(dict_call_is_saved_as_tf_keras_dict_node) {
  // Inputs given in another order than the sorted keys: the layer reads them by name.
  const std::vector<std::string> names = {"tag", "n", "id", "h"};
  const Tensors sorted = measured_features();
  const Tensors values = {sorted[3], sorted[2], sorted[1], sorted[0]};
  KerasTensors inputs = {Input({2}, "tag", DType::String), Input({1}, "n"), Input({2}, "id", DType::Int64),
                         Input({2}, "h", DType::String)};
  const LayerPtr layer = measured_layer();
  const KerasTensor y = (*layer)(inputs, call_arguments::named_inputs(names)).at(0);
  const auto model = std::make_shared<Functional>(inputs, KerasTensors{y}, "m");
  BOOST_TEST(model->predict(values).at(0).to_vector<float>() == kMeasured, boost::test_tools::per_element());
  const Json config = Json::parse(model->to_json());
  Json node;
  for (const auto& entry : config["config"]["layers"])
    if (entry["class_name"] == "DenseFeatures") node = entry["inbound_nodes"][0];
  BOOST_TEST(node.is_object());
  BOOST_TEST(node["tag"].dump() == R"(["tag",0,0,{}])");
  const ModelPtr again = model_from_json(model->to_json());
  again->set_weights(model->get_weights());
  BOOST_TEST(again->predict(values).at(0).to_vector<float>() == kMeasured, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(unsupported_columns_are_refused_by_name) {
  const Json numeric = column("NumericColumn", {{"key", "a"}});
  BOOST_TEST(refusal_of(column("NumericColumn", {{"key", "a"}, {"normalizer_fn", "my_fn"}})).find("normalizer_fn") != std::string::npos);
  BOOST_TEST(refusal_of(column("SequenceNumericColumn", {{"key", "s"}})).find("sequence column") != std::string::npos);
  BOOST_TEST(refusal_of(column("SharedEmbeddingColumn", {{"key", "s"}})).find("shared embedding") != std::string::npos);
  const Json cross = column("CrossedColumn", {{"keys", {"a", "b"}}, {"hash_bucket_size", 5}, {"hash_key", nullptr}});
  BOOST_TEST(refusal_of(column("IndicatorColumn", {{"categorical_column", column("CrossedColumn", {{"keys", {"c", cross}}, {"hash_bucket_size", 5}})}}))
                 .find("inside a CrossedColumn") != std::string::npos);
  BOOST_TEST(refusal_of(column("IndicatorColumn", {{"categorical_column", column("WeightedCategoricalColumn", {{"key", "w"}})}}))
                 .find("weighted") != std::string::npos);
  BOOST_TEST(refusal_of(column("EmbeddingColumn", {{"categorical_column", column("IdentityCategoricalColumn", {{"key", "i"}, {"number_buckets", 3}})},
                                                   {"dimension", 2}, {"combiner", "max"}}))
                 .find("combiner") != std::string::npos);
  BOOST_TEST(error_of([&] {
               LayerPtr l = layer_from("DenseFeatures", {{"name", "f"}, {"feature_columns", {numeric}}});
               (*l)(Tensors{Tensor::strings({"x"}, {1, 1})});
             }).find("numbers per example") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
