// TextVectorization against numbers measured from tf-keras 2.21 and Keras 3.15 (both give
// these): each built-in standardize with each split, lowercasing that leaves non-ASCII letters
// ("ÉCOLE" is then out of vocabulary), ASCII whitespace only, UTF-8 characters, padding and
// cutting to output_sequence_length or to the batch's longest row, multi_hot, tf_idf, ngrams, and refusals.
#include <boost/test/unit_test.hpp>

#include "layer_zoo_support/layer_checks.hpp"
#include "support/error_checks.hpp"

using namespace ksave;
using namespace ksave::test::zoo;
using ksave::test::error_of;

namespace {

const Json kWords = {"hello", "world", "a", "b", "c", "\xC3\xA9" "cole", "stra\xC3\x9F" "e", "x_y", "xy", "q", "one", "two"};
const Json kLetters = {"h", "e", "l", "o", "w", "r", "d"};

Tensor sentences() {
  return Tensor::strings({"Hello, World! a-b  c", "  \xC3\x89" "COLE Stra\xC3\x9F" "e x_y [UNK] 'q'  ", "",
                          "one two three four five six seven"},
                         {4, 1});
}

std::vector<std::int64_t> vectorized(Json config, const Tensor& x) {
  return (*layer_from("TextVectorization", config))(x).to_vector<std::int64_t>();
}

using Ids = std::vector<std::int64_t>;

}  // namespace

BOOST_AUTO_TEST_SUITE(text_vectorization)

