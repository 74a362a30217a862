// StringLookup and IntegerLookup against numbers measured from tf-keras 2.21 and Keras 3.15
// (both give these): the index layout with and without a mask token, one and several OOV
// indices (strings hashed by Fingerprint64, integers floormod), the encodings, tf_idf's padded
// weights, invert, a vocabulary that starts with the special tokens, and refusals naming the layer.
#include <boost/test/unit_test.hpp>

#include "layer_zoo_support/layer_checks.hpp"
#include "support/error_checks.hpp"

using namespace ksave;
using namespace ksave::test::zoo;
using ksave::test::error_of;

namespace {

const Json kLetters = {"a", "b", "c"};

Tensor words() { return Tensor::strings({"a", "b", "", "", "zz", "[UNK]", "c", "qq"}, {2, 4}); }
Tensor numbers() { return Tensor::from_vector<std::int64_t>({1, 2, 0, -1, 7, -7, 100, 3}, {2, 4}); }

std::vector<std::int64_t> ints(const Tensor& t) { return t.to_vector<std::int64_t>(); }
std::vector<float> floats(const Tensor& t) { return t.to_vector<float>(); }

Tensor run(const std::string& cls, Json config, const Tensor& x) { return (*layer_from(cls, config))(x); }

}  // namespace

BOOST_AUTO_TEST_SUITE(lookup)

BOOST_AUTO_TEST_CASE(configs_round_trip) {
  check_config_round_trip("StringLookup", {{"name", "s"}, {"trainable", true}, {"dtype", "int64"}, {"invert", false},
                                           {"max_tokens", nullptr}, {"num_oov_indices", 1}, {"oov_token", "[UNK]"},
                                           {"mask_token", nullptr}, {"output_mode", "int"}, {"sparse", false},
                                           {"pad_to_max_tokens", false}, {"idf_weights", nullptr}, {"vocabulary", kLetters},
                                           {"vocabulary_size", 4}, {"encoding", "utf-8"}});
  check_config_round_trip("IntegerLookup", {{"name", "i"}, {"trainable", true}, {"dtype", "int64"}, {"num_oov_indices", 2},
                                            {"oov_token", -1}, {"mask_token", 0}, {"vocabulary_dtype", "int64"},
                                            {"vocabulary", {1, 2, 3}}, {"oov_method", "floormod"}, {"salt", nullptr}});
}

