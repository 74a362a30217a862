// Hashing: configs of both dialects come back key for key; the buckets are the hash of each
// value's text modulo the bins (Fingerprint64 without a salt, SipHash-2-4 keyed by the salt),
// integers hashing as their decimal text; mask_value takes bucket 0; one_hot, multi_hot and count
// encode those ids; bad configs and inputs are refused naming the layer. That the hash functions
// give TensorFlow's values is checked against real TensorFlow in tests/interop/test_hashing.py.
#include <boost/test/unit_test.hpp>

#include <functional>
#include <set>

#include "fingerprint64.hpp"
#include "layer_zoo_support/layer_checks.hpp"
#include "support/error_checks.hpp"
#include "siphash.hpp"

using namespace ksave;
using namespace ksave::test::zoo;
using ksave::test::error_of;
using ksave::plugins::preprocessing::fingerprint64;
using ksave::plugins::preprocessing::siphash24;

namespace {

const std::vector<std::string> kWords = {"", "a", "keras", "hashing layer", "0123456789abcdef0", std::string(100, 'z')};

std::vector<std::int64_t> ids_of(const Tensor& t) { return t.to_vector<std::int64_t>(); }

}  // namespace

BOOST_AUTO_TEST_SUITE(hashing)

BOOST_AUTO_TEST_CASE(configs_round_trip_in_both_dialects) {
  check_config_round_trip("Hashing", {{"name", "h"}, {"trainable", true}, {"dtype", "int64"}, {"num_bins", 7},
                                      {"salt", nullptr}, {"mask_value", nullptr}, {"output_mode", "int"}, {"sparse", false}});
  check_config_round_trip("Hashing", {{"name", "h3"}, {"trainable", true}, {"dtype", "float32"}, {"num_bins", 7},
                                      {"salt", {133, 137}}, {"mask_value", ""}, {"output_mode", "count"}, {"sparse", false}});
}

BOOST_AUTO_TEST_CASE(strings_take_the_fingerprint_modulo_the_bins) {
  const Tensor words = Tensor::strings(kWords, {static_cast<Dim>(kWords.size()), 1});
  const Tensor ids = (*layer_from("Hashing", {{"num_bins", 1000}, {"dtype", "int64"}}))(words);
  BOOST_TEST((ids.dtype() == DType::Int64 && ids.shape() == words.shape()));
  for (std::size_t i = 0; i < kWords.size(); ++i)
    BOOST_TEST(ids_of(ids)[i] == static_cast<std::int64_t>(fingerprint64(kWords[i]) % 1000), "'" << kWords[i] << "'");
  // The buckets are not all alike (a layer that ignored its input would pass the loop above only
  // by way of a constant hash).
  const std::vector<std::int64_t> buckets = ids_of(ids);
  BOOST_TEST(std::set<std::int64_t>(buckets.begin(), buckets.end()).size() > 1u);
}

BOOST_AUTO_TEST_CASE(integers_hash_as_their_decimal_text) {
  const LayerPtr layer = layer_from("Hashing", {{"num_bins", 97}});
  const Tensor numbers = (*layer)(Tensor::from_vector<std::int64_t>({0, 12, -3, 9007199254740993}, {4, 1}));
  const Tensor texts = (*layer)(Tensor::strings({"0", "12", "-3", "9007199254740993"}, {4, 1}));
  BOOST_TEST(ids_of(numbers) == ids_of(texts), boost::test_tools::per_element());
  const Tensor narrow = (*layer)(Tensor::from_vector<std::int32_t>({0, 12, -3, 5}, {4, 1}));
  BOOST_TEST(ids_of(narrow)[2] == ids_of(texts)[2]);
  // Keras 3 truncates floats to int64 first.
  const Tensor floats = (*layer)(Tensor::from_vector<float>({0.5f, 12.9f, -3.2f, 0.0f}, {4, 1}));
  BOOST_TEST(ids_of(floats)[1] == ids_of(texts)[1]);
  BOOST_TEST(ids_of(floats)[2] == ids_of(texts)[2]);
}