BOOST_AUTO_TEST_CASE(every_standardize_with_whitespace_split) {
  const auto run = [](const Json& standardize) {
    return vectorized({{"vocabulary", kWords}, {"standardize", standardize}, {"output_sequence_length", 6}}, sentences());
  };
  BOOST_TEST(run("lower_and_strip_punctuation") == (Ids{2, 3, 1, 6, 0, 0, 1, 8, 10, 1, 11, 0, 0, 0, 0, 0, 0, 0, 12, 13, 1, 1, 1, 1}),
             boost::test_tools::per_element());
  BOOST_TEST(run("lower") == (Ids{1, 1, 1, 6, 0, 0, 1, 8, 9, 1, 1, 0, 0, 0, 0, 0, 0, 0, 12, 13, 1, 1, 1, 1}),
             boost::test_tools::per_element());
  BOOST_TEST(run("strip_punctuation") == (Ids{1, 1, 1, 6, 0, 0, 1, 1, 10, 1, 11, 0, 0, 0, 0, 0, 0, 0, 12, 13, 1, 1, 1, 1}),
             boost::test_tools::per_element());
  BOOST_TEST(run(nullptr) == (Ids{1, 1, 1, 6, 0, 0, 1, 1, 9, 1, 1, 0, 0, 0, 0, 0, 0, 0, 12, 13, 1, 1, 1, 1}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(character_split_and_no_split) {
  BOOST_TEST(vectorized({{"vocabulary", kLetters}, {"split", "character"}, {"output_sequence_length", 6}}, sentences()) ==
                 (Ids{2, 3, 4, 4, 5, 1, 1, 1, 1, 1, 5, 4, 0, 0, 0, 0, 0, 0, 5, 1, 3, 1, 1, 6}),
             boost::test_tools::per_element());
  BOOST_TEST(vectorized({{"vocabulary", kLetters}, {"split", "character"}, {"standardize", nullptr}, {"output_sequence_length", 6}},
                        sentences()) == (Ids{1, 3, 4, 4, 5, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 5, 1, 3, 1, 1, 6}),
             boost::test_tools::per_element());
  BOOST_TEST(vectorized({{"vocabulary", {"a", "b"}}, {"split", "character"}, {"standardize", nullptr}},
                        Tensor::strings({"a\tb \xC3\xA9", "b"}, {2})) == (Ids{2, 1, 3, 1, 1, 3, 0, 0, 0, 0}),
             boost::test_tools::per_element());
  const Tensor words = Tensor::strings({"hello", "World", "a-b", ""}, {4});
  BOOST_TEST(vectorized({{"vocabulary", kWords}, {"split", nullptr}}, words) == (Ids{2, 3, 1, 0}), boost::test_tools::per_element());
  BOOST_TEST(vectorized({{"vocabulary", kWords}, {"split", nullptr}, {"standardize", "strip_punctuation"}}, words) == (Ids{2, 1, 1, 0}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(only_ascii_whitespace_separates_tokens) {
  // \t \v \f \n split; U+00A0 and U+2003 do not.
  const Tensor x = Tensor::strings({"a\tb\vb\f\xC2\xA0" "a\xE2\x80\x83" "b\nb", "b"}, {2});
  BOOST_TEST(vectorized({{"vocabulary", {"a", "b"}}, {"standardize", nullptr}}, x) == (Ids{2, 3, 3, 1, 3, 3, 0, 0, 0, 0}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(rows_pad_to_the_longest_without_a_sequence_length) {
  const LayerPtr layer = layer_from("TextVectorization", {{"vocabulary", kWords}});
  const Tensor ids = (*layer)(sentences());
  BOOST_TEST((ids.dtype() == DType::Int64 && ids.shape() == Shape{4, 7}));
  BOOST_TEST(ids.to_vector<std::int64_t>() ==
                 (Ids{2, 3, 1, 6, 0, 0, 0, 1, 8, 10, 1, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12, 13, 1, 1, 1, 1, 1}),
             boost::test_tools::per_element());
  BOOST_TEST(((*layer)(Tensor::strings({"", ""}, {2})).shape() == Shape{2, 0}));
}

BOOST_AUTO_TEST_CASE(multi_hot_marks_each_rows_tokens) {
  const Tensor hot = (*layer_from("TextVectorization", {{"vocabulary", kWords}, {"output_mode", "multi_hot"}}))(sentences());
  BOOST_TEST((hot.dtype() == DType::Float32 && hot.shape() == Shape{4, 13}));
  BOOST_TEST(hot.to_vector<float>() == (std::vector<float>{1, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0,  //
                                                           1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 0, 0,  //
                                                           0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  //
                                                           1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(tf_idf_weighs_the_counts) {
  const LayerPtr layer = layer_from("TextVectorization", {{"vocabulary", {"a", "b", "c"}}, {"output_mode", "tf_idf"}, {"idf_weights", {0.5, 1.0, 2.0}}});
  const std::vector<float> got = (*layer)(Tensor::strings({"A a zz c", ""}, {2, 1})).to_vector<float>();
  const std::vector<float> keras = {1.1666666f, 1.0f, 0.0f, 2.0f, 0.0f, 0.0f, 0.0f, 0.0f};  // the OOV weight is the mean
  BOOST_TEST_REQUIRE(got.size() == keras.size());
  for (std::size_t i = 0; i < got.size(); ++i) BOOST_TEST(got[i] == keras[i], boost::test_tools::tolerance(1e-6f));
  BOOST_TEST(layer->weights().size() == 1u);  // the lookup's idf_weights, which the formats store
}

BOOST_AUTO_TEST_CASE(ngrams_follow_the_tokens_width_by_width) {
  const Json vocabulary = {"a", "b", "c", "a b", "b c", "a b c", "c a"};
  const Tensor x = Tensor::strings({"a b c a", "b", "", "c a b"}, {4, 1});
  const auto run = [&](const Json& ngrams) {
    return vectorized({{"vocabulary", vocabulary}, {"ngrams", ngrams}, {"output_sequence_length", 10}}, x);
  };
  BOOST_TEST(run(2) == (Ids{2, 3, 4, 2, 5, 6, 8, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                            4, 2, 3, 8, 5, 0, 0, 0, 0, 0}),
             boost::test_tools::per_element());
  BOOST_TEST(run(3) == (Ids{2, 3, 4, 2, 5, 6, 8, 7, 1, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                            4, 2, 3, 8, 5, 1, 0, 0, 0, 0}),
             boost::test_tools::per_element());
  BOOST_TEST(run({2}) == (Ids{5, 6, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                              8, 5, 0, 0, 0, 0, 0, 0, 0, 0}),
             boost::test_tools::per_element());
  BOOST_TEST(run({1, 3}) == (Ids{2, 3, 4, 2, 7, 1, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                 4, 2, 3, 1, 0, 0, 0, 0, 0, 0}),
             boost::test_tools::per_element());
  // Characters join with " " too.
  BOOST_TEST(vectorized({{"vocabulary", vocabulary}, {"ngrams", 2}, {"split", "character"}, {"standardize", nullptr},
                         {"output_sequence_length", 10}},
                        Tensor::strings({"abca"}, {1, 1})) == (Ids{2, 3, 4, 2, 5, 6, 8, 0, 0, 0}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(what_ksave_does_not_run_is_refused_by_name) {
  const auto message = [](const Json& config) {
    return error_of([&] { (*layer_from("TextVectorization", config))(sentences()); });
  };
  BOOST_TEST(message({{"name", "t"}, {"vocabulary", kWords}, {"ngrams", 0}}).find("'t' (TextVectorization): ngrams must be") !=
             std::string::npos);
  BOOST_TEST(message({{"name", "t"}, {"vocabulary", kWords}, {"ngrams", 2}, {"split", nullptr}}).find("ngrams need a split") !=
             std::string::npos);
  BOOST_TEST(message({{"name", "t"}, {"vocabulary", kWords}, {"standardize", "my_package>clean"}}).find("not one of Keras's built-in") !=
             std::string::npos);
  BOOST_TEST(message({{"name", "t"}, {"vocabulary", kWords}, {"output_mode", "one_hot"}}).find("output_mode 'one_hot' is not supported") !=
             std::string::npos);
  BOOST_TEST(message({{"name", "t"}}).find("has no vocabulary") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