BOOST_AUTO_TEST_CASE(string_indices_as_keras_measures_them) {
  BOOST_TEST(ints(run("StringLookup", {{"vocabulary", kLetters}}, words())) == (std::vector<std::int64_t>{1, 2, 0, 0, 0, 0, 3, 0}),
             boost::test_tools::per_element());
  BOOST_TEST(ints(run("StringLookup", {{"vocabulary", kLetters}, {"mask_token", ""}}, words())) ==
                 (std::vector<std::int64_t>{2, 3, 0, 0, 1, 1, 4, 1}),
             boost::test_tools::per_element());
  // Three OOV indices: "", "zz", "[UNK]", "qq" land in Fingerprint64 buckets 2, 1, 0, 0.
  BOOST_TEST(ints(run("StringLookup", {{"vocabulary", kLetters}, {"num_oov_indices", 3}}, words())) ==
                 (std::vector<std::int64_t>{3, 4, 2, 2, 1, 0, 5, 0}),
             boost::test_tools::per_element());
  BOOST_TEST(ints(run("StringLookup", {{"vocabulary", kLetters}, {"num_oov_indices", 3}, {"mask_token", ""}}, words())) ==
                 (std::vector<std::int64_t>{4, 5, 0, 0, 2, 1, 6, 1}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(integer_indices_as_keras_measures_them) {
  const Json v = {1, 2, 3};
  BOOST_TEST(ints(run("IntegerLookup", {{"vocabulary", v}}, numbers())) == (std::vector<std::int64_t>{1, 2, 0, 0, 0, 0, 0, 3}),
             boost::test_tools::per_element());
  BOOST_TEST(ints(run("IntegerLookup", {{"vocabulary", v}, {"mask_token", 0}}, numbers())) ==
                 (std::vector<std::int64_t>{2, 3, 0, 1, 1, 1, 1, 4}),
             boost::test_tools::per_element());
  // Several OOV indices: floormod, so -1 → 2 and -7 → 2 (the remainder takes the divisor's sign).
  BOOST_TEST(ints(run("IntegerLookup", {{"vocabulary", v}, {"num_oov_indices", 3}}, numbers())) ==
                 (std::vector<std::int64_t>{3, 4, 0, 2, 1, 2, 1, 5}),
             boost::test_tools::per_element());
  BOOST_TEST(ints(run("IntegerLookup", {{"vocabulary", v}, {"num_oov_indices", 3}, {"mask_token", 0}}, numbers())) ==
                 (std::vector<std::int64_t>{4, 5, 0, 3, 2, 3, 2, 6}),
             boost::test_tools::per_element());
  BOOST_TEST(ints(run("IntegerLookup", {{"vocabulary", v}, {"num_oov_indices", 2}, {"oov_token", -5}}, numbers())) ==
                 (std::vector<std::int64_t>{2, 3, 0, 1, 1, 1, 0, 4}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(encodings_drop_the_mask_and_count_the_indices) {
  const Tensor count = run("StringLookup", {{"vocabulary", kLetters}, {"output_mode", "count"}}, words());
  BOOST_TEST((count.dtype() == DType::Float32 && count.shape() == Shape{2, 4}));
  BOOST_TEST(floats(count) == (std::vector<float>{2, 1, 1, 0, 3, 0, 0, 1}), boost::test_tools::per_element());
  BOOST_TEST(floats(run("StringLookup", {{"vocabulary", kLetters}, {"output_mode", "count"}, {"mask_token", ""}}, words())) ==
                 (std::vector<float>{0, 1, 1, 0, 3, 0, 0, 1}),
             boost::test_tools::per_element());
  BOOST_TEST(floats(run("StringLookup", {{"vocabulary", kLetters}, {"output_mode", "multi_hot"}, {"num_oov_indices", 3}}, words())) ==
                 (std::vector<float>{0, 0, 1, 1, 1, 0, 1, 1, 0, 0, 0, 1}),
             boost::test_tools::per_element());
  const Tensor column = Tensor::strings({"a", "zz", "", "qq", "b"}, {5});
  BOOST_TEST(floats(run("StringLookup", {{"vocabulary", kLetters}, {"output_mode", "one_hot"}, {"mask_token", ""}}, column)) ==
                 (std::vector<float>{0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0}),
             boost::test_tools::per_element());
  BOOST_TEST(floats(run("IntegerLookup", {{"vocabulary", {1, 2, 3}}, {"output_mode", "multi_hot"}, {"num_oov_indices", 3}}, numbers())) ==
                 (std::vector<float>{1, 0, 1, 1, 1, 0, 0, 1, 1, 0, 0, 1}),
             boost::test_tools::per_element());
  BOOST_TEST(floats(run("StringLookup", {{"vocabulary", kLetters}, {"output_mode", "count"}, {"max_tokens", 7}, {"pad_to_max_tokens", true}},
                        Tensor::strings({"a", "a", "zz", "c"}, {1, 4}))) == (std::vector<float>{1, 2, 0, 1, 0, 0, 0}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(tf_idf_pads_the_oov_weight_with_the_mean) {
  const Tensor x = Tensor::strings({"a", "a", "zz", "c"}, {1, 4});
  const Json config = {{"vocabulary", kLetters}, {"output_mode", "tf_idf"}, {"idf_weights", {0.5, 1.0, 2.0}}};
  const std::vector<float> got = floats(run("StringLookup", config, x));
  const std::vector<float> keras = {1.1666666f, 1.0f, 0.0f, 2.0f};
  BOOST_TEST_REQUIRE(got.size() == keras.size());
  for (std::size_t i = 0; i < got.size(); ++i) BOOST_TEST(got[i] == keras[i], boost::test_tools::tolerance(1e-6f));
  Json padded = config;
  padded["max_tokens"] = 7;
  padded["pad_to_max_tokens"] = true;
  padded["mask_token"] = "";
  const std::vector<float> wide = floats(run("StringLookup", padded, Tensor::strings({"a", "a", "zz", "", "c"}, {1, 5})));
  const std::vector<float> keras_wide = {1.1666666f, 1.0f, 0.0f, 2.0f, 0.0f, 0.0f, 0.0f};
  BOOST_TEST_REQUIRE(wide.size() == keras_wide.size());
  for (std::size_t i = 0; i < wide.size(); ++i) BOOST_TEST(wide[i] == keras_wide[i], boost::test_tools::tolerance(1e-6f));
}

BOOST_AUTO_TEST_CASE(invert_maps_indices_back_to_tokens) {
  const Tensor ids = Tensor::from_vector<std::int64_t>({0, 1, 2, 3, 4, -1}, {1, 6});
  const Tensor plain = run("StringLookup", {{"vocabulary", kLetters}, {"invert", true}}, ids);
  BOOST_TEST(plain.string_values() == (std::vector<std::string>{"[UNK]", "a", "b", "c", "[UNK]", "[UNK]"}),
             boost::test_tools::per_element());
  const Tensor masked = run("StringLookup", {{"vocabulary", kLetters}, {"invert", true}, {"mask_token", "M"}}, ids);
  BOOST_TEST(masked.string_values() == (std::vector<std::string>{"M", "[UNK]", "a", "b", "c", "[UNK]"}),
             boost::test_tools::per_element());
  const Tensor numbers = run("IntegerLookup", {{"vocabulary", {5, 6, 7}}, {"invert", true}, {"mask_token", 0}}, ids);
  BOOST_TEST(ints(numbers) == (std::vector<std::int64_t>{0, -1, 5, 6, 7, -1}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_vocabulary_that_starts_with_the_special_tokens_drops_them) {
  const Tensor x = Tensor::strings({"a", "[UNK]", "zz", ""}, {1, 4});
  BOOST_TEST(ints(run("StringLookup", {{"vocabulary", {"[UNK]", "a", "b", "c"}}}, x)) == (std::vector<std::int64_t>{1, 0, 0, 0}),
             boost::test_tools::per_element());
  BOOST_TEST(ints(run("StringLookup", {{"vocabulary", {"", "[UNK]", "a", "b", "c"}}, {"mask_token", ""}}, x)) ==
                 (std::vector<std::int64_t>{2, 1, 1, 0}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(refusals_name_the_layer) {
  const auto message = [](const std::string& cls, const Json& config, const Tensor& x) {
    return error_of([&] { run(cls, config, x); });
  };
  BOOST_TEST(message("StringLookup", {{"name", "w"}, {"vocabulary", kLetters}, {"num_oov_indices", 0}}, words())
                 .find("'w' (StringLookup): with num_oov_indices 0 every input must be in the vocabulary; found 5") != std::string::npos);
  BOOST_TEST(message("StringLookup", {{"name", "w"}}, words()).find("'w' (StringLookup): has no vocabulary") != std::string::npos);
  BOOST_TEST(message("StringLookup", {{"name", "w"}, {"vocabulary", {"a", "b", "a"}}}, words()).find("repeats the token 'a'") !=
             std::string::npos);
  BOOST_TEST(message("StringLookup", {{"name", "w"}, {"vocabulary", {"a", ""}}, {"mask_token", ""}}, words()).find("mask token") !=
             std::string::npos);
  BOOST_TEST(message("IntegerLookup", {{"name", "n"}, {"vocabulary", {1, 2}}}, words()).find("'n' (IntegerLookup): looks up integers") !=
             std::string::npos);
  BOOST_TEST(message("IntegerLookup", {{"name", "n"}, {"vocabulary", {"x"}}}, numbers()).find("vocabulary holds int64 integers, found 'x'") !=
             std::string::npos);
  BOOST_TEST(message("StringLookup", {{"name", "w"}, {"vocabulary", kLetters}, {"max_tokens", 3}}, words()).find("more than max_tokens 3") !=
             std::string::npos);
  BOOST_TEST(message("StringLookup", {{"name", "w"}, {"vocabulary", kLetters}, {"invert", true}, {"output_mode", "count"}}, words())
                 .find("invert needs output_mode 'int'") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
