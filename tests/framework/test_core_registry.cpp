// Name resolution with Keras's precedence (scope > registered "Pkg>Name" > call custom_objects >
// built-ins), and unknown classes reported together in one error.
#define BOOST_TEST_MODULE core_registry
#include <boost/test/unit_test.hpp>

#include "ksave/name_hints.hpp"
#include "test_core_support.hpp"

using ksave::ClassEntry;
using ksave::ClassRef;
using ksave::Json;
using ksave::Kind;

namespace {

ksave::Registry& registry() { return ksave::Registry::global(); }

// An activation entry that multiplies by `factor`, so which one resolved shows in the numbers.
ClassRef scaling(const std::string& name, float factor) {
  return ksave::activation_function(name, [factor](const ksave::Tensor& x) { return ksave::ops::mul(x, factor); });
}

double apply(const ClassRef& entry) {
  return entry->as<ksave::ActivationFunction>()(ksave::Tensor::scalar<float>(1.0f)).item();
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

BOOST_AUTO_TEST_CASE(builtins_resolve_by_name) {
  BOOST_TEST(registry().resolve(Kind::Layer, "Dense"));
  BOOST_TEST(registry().resolve(Kind::Model, "Sequential"));
  BOOST_TEST(registry().resolve(Kind::Layer, "Model"));  // the functional model's old name
  BOOST_TEST(registry().resolve(Kind::Activation, "relu"));
  BOOST_TEST(!registry().resolve(Kind::Layer, "relu"));  // kinds do not mix
}

BOOST_AUTO_TEST_CASE(precedence_scope_registered_argument_builtin) {
  // A registered entry under "Prec>relu", and custom objects for the plain name and that name.
  ClassEntry registered = *scaling("relu", 3.0f);
  registered.package = "Prec";
  registry().add(registered);

  // Built-in relu: relu(1) = 1.
  BOOST_TEST(apply(registry().resolve(Kind::Activation, "relu")) == 1.0);
  // Registered name resolves to the registered entry.
  BOOST_TEST(apply(registry().resolve(Kind::Activation, "Prec>relu")) == 3.0);

  ksave::CustomObjects argument{{"relu", scaling("relu", 5.0f)}, {"Prec>relu", scaling("Prec>relu", 5.0f)}};
  {
    ksave::CustomObjectsArgument active(argument);
    // The call's custom_objects win over built-ins but not over registered names.
    BOOST_TEST(apply(registry().resolve(Kind::Activation, "relu")) == 5.0);
    BOOST_TEST(apply(registry().resolve(Kind::Activation, "Prec>relu")) == 3.0);
    {
      ksave::CustomObjectScope outer({{"relu", scaling("relu", 7.0f)}, {"Prec>relu", scaling("Prec>relu", 7.0f)}});
      // A scope wins over everything, even registered names.
      BOOST_TEST(apply(registry().resolve(Kind::Activation, "relu")) == 7.0);
      BOOST_TEST(apply(registry().resolve(Kind::Activation, "Prec>relu")) == 7.0);
      {
        ksave::CustomObjectScope inner({{"relu", scaling("relu", 11.0f)}});
        // The innermost scope first, then the outer ones.
        BOOST_TEST(apply(registry().resolve(Kind::Activation, "relu")) == 11.0);
        BOOST_TEST(apply(registry().resolve(Kind::Activation, "Prec>relu")) == 7.0);
      }
    }
    BOOST_TEST(apply(registry().resolve(Kind::Activation, "relu")) == 5.0);
  }
  // find_registered ignores scopes and arguments.
  ksave::CustomObjectScope scope({{"relu", scaling("relu", 7.0f)}});
  BOOST_TEST(apply(registry().find_registered(Kind::Activation, "relu")) == 1.0);
}

BOOST_AUTO_TEST_CASE(a_taken_name_is_refused_and_nothing_is_added) {
  ClassEntry fresh = *scaling("core_test_fresh", 2.0f);
  ClassEntry taken = *scaling("relu", 2.0f);
  BOOST_CHECK_EXCEPTION(registry().add_all({fresh, taken}), ksave::Error, [](const ksave::Error& e) {
    BOOST_TEST_MESSAGE(e.what());
    return contains(e.what(), "'relu'") && contains(e.what(), "already registered");
  });
  BOOST_TEST(!registry().resolve(Kind::Activation, "core_test_fresh"));
}

BOOST_AUTO_TEST_CASE(unknown_classes_are_listed_together) {
  Json config = Json::parse(R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
    {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 3], "name": "in"}},
    {"class_name": "NoSuchLayer", "config": {"name": "a"}},
    {"class_name": "Dense", "config": {"name": "b", "units": 2, "activation": "no_such_activation",
      "kernel_initializer": {"class_name": "NoSuchInitializer", "config": {}}}},
    {"class_name": "NoSuchLayer", "config": {"name": "c"}}]}})");
  BOOST_TEST((ksave::unknown_classes(config) ==
              std::vector<std::string>{"layer 'NoSuchLayer'", "activation 'no_such_activation'",
                                       "initializer 'NoSuchInitializer'"}));
  BOOST_CHECK_EXCEPTION(ksave::model_from_config(config), ksave::Error, [](const ksave::Error& e) {
    std::string m = e.what();
    BOOST_TEST_MESSAGE(m);
    return contains(m, "3 unknown classes") && contains(m, "NoSuchLayer") && contains(m, "no_such_activation") &&
           contains(m, "NoSuchInitializer") && contains(m, "plugin paths searched");
  });
  // Given in custom_objects, the unknown layer is no longer listed.
  ksave::CustomObjects objects{{"NoSuchLayer", ksave::layer_class<core_test::SumLayer>("NoSuchLayer")}};
  BOOST_CHECK_EXCEPTION(ksave::model_from_config(config, objects), ksave::Error, [](const ksave::Error& e) {
    std::string m = e.what();
    return contains(m, "2 unknown classes") && !contains(m, "NoSuchLayer");
  });
}

// A config naming the plain class when only "Package>Name" is registered (Keras resolves
// registered objects by that name only) fails, and the error says which qualified name exists.
BOOST_AUTO_TEST_CASE(a_plain_name_registered_only_under_a_package_is_pointed_to) {
  ClassEntry registered = *scaling("core_test_scaled_tanh", 2.0f);
  registered.package = "CoreTestPkg";
  registry().add(registered);
  BOOST_TEST(!registry().resolve(Kind::Activation, "core_test_scaled_tanh"));
  Json config = Json::parse(R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
    {"class_name": "Dense", "config": {"name": "d", "units": 2, "activation": "core_test_scaled_tanh",
      "batch_input_shape": [null, 3]}}]}})");
  BOOST_CHECK_EXCEPTION(ksave::model_from_config(config), ksave::Error, [](const ksave::Error& e) {
    std::string m = e.what();
    BOOST_TEST_MESSAGE(m);
    return contains(m, "activation 'core_test_scaled_tanh'") && contains(m, "'CoreTestPkg>core_test_scaled_tanh'") &&
           contains(m, "registered under a package");
  });
  BOOST_CHECK_EXCEPTION(registry().require(Kind::Activation, "core_test_scaled_tanh"), ksave::Error, [](const ksave::Error& e) {
    BOOST_TEST_MESSAGE(e.what());
    return contains(e.what(), "'CoreTestPkg>core_test_scaled_tanh' is registered under a package");
  });
  // A name no package registers gets no such hint.
  BOOST_TEST(ksave::qualified_name_hint(Kind::Activation, "core_test_nothing").empty());
}
