// Helpers shared by the guide's examples: a check that stops the program with a message, a
// main() wrapper that turns any error into a non-zero exit, and the guide's custom objects
// (CustomLayer and custom_activation, from custom_layer/custom_layer.hpp) as custom_objects.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <exception>
#include <fstream>
#include <functional>
#include <iostream>
#include <random>
#include <string>

#include "custom_layer/custom_layer.hpp"
#include "ksave/ksave.hpp"

namespace guide {

struct CheckFailed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The guide's `assert`: a failed check ends the example with `what` on stderr.
inline void check(bool condition, const std::string& what) {
  if (!condition) throw CheckFailed("check failed: " + what);
}

// Runs the body of an example; any failed check or error gives exit status 1 and a message.
inline int run(const char* example, const std::function<void()>& body) {
  try {
    body();
  } catch (const std::exception& e) {
    std::cerr << example << ": " << e.what() << "\n";
    return EXIT_FAILURE;
  }
  std::cout << example << ": all checks passed\n";
  return EXIT_SUCCESS;
}

// Runs `action` and returns the message of the error it must throw (a check fails otherwise).
inline std::string error_of(const std::function<void()>& action, const std::string& what) {
  try {
    action();
  } catch (const ksave::Error& e) {
    return e.what();
  }
  throw CheckFailed("check failed: " + what + " did not throw");
}

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// custom_objects = {"CustomLayer": CustomLayer, "custom_activation": custom_activation}
inline ksave::CustomObjects custom_objects() {
  return {{"CustomLayer", ksave::layer_class<CustomLayer>("CustomLayer")},
          {"custom_activation", ksave::activation_function("custom_activation", custom_activation)}};
}

// inputs = keras.Input((32,)); x = CustomLayer(32)(inputs);
// outputs = keras.layers.Activation(custom_activation)(x); model = keras.Model(inputs, outputs)
// The Activation layer resolves "custom_activation" by name, so the objects must be known
// (through a scope) while the model is made, as in Python where the function is in hand.
inline ksave::ModelPtr make_custom_model() {
  ksave::CustomObjectScope scope(custom_objects());
  auto inputs = ksave::Input({32});
  auto x = (*std::make_shared<CustomLayer>(ksave::Json{{"units", 32}}))(inputs);
  auto outputs = (*ksave::make_layer("Activation", {{"activation", "custom_activation"}}))(x);
  return std::make_shared<ksave::Functional>(ksave::KerasTensors{inputs}, ksave::KerasTensors{outputs});
}

// A fresh folder for one example's files ($KSAVE_TEST_TMP under CTest, else the temp folder).
inline std::filesystem::path work_dir(const std::string& example) {
  const char* base = std::getenv("KSAVE_TEST_TMP");
  std::filesystem::path dir = std::filesystem::path(base ? base : std::filesystem::temp_directory_path().string()) / example;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// What an example hands to its real-Keras twin (tests/interop/test_guide_twins.py), which redoes
// the guide's Python with tf-keras on the same data and compares: tensors as NAME.npy (a list as
// NAME_0.npy, NAME_1.npy, ...) and documents as NAME.json, in <work dir>/twin/, next to the files
// the example saved.
inline std::filesystem::path twin_dir(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir / "twin");
  return dir / "twin";
}

inline void twin_tensor(const std::filesystem::path& dir, const std::string& name, const ksave::Tensor& tensor) {
  ksave::write_npy(twin_dir(dir) / (name + ".npy"), tensor);
}

inline void twin_tensors(const std::filesystem::path& dir, const std::string& name, const std::vector<ksave::Tensor>& tensors) {
  for (std::size_t i = 0; i < tensors.size(); ++i) twin_tensor(dir, name + "_" + std::to_string(i), tensors[i]);
}

inline void twin_json(const std::filesystem::path& dir, const std::string& name, const ksave::Json& document) {
  std::ofstream(twin_dir(dir) / (name + ".json")) << document.dump(2);
}

inline ksave::LayerPtr dense(std::int64_t units, const std::string& name, const std::string& activation = "linear") {
  return ksave::make_layer("Dense", {{"units", units}, {"activation", activation}, {"name", name}});
}

// inputs = keras.Input(shape=(784,), name="digits"); dense_1, dense_2 (64, relu);
// predictions (Dense(output_units)); keras.Model(inputs, outputs, name=name)
inline ksave::ModelPtr digits_mlp(std::int64_t output_units, const std::string& name) {
  auto inputs = ksave::Input({784}, "digits");
  auto x = (*dense(64, "dense_1", "relu"))(inputs);
  x = (*dense(64, "dense_2", "relu"))(x);
  auto outputs = (*dense(output_units, "predictions"))(x);
  return std::make_shared<ksave::Functional>(ksave::KerasTensors{inputs}, ksave::KerasTensors{outputs}, name);
}

// The guide's whole-model example model: get_model() with inputs = keras.Input(shape=(32,)),
// outputs = keras.layers.Dense(1)(inputs), compiled with optimizer="adam",
// loss="mean_squared_error" (shared by the HDF5 and SavedModel examples).
inline ksave::ModelPtr get_regression_model() {
  auto inputs = ksave::Input({32});
  auto outputs = (*ksave::make_layer("Dense", {{"units", 1}}))(inputs);
  auto model = std::make_shared<ksave::Functional>(ksave::KerasTensors{inputs}, ksave::KerasTensors{outputs});
  model->compile("adam", "mean_squared_error");
  return model;
}

// np.random.random(shape), reproducible by seed.
inline ksave::Tensor random_array(ksave::Shape shape, unsigned seed) {
  ksave::Tensor t(ksave::DType::Float32, std::move(shape));
  std::mt19937 generator(seed);
  std::uniform_real_distribution<float> uniform(0.f, 1.f);
  for (float& v : t.values<float>()) v = uniform(generator);
  return t;
}

}  // namespace guide
