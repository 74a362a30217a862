// The initializers plugin's configs, through the registry as a loader uses it: tf.keras 2.x's
// exact serialized forms, round trips, every alias and config generation, and bad configs.
#define BOOST_TEST_MODULE test_plugin_initializers
#include <boost/test/unit_test.hpp>

#include <string>
#include <utility>
#include <vector>

#include "ksave/objects.hpp"

using ksave::Json;

namespace {

std::string serialized(const Json& value) { return ksave::serialize(ksave::get_initializer(value)).dump(); }

// The message of the ksave::Error that resolving `value` throws ("" when none is thrown).
std::string error_of(const Json& value) {
  try {
    ksave::get_initializer(value);
  } catch (const ksave::Error& e) {
    return e.what();
  }
  return "";
}

bool mentions(const std::string& message, const std::string& word) {
  return message.find(word) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_CASE(default_configs_are_written_as_tf_keras_does) {
  const std::pair<const char*, const char*> cases[] = {
      {"zeros", R"({"module":"keras.initializers","class_name":"Zeros","config":{},"registered_name":null})"},
      {"ones", R"({"module":"keras.initializers","class_name":"Ones","config":{},"registered_name":null})"},
      {"constant", R"({"module":"keras.initializers","class_name":"Constant","config":{"value":0},"registered_name":null})"},
      {"random_uniform", R"({"module":"keras.initializers","class_name":"RandomUniform","config":{"minval":-0.05,"maxval":0.05,"seed":null},"registered_name":null})"},
      {"random_normal", R"({"module":"keras.initializers","class_name":"RandomNormal","config":{"mean":0.0,"stddev":0.05,"seed":null},"registered_name":null})"},
      {"truncated_normal", R"({"module":"keras.initializers","class_name":"TruncatedNormal","config":{"mean":0.0,"stddev":0.05,"seed":null},"registered_name":null})"},
      {"variance_scaling",
       R"({"module":"keras.initializers","class_name":"VarianceScaling","config":{"scale":1.0,"mode":"fan_in","distribution":"truncated_normal","seed":null},"registered_name":null})"},
      {"glorot_uniform", R"({"module":"keras.initializers","class_name":"GlorotUniform","config":{"seed":null},"registered_name":null})"},
      {"glorot_normal", R"({"module":"keras.initializers","class_name":"GlorotNormal","config":{"seed":null},"registered_name":null})"},
      {"he_uniform", R"({"module":"keras.initializers","class_name":"HeUniform","config":{"seed":null},"registered_name":null})"},
      {"he_normal", R"({"module":"keras.initializers","class_name":"HeNormal","config":{"seed":null},"registered_name":null})"},
      {"lecun_uniform", R"({"module":"keras.initializers","class_name":"LecunUniform","config":{"seed":null},"registered_name":null})"},
      {"lecun_normal", R"({"module":"keras.initializers","class_name":"LecunNormal","config":{"seed":null},"registered_name":null})"},
      {"orthogonal", R"({"module":"keras.initializers","class_name":"Orthogonal","config":{"gain":1.0,"seed":null},"registered_name":null})"},
      {"identity", R"({"module":"keras.initializers","class_name":"Identity","config":{"gain":1.0},"registered_name":null})"},
  };
  for (const auto& [name, expected] : cases) BOOST_TEST(serialized(name) == expected, name);
}

BOOST_AUTO_TEST_CASE(configs_round_trip_exactly) {
  const char* configs[] = {
      R"({"module":"keras.initializers","class_name":"Constant","config":{"value":2.5},"registered_name":null})",
      R"({"module":"keras.initializers","class_name":"Constant","config":{"value":[[1,2],[3,4]]},"registered_name":null})",
      R"({"module":"keras.initializers","class_name":"RandomUniform","config":{"minval":-1,"maxval":3.5,"seed":7},"registered_name":null})",
      R"({"module":"keras.initializers","class_name":"RandomNormal","config":{"mean":1.0,"stddev":2,"seed":123456789012},"registered_name":null})",
      R"({"module":"keras.initializers","class_name":"TruncatedNormal","config":{"mean":-0.5,"stddev":0.25,"seed":null},"registered_name":null})",
      R"({"module":"keras.initializers","class_name":"VarianceScaling","config":{"scale":2.0,"mode":"fan_out","distribution":"uniform","seed":3},"registered_name":null})",
      R"({"module":"keras.initializers","class_name":"VarianceScaling","config":{"scale":1,"mode":"fan_avg","distribution":"untruncated_normal","seed":null},"registered_name":null})",
      R"({"module":"keras.initializers","class_name":"GlorotUniform","config":{"seed":42},"registered_name":null})",
      R"({"module":"keras.initializers","class_name":"HeNormal","config":{"seed":-5},"registered_name":null})",
      R"({"module":"keras.initializers","class_name":"Orthogonal","config":{"gain":0.5,"seed":1},"registered_name":null})",
      R"({"module":"keras.initializers","class_name":"Identity","config":{"gain":3},"registered_name":null})",
  };
  for (const char* text : configs) {
    BOOST_TEST_CONTEXT(text) {
      // Numbers stay as written (1 stays 1), as Python Keras keeps the values it was given.
      BOOST_TEST(serialized(Json::parse(text)) == text);
      const ksave::InitializerPtr first = ksave::get_initializer(Json::parse(text));
      const ksave::InitializerPtr again =
          ksave::get_initializer(Json{{"class_name", first->class_name()}, {"config", first->get_config()}});
      BOOST_TEST(again->get_config().dump() == first->get_config().dump());
    }
  }
}

BOOST_AUTO_TEST_CASE(every_alias_resolves_to_its_class) {
  const std::pair<const char*, const char*> aliases[] = {
      {"zeros", "Zeros"}, {"zero", "Zeros"}, {"ZerosV2", "Zeros"},
      {"ones", "Ones"}, {"one", "Ones"}, {"OnesV2", "Ones"},
      {"constant", "Constant"}, {"ConstantV2", "Constant"},
      {"random_uniform", "RandomUniform"}, {"uniform", "RandomUniform"}, {"RandomUniformV2", "RandomUniform"},
      {"random_normal", "RandomNormal"}, {"normal", "RandomNormal"}, {"RandomNormalV2", "RandomNormal"},
      {"truncated_normal", "TruncatedNormal"}, {"TruncatedNormalV2", "TruncatedNormal"},
      {"variance_scaling", "VarianceScaling"}, {"VarianceScalingV2", "VarianceScaling"},
      {"glorot_uniform", "GlorotUniform"}, {"GlorotUniformV2", "GlorotUniform"}, {"glorot_uniformV2", "GlorotUniform"},
      {"glorot_normal", "GlorotNormal"}, {"GlorotNormalV2", "GlorotNormal"}, {"glorot_normalV2", "GlorotNormal"},
      {"he_uniform", "HeUniform"}, {"HeUniformV2", "HeUniform"}, {"he_uniformV2", "HeUniform"},
      {"he_normal", "HeNormal"}, {"HeNormalV2", "HeNormal"}, {"he_normalV2", "HeNormal"},
      {"lecun_uniform", "LecunUniform"}, {"LecunUniformV2", "LecunUniform"}, {"lecun_uniformV2", "LecunUniform"},
      {"lecun_normal", "LecunNormal"}, {"LecunNormalV2", "LecunNormal"}, {"lecun_normalV2", "LecunNormal"},
      {"orthogonal", "Orthogonal"}, {"OrthogonalV2", "Orthogonal"}, {"OrthogonalInitializer", "Orthogonal"},
      {"orthogonal_initializer", "Orthogonal"},
      {"identity", "Identity"}, {"IdentityV2", "Identity"}, {"IdentityInitializer", "Identity"},
      {"identity_initializer", "Identity"},
  };
  for (const auto& [alias, class_name] : aliases) {
    BOOST_TEST_CONTEXT(alias) {
      BOOST_TEST(ksave::get_initializer(alias)->class_name() == class_name);
      // The dict form resolves aliases too (older files write {"class_name": "glorot_uniform"}).
      BOOST_TEST(ksave::get_initializer(Json{{"class_name", alias}, {"config", Json::object()}})->class_name() ==
                 class_name);
    }
  }
  // The class names themselves.
  for (const auto& [alias, class_name] : aliases)
    BOOST_TEST(ksave::get_initializer(class_name)->class_name() == class_name);
}

BOOST_AUTO_TEST_CASE(every_generation_of_config_form) {
  // tf.keras >= 2.13 and Keras 3: module and registered_name around the same config.
  BOOST_TEST(serialized(Json::parse(R"({"module": "keras.initializers", "class_name": "GlorotUniform",
                                        "config": {"seed": null}, "registered_name": null})")) ==
             R"({"module":"keras.initializers","class_name":"GlorotUniform","config":{"seed":null},"registered_name":null})");
  BOOST_TEST(serialized(Json::parse(R"({"module": "keras.initializers", "class_name": "OrthogonalInitializer",
                                        "config": {"gain": 1.0, "seed": null}, "registered_name": null})")) ==
             R"({"module":"keras.initializers","class_name":"Orthogonal","config":{"gain":1.0,"seed":null},"registered_name":null})");
  // TF 1.x tf.keras put a dtype into every initializer config; Keras drops it.
  BOOST_TEST(serialized(Json::parse(R"({"class_name": "RandomUniform",
                                        "config": {"minval": -0.05, "maxval": 0.05, "seed": null, "dtype": "float32"}})")) ==
             R"({"module":"keras.initializers","class_name":"RandomUniform","config":{"minval":-0.05,"maxval":0.05,"seed":null},"registered_name":null})");
  // Standalone Keras <= 2.2 and tfjs: glorot as VarianceScaling, "normal" for the truncated
  // normal (renamed on read, as tf.keras does), keys in any order.
  BOOST_TEST(serialized(Json::parse(R"({"class_name": "VarianceScaling",
                                        "config": {"seed": null, "distribution": "normal", "mode": "fan_avg", "scale": 1}})")) ==
             R"({"module":"keras.initializers","class_name":"VarianceScaling","config":{"scale":1,"mode":"fan_avg","distribution":"truncated_normal","seed":null},"registered_name":null})");
  // tf.keras 2.x legacy entries may carry a shared_object_id beside the config.
  BOOST_TEST(serialized(Json::parse(R"({"class_name": "Zeros", "config": {}, "shared_object_id": 3})")) ==
             R"({"module":"keras.initializers","class_name":"Zeros","config":{},"registered_name":null})");
  // A missing or null config means the defaults.
  BOOST_TEST(serialized(Json::parse(R"({"class_name": "Orthogonal"})")) ==
             R"({"module":"keras.initializers","class_name":"Orthogonal","config":{"gain":1.0,"seed":null},"registered_name":null})");
  BOOST_TEST(serialized(Json::parse(R"({"class_name": "Ones", "config": null})")) ==
             R"({"module":"keras.initializers","class_name":"Ones","config":{},"registered_name":null})");
}

BOOST_AUTO_TEST_CASE(null_means_no_initializer) {
  BOOST_TEST(!ksave::get_initializer(Json(nullptr)));
  BOOST_TEST(ksave::serialize(ksave::InitializerPtr()).is_null());
}

BOOST_AUTO_TEST_CASE(unknown_names_are_errors_naming_them) {
  BOOST_TEST(mentions(error_of("glorot_uniformm"), "glorot_uniformm"));
  BOOST_TEST(mentions(error_of(Json::parse(R"({"class_name": "NoSuchInit", "config": {}})")), "NoSuchInit"));
  BOOST_TEST(mentions(error_of(Json::parse(R"({"module": "keras.initializers", "class_name": "Gone",
                                               "config": {}, "registered_name": "my_pkg>Gone"})")),
                      "my_pkg>Gone"));
}

BOOST_AUTO_TEST_CASE(bad_config_values_are_errors_naming_the_key) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"class_name": "VarianceScaling", "config": {"mode": "fan_sideways"}})", "mode"},
      {R"({"class_name": "VarianceScaling", "config": {"distribution": "cauchy"}})", "distribution"},
      {R"({"class_name": "VarianceScaling", "config": {"scale": -1.0}})", "scale"},
      {R"({"class_name": "VarianceScaling", "config": {"scale": "big"}})", "scale"},
      {R"({"class_name": "RandomNormal", "config": {"stddev": "wide"}})", "stddev"},
      {R"({"class_name": "RandomUniform", "config": {"minval": [1]}})", "minval"},
      {R"({"class_name": "GlorotUniform", "config": {"seed": "abc"}})", "seed"},
      {R"({"class_name": "Orthogonal", "config": {"seed": 1.5}})", "seed"},
      {R"({"class_name": "Identity", "config": {"gain": true}})", "gain"},
      {R"({"class_name": "Constant", "config": {"value": "seven"}})", "value"},
  };
  for (const auto& [text, key] : cases) {
    BOOST_TEST_CONTEXT(text) {
      const std::string message = error_of(Json::parse(text));
      BOOST_TEST(mentions(message, key), "message: " << message);
    }
  }
}

BOOST_AUTO_TEST_CASE(malformed_references_are_errors) {
  BOOST_TEST(!error_of(42).empty());
  BOOST_TEST(!error_of(Json::array({"glorot_uniform"})).empty());
  BOOST_TEST(!error_of(Json::parse(R"({"config": {"seed": 1}})")).empty());
  BOOST_TEST(!error_of(Json::parse(R"({"class_name": "Zeros", "config": [1, 2]})")).empty());
}
