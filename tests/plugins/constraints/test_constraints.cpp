// The constraints plugin through the registry: projections by hand with Keras's epsilon, the
// configs tf.keras writes, round trips, aliases, older config forms, and bad input.
#define BOOST_TEST_MODULE test_plugin_constraints
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "ksave/objects.hpp"

using ksave::Json;
using ksave::Tensor;

namespace {

constexpr double kEpsilon = 1e-7;

// Columns (axis 0) have norms 5 and 0.5; rows (axis 1) have norms 3 and sqrt(16.25).
const Tensor kWeight = Tensor::from_vector<float>({3.0f, 0.0f, 4.0f, 0.5f}, {2, 2});

Tensor apply(const Json& reference, const Tensor& w = kWeight) { return (*ksave::get_constraint(reference))(w); }

void check_close(const Tensor& got, const std::vector<double>& expected) {
  const Tensor want = Tensor::from_vector(std::vector<float>(expected.begin(), expected.end()), got.shape());
  BOOST_TEST(ksave::allclose(got, want, 1e-6, 1e-6), "max difference " << ksave::max_abs_difference(got, want));
}

std::string serialized(const Json& value) { return ksave::serialize(ksave::get_constraint(value)).dump(); }

std::string error_of(const Json& value) {
  try {
    ksave::get_constraint(value);
  } catch (const ksave::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

BOOST_AUTO_TEST_CASE(max_norm_rescales_long_columns_only) {
  // Column 0 (norm 5) is scaled to norm 2; column 1 (norm 0.5) keeps its length (up to epsilon).
  const double long_scale = 2.0 / (5.0 + kEpsilon), short_scale = 0.5 / (0.5 + kEpsilon);
  check_close(apply("max_norm"), {3 * long_scale, 0.0, 4 * long_scale, 0.5 * short_scale});
  // Over rows, with a max of 1: row 0 (norm 3) and row 1 (norm 4.0199) both shrink to 1.
  const double row1 = std::sqrt(16.25);
  check_close(apply(Json::parse(R"({"class_name": "MaxNorm", "config": {"max_value": 1, "axis": 1}})")),
              {1.0, 0.0, 4.0 / (row1 + kEpsilon), 0.5 / (row1 + kEpsilon)});
  // A list of axes takes one norm over all of them (sqrt(25.25) here).
  const double all = std::sqrt(25.25), s = 2.0 / (all + kEpsilon);
  check_close(apply(Json::parse(R"({"class_name": "MaxNorm", "config": {"max_value": 2, "axis": [0, 1]}})")),
              {3 * s, 0.0, 4 * s, 0.5 * s});
}

BOOST_AUTO_TEST_CASE(non_neg_zeroes_negative_weights) {
  const Tensor w = Tensor::from_vector<float>({-1.0f, 0.0f, 2.5f, -0.1f}, {4});
  check_close(apply("non_neg", w), {0.0, 0.0, 2.5, 0.0});
}

BOOST_AUTO_TEST_CASE(unit_norm_normalises_columns) {
  check_close(apply("unit_norm"),
              {3 / (5 + kEpsilon), 0.0, 4 / (5 + kEpsilon), 0.5 / (0.5 + kEpsilon)});
  // A zero column stays zero thanks to epsilon.
  const Tensor zero_column = Tensor::from_vector<float>({0.0f, 1.0f, 0.0f, 1.0f}, {2, 2});
  check_close(apply("unit_norm", zero_column), {0.0, 1 / (std::sqrt(2.0) + kEpsilon), 0.0, 1 / (std::sqrt(2.0) + kEpsilon)});
}

BOOST_AUTO_TEST_CASE(min_max_norm_moves_norms_by_rate) {
  // min 1, max 2, rate 0.5: norm 5 -> 0.5*2 + 0.5*5 = 3.5; norm 0.5 -> 0.5*1 + 0.5*0.5 = 0.75.
  const Json half = Json::parse(R"({"class_name": "MinMaxNorm",
                                    "config": {"min_value": 1.0, "max_value": 2.0, "rate": 0.5, "axis": 0}})");
  const double a = 3.5 / (5 + kEpsilon), b = 0.75 / (0.5 + kEpsilon);
  check_close(apply(half), {3 * a, 0.0, 4 * a, 0.5 * b});
  // Defaults (0, 1, rate 1): every column norm clipped to at most 1.
  check_close(apply("min_max_norm"), {3 / (5 + kEpsilon), 0.0, 4 / (5 + kEpsilon), 0.5 / (0.5 + kEpsilon) * 0.5});
}

BOOST_AUTO_TEST_CASE(configs_are_written_as_tf_keras_does) {
  const std::pair<const char*, const char*> cases[] = {
      {"max_norm", R"({"module":"keras.constraints","class_name":"MaxNorm","config":{"max_value":2,"axis":0},"registered_name":null})"},
      {"non_neg", R"({"module":"keras.constraints","class_name":"NonNeg","config":{},"registered_name":null})"},
      {"unit_norm", R"({"module":"keras.constraints","class_name":"UnitNorm","config":{"axis":0},"registered_name":null})"},
      {"min_max_norm", R"({"module":"keras.constraints","class_name":"MinMaxNorm","config":{"min_value":0.0,"max_value":1.0,"rate":1.0,"axis":0},"registered_name":null})"},
  };
  for (const auto& [name, expected] : cases) BOOST_TEST(serialized(name) == expected, name);
}

BOOST_AUTO_TEST_CASE(configs_round_trip_exactly) {
  for (const char* text : {R"({"module":"keras.constraints","class_name":"MaxNorm","config":{"max_value":3.5,"axis":[0,1,2]},"registered_name":null})",
                           R"({"module":"keras.constraints","class_name":"UnitNorm","config":{"axis":-1},"registered_name":null})",
                           R"({"module":"keras.constraints","class_name":"MinMaxNorm","config":{"min_value":0.5,"max_value":4,"rate":0.25,"axis":1},"registered_name":null})",
                           R"({"module":"keras.constraints","class_name":"NonNeg","config":{},"registered_name":null})"}) {
    BOOST_TEST(serialized(Json::parse(text)) == text);
    const ksave::ConstraintPtr c = ksave::get_constraint(Json::parse(text));
    BOOST_TEST(serialized(Json{{"class_name", c->class_name()}, {"config", c->get_config()}}) == text);
  }
}

BOOST_AUTO_TEST_CASE(every_alias_and_config_form) {
  const std::pair<const char*, const char*> aliases[] = {
      {"max_norm", "MaxNorm"},   {"maxnorm", "MaxNorm"},     {"MaxNorm", "MaxNorm"},
      {"non_neg", "NonNeg"},     {"nonneg", "NonNeg"},       {"NonNeg", "NonNeg"},
      {"unit_norm", "UnitNorm"}, {"unitnorm", "UnitNorm"},   {"UnitNorm", "UnitNorm"},
      {"min_max_norm", "MinMaxNorm"}, {"MinMaxNorm", "MinMaxNorm"}};
  for (const auto& [alias, class_name] : aliases)
    BOOST_TEST(ksave::get_constraint(alias)->class_name() == class_name, alias);
  BOOST_TEST(serialized(Json::parse(R"({"module": "keras.constraints", "class_name": "MaxNorm",
                                        "config": {"max_value": 3, "axis": 0}, "registered_name": null})")) ==
             R"({"module":"keras.constraints","class_name":"MaxNorm","config":{"max_value":3,"axis":0},"registered_name":null})");
  // Keras 1: {"name": ..., "m": max_value, "axis": ...}.
  BOOST_TEST(serialized(Json::parse(R"({"name": "MaxNorm", "m": 4, "axis": 0})")) ==
             R"({"module":"keras.constraints","class_name":"MaxNorm","config":{"max_value":4,"axis":0},"registered_name":null})");
  BOOST_TEST(!ksave::get_constraint(Json(nullptr)));
  BOOST_TEST(ksave::serialize(ksave::ConstraintPtr()).is_null());
}

BOOST_AUTO_TEST_CASE(bad_input_is_an_error_naming_it) {
  const std::pair<Json, const char*> cases[] = {
      {"max_normal", "max_normal"},
      {Json::parse(R"({"class_name": "Clip", "config": {}})"), "Clip"},
      {Json::parse(R"({"class_name": "MaxNorm", "config": {"max_value": "big"}})"), "max_value"},
      {Json::parse(R"({"class_name": "MaxNorm", "config": {"axis": "rows"}})"), "axis"},
      {Json::parse(R"({"class_name": "UnitNorm", "config": {"axis": [0, 1.5]}})"), "axis"},
      {Json::parse(R"({"class_name": "UnitNorm", "config": {"axis": []}})"), "axis"},
      {Json::parse(R"({"class_name": "MinMaxNorm", "config": {"rate": null, "min_value": false}})"), "min_value"},
  };
  for (const auto& [value, word] : cases) {
    const std::string message = error_of(value);
    BOOST_TEST(message.find(word) != std::string::npos, value.dump() << " -> " << message);
  }
}
