// The out-of-tree custom_layer plugin (examples/custom_layer, built by the fixture
// sdk_build_custom_layer_plugin) found through KSAVE_PLUGIN_PATH, and plugins the loader must
// refuse (another API version, a name already taken, a registration that throws).
#define BOOST_TEST_MODULE sdk
#include <boost/test/unit_test.hpp>

#include <array>
#include <cstdio>
#include <filesystem>

#include "custom_model_json.hpp"
#include "keras_zip_test_support.hpp"
#include "ksave/ksave.hpp"
#include "ksave/plugin.hpp"  // KSAVE_PLUGIN_API_VERSION
#include "support/test_data.hpp"

namespace fs = std::filesystem;
using ksave::Kind;

namespace {

ksave::Registry& registry() { return ksave::Registry::global(); }

void check_custom_model(const ksave::ModelPtr& model) {
  BOOST_REQUIRE_EQUAL(model->layers().size(), 2u);
  BOOST_TEST(model->layers()[0]->class_name() == "CustomLayer");
  BOOST_TEST(model->count_params() == 8 * 4 + 4);
  auto y = model->predict(ksave::Tensor::filled(ksave::DType::Float32, {3, 8}, 0.5));
  BOOST_TEST((y.shape() == ksave::Shape{3, 4}));
  for (float v : y.values<float>()) BOOST_TEST((v >= 0.0f && v <= 1.0f), "tanh(x)^2 = " << v);
}

// The custom_layer plugin's entries, found only through registration (no scope, no argument).
ksave::CustomObjects plugin_objects() {
  return {{"CustomLayer", registry().find_registered(Kind::Layer, "Custom>CustomLayer")},
          {"custom_activation", registry().find_registered(Kind::Activation, "Custom>custom_activation")}};
}

struct ChildResult {
  int status;
  std::string output;
};

// Runs `command` through the shell, stdout and stderr together.
ChildResult run_child(const std::string& command) {
  std::string output;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  BOOST_REQUIRE(pipe);
  std::array<char, 4096> buffer{};
  while (std::size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe)) output.append(buffer.data(), n);
  int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

BOOST_AUTO_TEST_CASE(registered_name_loads_from_the_plugin_path) {
  const char* path = std::getenv("KSAVE_PLUGIN_PATH");
  BOOST_REQUIRE_MESSAGE(path && fs::exists(fs::path(path) / "ksave-plugin-custom_layer.so"),
                        "KSAVE_PLUGIN_PATH must hold the custom_layer plugin built by sdk_build_custom_layer_plugin");
  auto model = ksave::model_from_json(sdk_test::registered_names_json());
  check_custom_model(model);
  // Serialization writes the registered names back, where tf-keras 2.21 puts them: a layer's in
  // registered_name beside its class name, a function's as the config of a "function" object.
  auto config = ksave::Json::parse(model->to_json());
  BOOST_TEST(config["config"]["layers"][1]["class_name"] == "CustomLayer");
  BOOST_TEST(config["config"]["layers"][1]["registered_name"] == "Custom>CustomLayer");
  BOOST_TEST(config["config"]["layers"][2]["config"]["activation"]["config"] == "Custom>custom_activation");

  bool found = false;
  for (const auto& record : registry().plugins().records())
    if (record.name == "custom_layer") {
      found = true;
      BOOST_TEST(record.loaded);
      BOOST_TEST(record.version == "1.0.0");
      BOOST_TEST((record.registered == std::vector<std::string>{"layer Custom>CustomLayer", "layer Custom>ScaledDense",
                                                                "activation Custom>custom_activation"}));
    }
  BOOST_TEST(found, "the custom_layer plugin has a load record");
}

BOOST_AUTO_TEST_CASE(plain_names_need_custom_objects_or_a_scope) {
  BOOST_REQUIRE(registry().find_registered(Kind::Layer, "Custom>CustomLayer"));
  // Registration with a package provides only the packaged name.
  // The error says which qualified name exists.
  BOOST_CHECK_EXCEPTION(ksave::model_from_json(sdk_test::plain_names_json()), ksave::Error, [](const ksave::Error& e) {
    BOOST_TEST_MESSAGE(e.what());
    return contains(e.what(), "'Custom>CustomLayer' is registered under a package");
  });
  check_custom_model(ksave::model_from_json(sdk_test::plain_names_json(), plugin_objects()));
  ksave::CustomObjectScope scope(plugin_objects());
  check_custom_model(ksave::model_from_json(sdk_test::plain_names_json()));
}

// The plugin's ScaledDense, as a third party writes a layer: its non-trainable output_mean
// moves during fit (updated by `call`, not by the optimizer), its `activation` key names the
// plugin's activation, and every whole-model format of the tree saves and reloads it like a
// built-in: every weight (the running mean included) and the predictions come back equal.
BOOST_AUTO_TEST_CASE(a_third_party_layer_with_state_trains_and_saves_like_a_built_in) {
  auto inputs = ksave::Input({5}, "x");
  auto scaled = ksave::make_layer("Custom>ScaledDense", {{"name", "scaled"}, {"units", 3}, {"scale", 2.0},
                                                         {"activation", "Custom>custom_activation"}});
  auto outputs = (*ksave::make_layer("Dense", {{"units", 1}}))((*scaled)(inputs));
  auto model = std::make_shared<ksave::Functional>(ksave::KerasTensors{inputs}, ksave::KerasTensors{outputs});
  BOOST_TEST(scaled->trainable_weights().size() == 1u);
  BOOST_REQUIRE(scaled->non_trainable_weights().size() == 1u);
  const ksave::VariablePtr output_mean = scaled->non_trainable_weights()[0];
  BOOST_TEST(ksave::max_abs_difference(output_mean->value(), ksave::Tensor::zeros(ksave::DType::Float32, {3})) == 0.0);

  std::vector<float> xs, ys;
  for (int i = 0; i < 64 * 5; ++i) xs.push_back(static_cast<float>((i * 37) % 23) / 11.0f - 1.0f);
  for (int i = 0; i < 64; ++i) ys.push_back(static_cast<float>(i % 7) / 7.0f);
  const ksave::Tensor x = ksave::Tensor::from_vector(xs, {64, 5}), y = ksave::Tensor::from_vector(ys, {64, 1});
  model->compile("adam", "mse");
  ksave::FitOptions fit;
  fit.batch_size = 16;
  fit.epochs = 2;
  fit.verbose = 0;
  model->fit({x}, {y}, fit);
  const ksave::Tensor mean_after = output_mean->value().clone();
  BOOST_TEST(ksave::max_abs_difference(mean_after, ksave::Tensor::zeros(ksave::DType::Float32, {3})) > 0.0);
  // Inference leaves it where training put it.
  const ksave::Tensor expected = model->predict(x);
  BOOST_TEST(ksave::max_abs_difference(output_mean->value(), mean_after) == 0.0);

  const fs::path dir = ksave::test::scratch_dir("sdk_scaled_dense");
  for (const char* file : {"scaled.h5", "scaled.keras", "scaled_savedmodel"}) {
    ksave::save_model(*model, dir / file);
    ksave::ModelPtr loaded = ksave::load_model(dir / file);
    const auto want = model->get_weights(), got = loaded->get_weights();
    BOOST_REQUIRE_EQUAL(got.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) BOOST_TEST(ksave::max_abs_difference(got[i], want[i]) == 0.0, file << " weight " << i);
    BOOST_TEST(ksave::max_abs_difference(loaded->get_layer("scaled")->non_trainable_weights().at(0)->value(), mean_after) == 0.0, file);
    BOOST_TEST(ksave::max_abs_difference(loaded->predict(x), expected) == 0.0, file);
  }
}

// The Keras 3 form ScaledDense's registration declares (examples/custom_layer/custom_layer.cpp:
// its module, its key order, momentum spelled mean_momentum) is how a .keras archive's
// config.json holds it; the archive reads back with the same config, weights and predictions.
BOOST_AUTO_TEST_CASE(a_third_party_layer_is_written_in_its_declared_keras3_form) {
  auto inputs = ksave::Input({5}, "x");
  auto scaled = ksave::make_layer("Custom>ScaledDense", {{"name", "scaled"}, {"units", 3}, {"scale", 2.0}, {"momentum", 0.8}});
  auto model = std::make_shared<ksave::Functional>(ksave::KerasTensors{inputs}, ksave::KerasTensors{(*scaled)(inputs)});
  const fs::path archive = ksave::test::scratch_dir("sdk_keras3_form") / "scaled.keras";
  ksave::save_model(*model, archive);

  const ksave::Json config = ksave::test::keras_zip::read_json_entry(archive, "config.json");
  const ksave::Json* entry = nullptr;
  for (const auto& layer : config["config"]["layers"])
    if (layer["name"] == "scaled") entry = &layer;
  BOOST_REQUIRE_MESSAGE(entry, "config.json has no layer 'scaled': " << config.dump());
  BOOST_TEST((*entry)["module"] == "custom_layer.layers");
  BOOST_TEST((*entry)["class_name"] == "ScaledDense");
  BOOST_TEST((*entry)["registered_name"] == "Custom>ScaledDense");
  std::vector<std::string> keys;
  for (const auto& [key, _] : (*entry)["config"].items()) keys.push_back(key);
  BOOST_TEST((keys == std::vector<std::string>{"name", "trainable", "dtype", "units", "scale", "activation", "mean_momentum"}),
             (*entry)["config"].dump());
  BOOST_TEST((*entry)["config"]["mean_momentum"] == 0.8);
  BOOST_TEST((*entry)["config"]["dtype"]["class_name"] == "DTypePolicy");  // what Keras 3 writes for every layer

  ksave::ModelPtr loaded = ksave::load_model(archive);
  BOOST_TEST(loaded->get_layer("scaled")->get_config() == scaled->get_config());
  const ksave::Tensor x = ksave::Tensor::filled(ksave::DType::Float32, {2, 5}, 0.25);
  BOOST_TEST(ksave::max_abs_difference(loaded->predict(x), model->predict(x)) == 0.0);
}

BOOST_AUTO_TEST_CASE(without_the_plugin_path_loading_fails_naming_the_class_and_paths) {
  ChildResult child = run_child(std::string("env -u KSAVE_PLUGIN_PATH ") + KSAVE_SDK_LOAD_CUSTOM_MODEL);
  BOOST_TEST_MESSAGE("child said: " << child.output);
  BOOST_TEST(child.status == 1);
  BOOST_TEST(contains(child.output, "Custom>CustomLayer"));
  BOOST_TEST(contains(child.output, "Custom>custom_activation"));
  BOOST_TEST(contains(child.output, "plugin paths searched"));
  // The default folder beside libksave is listed; the test's custom folder is not.
  BOOST_TEST(contains(child.output, "/plugins"));
  BOOST_TEST(!contains(child.output, "custom_layer_build"));
  // And with the path, the same child succeeds.
  ChildResult with_path = run_child(KSAVE_SDK_LOAD_CUSTOM_MODEL);
  BOOST_TEST(with_path.status == 0, with_path.output);
}

BOOST_AUTO_TEST_CASE(plugin_of_another_api_version_is_refused) {
  ksave::load_plugins();
  ksave::PluginRecord record = registry().plugins().load(KSAVE_SDK_OTHER_API_PLUGIN);
  BOOST_TEST_MESSAGE("refusal: " << record.refusal);
  BOOST_TEST(!record.loaded);
  BOOST_TEST(record.api_version == 999u);
  BOOST_TEST(contains(record.refusal, fs::path(KSAVE_SDK_OTHER_API_PLUGIN).filename().string()));
  BOOST_TEST(contains(record.refusal, "999"));
  BOOST_TEST(contains(record.refusal, "version " + std::to_string(KSAVE_PLUGIN_API_VERSION)));
  BOOST_TEST(!registry().find_registered(Kind::Layer, "SdkOtherApiLayer"));
}

BOOST_AUTO_TEST_CASE(plugin_built_against_other_headers_is_refused) {
  ksave::load_plugins();
  ksave::PluginRecord record = registry().plugins().load(KSAVE_SDK_OTHER_HEADERS_PLUGIN);
  BOOST_TEST_MESSAGE("refusal: " << record.refusal);
  BOOST_TEST(!record.loaded);
  // The same API version: only the header fingerprint tells the two builds apart.
  BOOST_TEST(record.api_version == KSAVE_PLUGIN_API_VERSION);
  BOOST_TEST(record.sdk_fingerprint == "0123456789abcdef");
  BOOST_TEST(contains(record.refusal, fs::path(KSAVE_SDK_OTHER_HEADERS_PLUGIN).filename().string()));
  BOOST_TEST(contains(record.refusal, "other ksave SDK headers"));
  BOOST_TEST(contains(record.refusal, "'0123456789abcdef'"));
  BOOST_TEST(contains(record.refusal, std::string("'") + KSAVE_SDK_HEADER_FINGERPRINT + "'"));
  BOOST_TEST(contains(record.refusal, "built with GCC"));
  BOOST_TEST(!registry().find_registered(Kind::Layer, "SdkOtherHeadersLayer"));
}

BOOST_AUTO_TEST_CASE(plugins_of_this_build_record_its_compiler_and_headers) {
  ksave::load_plugins();
  std::size_t loaded = 0;
  for (const auto& record : registry().plugins().records()) {
    if (!record.loaded) continue;
    ++loaded;
    BOOST_TEST(record.sdk_fingerprint == KSAVE_SDK_HEADER_FINGERPRINT, record.path);
    BOOST_TEST(record.compiler == KSAVE_PLUGIN_COMPILER KSAVE_PLUGIN_CXX_ABI, record.path);
  }
  BOOST_TEST(loaded > 0u);
}

BOOST_AUTO_TEST_CASE(plugin_registering_a_taken_name_is_refused_whole) {
  ksave::load_plugins();
  ksave::PluginRecord record = registry().plugins().load(KSAVE_SDK_NAME_TAKEN_PLUGIN);
  BOOST_TEST_MESSAGE("refusal: " << record.refusal);
  BOOST_TEST(!record.loaded);
  BOOST_TEST(contains(record.refusal, "ksave-plugin-sdk_name_taken.so"));
  BOOST_TEST(contains(record.refusal, "'Dense'"));
  BOOST_TEST(contains(record.refusal, "already registered"));
  BOOST_TEST(record.registered.empty());
  BOOST_TEST(!registry().find_registered(Kind::Layer, "SdkNameTakenFresh"));
  // The original Dense is untouched.
  BOOST_TEST(registry().find_registered(Kind::Layer, "Dense")->plugin != record.path);
}

BOOST_AUTO_TEST_CASE(plugin_whose_registration_throws_is_refused) {
  ksave::PluginRecord record = registry().plugins().load(KSAVE_SDK_REGISTRATION_THROWS_PLUGIN);
  BOOST_TEST_MESSAGE("refusal: " << record.refusal);
  BOOST_TEST(!record.loaded);
  BOOST_TEST(contains(record.refusal, "ksave-plugin-sdk_registration_throws.so"));
  BOOST_TEST(contains(record.refusal, "registration fails on purpose"));
  BOOST_TEST(!registry().find_registered(Kind::Layer, "SdkThrowsStaged"));
}
