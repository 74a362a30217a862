// The regularizers plugin through the registry: penalties by hand, tf.keras 2.x's exact configs
// (float32 factors), round trips, aliases, every config generation, and bad input.
#define BOOST_TEST_MODULE test_plugin_regularizers
#include <boost/test/unit_test.hpp>

#include <string>
#include <utility>

#include "ksave/objects.hpp"

using ksave::Json;
using ksave::Tensor;

namespace {

// |w| sums to 1 + 2 + 3 + 0.5 = 6.5 and w^2 to 1 + 4 + 9 + 0.25 = 14.25.
const Tensor kWeight = Tensor::from_vector<float>({1.0f, -2.0f, 3.0f, -0.5f}, {2, 2});

double penalty(const Json& reference) { return (*ksave::get_regularizer(reference))(kWeight).item(); }

std::string serialized(const Json& value) { return ksave::serialize(ksave::get_regularizer(value)).dump(); }

std::string error_of(const Json& value) {
  try {
    ksave::get_regularizer(value);
  } catch (const ksave::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

BOOST_AUTO_TEST_CASE(penalties_match_hand_computed_values) {
  namespace tt = boost::test_tools;
  BOOST_TEST(penalty(Json::parse(R"({"class_name": "L1", "config": {"l1": 0.5}})")) == 3.25, tt::tolerance(1e-6));
  BOOST_TEST(penalty(Json::parse(R"({"class_name": "L2", "config": {"l2": 0.5}})")) == 7.125, tt::tolerance(1e-6));
  BOOST_TEST(penalty(Json::parse(R"({"class_name": "L1L2", "config": {"l1": 0.5, "l2": 0.25}})")) ==
                 3.25 + 3.5625, tt::tolerance(1e-6));
  BOOST_TEST(penalty(Json::parse(R"({"class_name": "L1L2", "config": {"l1": 0.0, "l2": 0.25}})")) == 3.5625,
             tt::tolerance(1e-6));
  // Default factors: 0.01 for L1 and L2 and for the l1_l2 shortcut; none for the L1L2 class.
  BOOST_TEST(penalty("l1") == 0.065, tt::tolerance(1e-6));
  BOOST_TEST(penalty("l2") == 0.1425, tt::tolerance(1e-6));
  BOOST_TEST(penalty("l1_l2") == 0.065 + 0.1425, tt::tolerance(1e-6));
  BOOST_TEST(penalty("L1L2") == 0.0);
  const Tensor p = (*ksave::get_regularizer("l2"))(kWeight);
  BOOST_TEST(p.rank() == 0);
  BOOST_TEST(ksave::dtype_name(p.dtype()) == "float32");
}

BOOST_AUTO_TEST_CASE(configs_are_written_as_tf_keras_does) {
  // tf.keras keeps factors as float32 and writes float(factor): 0.01 becomes 0.009999999776482582.
  const std::pair<Json, const char*> cases[] = {
      {"l1", R"({"module":"keras.regularizers","class_name":"L1","config":{"l1":0.009999999776482582},"registered_name":null})"},
      {"l2", R"({"module":"keras.regularizers","class_name":"L2","config":{"l2":0.009999999776482582},"registered_name":null})"},
      {"l1_l2", R"({"module":"keras.regularizers","class_name":"L1L2","config":{"l1":0.009999999776482582,"l2":0.009999999776482582},"registered_name":null})"},
      {"L1L2", R"({"module":"keras.regularizers","class_name":"L1L2","config":{"l1":0.0,"l2":0.0},"registered_name":null})"},
      {Json::parse(R"({"class_name": "L1", "config": {"l1": 1}})"), R"({"module":"keras.regularizers","class_name":"L1","config":{"l1":1.0},"registered_name":null})"},
      {Json::parse(R"({"class_name": "L2", "config": {"l2": 0.5}})"), R"({"module":"keras.regularizers","class_name":"L2","config":{"l2":0.5},"registered_name":null})"},
  };
  for (const auto& [value, expected] : cases) BOOST_TEST(serialized(value) == expected, value.dump());
}

BOOST_AUTO_TEST_CASE(configs_round_trip_exactly) {
  for (const char* text : {R"({"module":"keras.regularizers","class_name":"L1","config":{"l1":0.009999999776482582},"registered_name":null})",
                           R"({"module":"keras.regularizers","class_name":"L2","config":{"l2":0.0010000000474974513},"registered_name":null})",
                           R"({"module":"keras.regularizers","class_name":"L1L2","config":{"l1":0.5,"l2":0.25},"registered_name":null})"}) {
    BOOST_TEST(serialized(Json::parse(text)) == text);
    const ksave::RegularizerPtr r = ksave::get_regularizer(Json::parse(text));
    BOOST_TEST(serialized(Json{{"class_name", r->class_name()}, {"config", r->get_config()}}) == text);
  }
}

BOOST_AUTO_TEST_CASE(every_alias_and_config_form) {
  const std::pair<const char*, const char*> aliases[] = {
      {"l1", "L1"}, {"L1", "L1"}, {"l2", "L2"}, {"L2", "L2"}, {"l1_l2", "L1L2"}, {"l1l2", "L1L2"},
      {"L1L2", "L1L2"}, {"L1L2Regularizer", "L1L2"}, {"WeightRegularizer", "L1L2"}};
  for (const auto& [alias, class_name] : aliases)
    BOOST_TEST(ksave::get_regularizer(alias)->class_name() == class_name, alias);
  // tf.keras >= 2.13 / Keras 3.
  BOOST_TEST(serialized(Json::parse(R"({"module": "keras.regularizers", "class_name": "L2",
                                        "config": {"l2": 0.5}, "registered_name": null})")) ==
             R"({"module":"keras.regularizers","class_name":"L2","config":{"l2":0.5},"registered_name":null})");
  // Keras 2.0-2.3 wrote the factor of L1/L2 as "l".
  BOOST_TEST(serialized(Json::parse(R"({"class_name": "L2", "config": {"l": 0.5}})")) ==
             R"({"module":"keras.regularizers","class_name":"L2","config":{"l2":0.5},"registered_name":null})");
  // Keras 1 kept the class name inside the config.
  BOOST_TEST(serialized(Json::parse(R"({"name": "L1L2Regularizer", "l1": 0.0, "l2": 0.5})")) ==
             R"({"module":"keras.regularizers","class_name":"L1L2","config":{"l1":0.0,"l2":0.5},"registered_name":null})");
  BOOST_TEST(!ksave::get_regularizer(Json(nullptr)));
  BOOST_TEST(ksave::serialize(ksave::RegularizerPtr()).is_null());
}

BOOST_AUTO_TEST_CASE(bad_input_is_an_error_naming_it) {
  const std::pair<Json, const char*> cases[] = {
      {"l3", "l3"},
      {Json::parse(R"({"class_name": "L4", "config": {}})"), "L4"},
      {Json::parse(R"({"class_name": "L2", "config": {"l2": "big"}})"), "l2"},
      {Json::parse(R"({"class_name": "L1L2", "config": {"l1": [0.1]}})"), "l1"},
      {Json::parse(R"({"class_name": "L1", "config": "l1"})"), "config"},
  };
  for (const auto& [value, word] : cases) {
    const std::string message = error_of(value);
    BOOST_TEST(message.find(word) != std::string::npos, value.dump() << " -> " << message);
  }
  BOOST_TEST(!error_of(3.0).empty());
}
