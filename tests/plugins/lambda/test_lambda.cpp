// Lambda plugin: a model with a Lambda layer fails to load at once, with an error that names the
// layer and says to write a plugin.
#define BOOST_TEST_MODULE lambda
#include <boost/test/unit_test.hpp>

#include "layer_zoo_support/layer_checks.hpp"

using namespace ksave;

BOOST_AUTO_TEST_CASE(loading_a_lambda_fails_naming_the_layer) {
  const std::string json = R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
    {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 2], "name": "in"}},
    {"class_name": "Lambda", "config": {"name": "double_it", "trainable": true, "dtype": "float32",
      "function": ["4wEAAAAAAAAAAAAAAAEAAAACAAAAQwAAAHMIAAAAfABkARQAUwApAk7pAgAAAKkAKQHaAXhyAgAAAHICAAAA", null, null],
      "function_type": "lambda", "module": "__main__", "output_shape": null, "output_shape_type": "raw",
      "output_shape_module": null, "arguments": {}}},
    {"class_name": "Dense", "config": {"name": "dense", "units": 1}}]}})";
  try {
    model_from_json(json);
    BOOST_FAIL("a Lambda layer loaded");
  } catch (const Error& e) {
    const std::string what = e.what();
    BOOST_TEST(what.find("double_it") != std::string::npos, what);
    BOOST_TEST(what.find("Lambda") != std::string::npos, what);
    BOOST_TEST(what.find("plugin") != std::string::npos, what);
  }
}