BOOST_AUTO_TEST_CASE(a_salt_keys_siphash) {
  const Tensor words = Tensor::strings(kWords, {static_cast<Dim>(kWords.size())});
  const Tensor pair = (*layer_from("Hashing", {{"num_bins", 1000}, {"salt", {133, 137}}}))(words);
  const Tensor one = (*layer_from("Hashing", {{"num_bins", 1000}, {"salt", 133}}))(words);
  for (std::size_t i = 0; i < kWords.size(); ++i) {
    BOOST_TEST(ids_of(pair)[i] == static_cast<std::int64_t>(siphash24({133, 137}, kWords[i]) % 1000));
    BOOST_TEST(ids_of(one)[i] == static_cast<std::int64_t>(siphash24({133, 133}, kWords[i]) % 1000));
  }
  BOOST_TEST(ids_of(pair) != ids_of(one));
}

BOOST_AUTO_TEST_CASE(the_mask_value_takes_bucket_zero) {
  const Tensor words = Tensor::strings({"", "a", "keras", ""}, {2, 2});
  const Tensor ids = (*layer_from("Hashing", {{"num_bins", 5}, {"mask_value", ""}}))(words);
  BOOST_TEST(ids_of(ids) == (std::vector<std::int64_t>{0, static_cast<std::int64_t>(fingerprint64("a") % 4) + 1,
                                                       static_cast<std::int64_t>(fingerprint64("keras") % 4) + 1, 0}),
             boost::test_tools::per_element());
  const Tensor numbers = (*layer_from("Hashing", {{"num_bins", 5}, {"mask_value", 7}}))(
      Tensor::from_vector<std::int64_t>({7, 8}, {2}));
  BOOST_TEST(ids_of(numbers) == (std::vector<std::int64_t>{0, static_cast<std::int64_t>(fingerprint64("8") % 4) + 1}),
             boost::test_tools::per_element());
  // One bin leaves no room for a mask bucket: Keras then ignores the mask.
  const Tensor single = (*layer_from("Hashing", {{"num_bins", 1}, {"mask_value", ""}}))(words);
  BOOST_TEST(ids_of(single) == (std::vector<std::int64_t>{0, 0, 0, 0}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(encoded_outputs_count_the_buckets) {
  const Tensor words = Tensor::strings({"a", "b", "a", "keras", "c", "d"}, {2, 3});
  const std::vector<std::int64_t> ids = ids_of((*layer_from("Hashing", {{"num_bins", 4}}))(words));
  const Tensor count = (*layer_from("Hashing", {{"num_bins", 4}, {"output_mode", "count"}}))(words);
  const Tensor multi = (*layer_from("Hashing", {{"num_bins", 4}, {"output_mode", "multi_hot"}}))(words);
  BOOST_TEST((count.dtype() == DType::Float32 && count.shape() == Shape{2, 4}));
  std::vector<float> expected_count(8, 0.0f), expected_multi(8, 0.0f);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const auto at = (i / 3) * 4 + static_cast<std::size_t>(ids[i]);
    expected_count[at] += 1.0f;
    expected_multi[at] = 1.0f;
  }
  BOOST_TEST(count.to_vector<float>() == expected_count, boost::test_tools::per_element());
  BOOST_TEST(multi.to_vector<float>() == expected_multi, boost::test_tools::per_element());
  const Tensor column = Tensor::strings({"a", "keras"}, {2, 1});
  const Tensor hot = (*layer_from("Hashing", {{"num_bins", 4}, {"output_mode", "one_hot"}}))(column);
  BOOST_TEST((hot.shape() == Shape{2, 4}));
  const std::vector<std::int64_t> column_ids = ids_of((*layer_from("Hashing", {{"num_bins", 4}}))(column));
  for (std::size_t row = 0; row < 2; ++row)
    for (std::int64_t bin = 0; bin < 4; ++bin)
      BOOST_TEST(hot.to_vector<float>()[row * 4 + static_cast<std::size_t>(bin)] == (bin == column_ids[row] ? 1.0f : 0.0f));
}

BOOST_AUTO_TEST_CASE(bad_configs_and_inputs_are_refused_naming_the_layer) {
  auto refused = [](const Json& config, const Tensor& x, const std::string& fragment) {
    const std::string message = error_of([&] { (*layer_from("Hashing", config))(x); });
    BOOST_TEST((message.find("'hh' (Hashing)") != std::string::npos && message.find(fragment) != std::string::npos), message);
  };
  const Tensor words = Tensor::strings({"a", "b"}, {2, 1});
  refused({{"name", "hh"}, {"num_bins", 0}}, words, "num_bins must be positive");
  refused({{"name", "hh"}, {"num_bins", 3}, {"output_mode", "tf_idf"}}, words, "output_mode 'tf_idf'");
  refused({{"name", "hh"}, {"num_bins", 3}, {"output_mode", "count"}, {"sparse", true}}, words, "sparse");
  refused({{"name", "hh"}, {"num_bins", 3}, {"salt", {1, 2, 3}}}, words, "salt");
  refused({{"name", "hh"}, {"num_bins", 3}, {"mask_value", 1}}, words, "mask_value is an integer");
  refused({{"name", "hh"}, {"num_bins", 3}}, Tensor::from_vector<bool>({true, false}, {2}), "bool");
}

// HashedCrossing, against numbers measured from tf-keras 2.21 and Keras 3.15 (both give these):
// FingerprintCat64 from the key 0xDECAFCAFFE over Fingerprint64(string) / the integer itself.
BOOST_AUTO_TEST_CASE(hashed_crossing_is_tensorflows_cross_hashed) {
  const Tensor text = Tensor::strings({"a", "b", "", "\xC3\xA9"}, {4, 1});
  const Tensor ids = Tensor::from_vector<std::int64_t>({1, 2, -3, std::int64_t{1} << 40}, {4, 1});
  const auto crossed = [](const Json& config, const Tensors& inputs) { return (*layer_from("HashedCrossing", config))(inputs).at(0); };
  const Tensor wide = crossed({{"num_bins", std::int64_t{1} << 62}}, {text, ids});
  BOOST_TEST((wide.dtype() == DType::Int64 && wide.shape() == Shape{4, 1}));
  BOOST_TEST(ids_of(wide) == (std::vector<std::int64_t>{2928842892298887677, 85918459618309357, 3018161454725819249, 2244771404589458249}),
             boost::test_tools::per_element());
  BOOST_TEST(ids_of(crossed({{"num_bins", 7}}, {text, text})) == (std::vector<std::int64_t>{4, 6, 0, 0}), boost::test_tools::per_element());
  const Tensor hot = crossed({{"num_bins", 5}, {"output_mode", "one_hot"}}, {ids, ids});
  BOOST_TEST((hot.shape() == Shape{4, 5}));
  BOOST_TEST(hot.to_vector<float>() == (std::vector<float>{0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}),
             boost::test_tools::per_element());
  const Tensor pair = Tensor::strings({"a", "b"}, {2});
  const Tensor narrow = Tensor::from_vector<std::int32_t>({1, 2}, {2});
  BOOST_TEST(ids_of(crossed({{"num_bins", 9}}, {pair, narrow})) == (std::vector<std::int64_t>{7, 1}), boost::test_tools::per_element());
  BOOST_TEST(ids_of(crossed({{"num_bins", 9}}, {pair, pair, pair})) == (std::vector<std::int64_t>{7, 7}), boost::test_tools::per_element());
  BOOST_TEST(error_of([&] { crossed({{"name", "x"}, {"num_bins", 9}}, {text, pair}); }).find("'x' (HashedCrossing): all inputs must have equal shape") !=
             std::string::npos);
  BOOST_TEST(error_of([&] { crossed({{"name", "x"}, {"num_bins", 9}}, {text}); }).find("two or more features") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
