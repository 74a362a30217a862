// Child process of test_sdk_plugin: loads the model JSON naming "Custom>CustomLayer" with the
// plugin path it was given (none, in the test), and prints what happened.
#include <cstdlib>
#include <iostream>

#include "custom_model_json.hpp"
#include "ksave/serialization.hpp"

int main() {
  try {
    auto model = ksave::model_from_json(sdk_test::registered_names_json());
    std::cout << "loaded model '" << model->name() << "'\n";
    return EXIT_SUCCESS;
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return EXIT_FAILURE;
  }
}
