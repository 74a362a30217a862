// The "json" format plugin: registration and capabilities, to_json round trips, save → load
// through files, sniffing, inspect, every generation's model JSON form, and clear errors for
// malformed, truncated, foreign and unknown-class JSON.
#define BOOST_TEST_MODULE test_plugin_format_json
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <iterator>

#include "ksave/saving.hpp"
#include "ksave/serialization.hpp"
#include "model_json_checks.hpp"
#include "support/test_data.hpp"

using ksave::Json;
namespace fs = std::filesystem;

namespace {

ksave::ModelPtr small_sequential() {
  return std::make_shared<ksave::Sequential>(
      std::vector<ksave::LayerPtr>{
          ksave::make_layer("Dense", {{"name", "hidden"}, {"units", 5}, {"activation", "relu"}, {"batch_input_shape", {nullptr, 3}}}),
          ksave::make_layer("Dropout", {{"name", "drop"}, {"rate", 0.25}}),
          ksave::make_layer("Dense", {{"name", "logits"}, {"units", 2}}),
          ksave::make_layer("Activation", {{"name", "probabilities"}, {"activation", "softmax"}}),
      },
      "small_sequential");
}

// Input → Dense → Dense with both Dense outputs as model outputs (a multi-output graph).
ksave::ModelPtr two_output_functional() {
  auto input = ksave::make_layer("InputLayer", {{"name", "features"}, {"batch_input_shape", {nullptr, 4}}});
  ksave::KerasTensor x = input->output();
  ksave::KerasTensor a = (*ksave::make_layer("Dense", {{"name", "first"}, {"units", 3}, {"activation", "tanh"}}))(x);
  ksave::KerasTensor b = (*ksave::make_layer("Dense", {{"name", "second"}, {"units", 2}}))(a);
  return std::make_shared<ksave::Functional>(ksave::KerasTensors{x}, ksave::KerasTensors{a, b}, "two_outputs");
}

ksave::Tensor sample_input(std::int64_t rows, std::int64_t features) {
  std::vector<float> values;
  for (std::int64_t i = 0; i < rows * features; ++i) values.push_back(static_cast<float>((i * 7) % 11) / 5.0f - 1.0f);
  return ksave::Tensor::from_vector(values, {rows, features});
}

void expect_same_predictions(ksave::Model& a, ksave::Model& b, const ksave::Tensor& x) {
  const ksave::Tensors pa = a.predict(ksave::Tensors{x}), pb = b.predict(ksave::Tensors{x});
  BOOST_TEST_REQUIRE(pa.size() == pb.size());
  for (std::size_t i = 0; i < pa.size(); ++i) {
    const auto va = pa[i].to_vector<float>(), vb = pb[i].to_vector<float>();
    BOOST_TEST(va == vb, boost::test_tools::per_element());
  }
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The message of the error `body` throws ("" when it does not throw, which fails the test).
template <typename F>
std::string error_of(F&& body) {
  try {
    body();
  } catch (const ksave::Error& e) {
    return e.what();
  }
  BOOST_ERROR("expected an error");
  return "";
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

BOOST_AUTO_TEST_CASE(format_is_registered_with_its_capabilities) {
  ksave::FormatPtr json = ksave::get_format("json");
  BOOST_TEST(json->name() == "json");
  BOOST_TEST(json->can(ksave::Capability::SaveModel));
  BOOST_TEST(json->can(ksave::Capability::LoadModel));
  BOOST_TEST(json->can(ksave::Capability::Inspect));
  // A JSON file is an architecture: it holds no weights.
  BOOST_TEST(!json->can(ksave::Capability::SaveWeights));
  BOOST_TEST(!json->can(ksave::Capability::LoadWeights));
  BOOST_TEST(ksave::format_for_model_path("model.json") == "json");
}

BOOST_AUTO_TEST_CASE(to_json_round_trips_exactly) {
  for (const ksave::ModelPtr& model : {small_sequential(), two_output_functional()}) {
    const std::string text = model->to_json();
    const Json parsed = Json::parse(text);
    BOOST_TEST(parsed["keras_version"] == ksave::kKerasVersion);
    BOOST_TEST(parsed["backend"] == ksave::kBackend);
    ksave::ModelPtr again = ksave::model_from_json(text);
    BOOST_TEST(again->to_json() == text);
    BOOST_TEST(again->to_json(2) == model->to_json(2));
  }
}

BOOST_AUTO_TEST_CASE(save_then_load_through_a_file) {
  const fs::path dir = ksave::test::scratch_dir("format_json_save_load");
  for (const ksave::ModelPtr& model : {small_sequential(), two_output_functional()}) {
    const fs::path path = dir / (model->name() + ".json");
    ksave::save_model(*model, path);  // the .json extension picks the format
    BOOST_TEST(read_text(path) == model->to_json(2) + "\n");
    BOOST_TEST(ksave::detect_format(path)->name() == "json");
    ksave::ModelPtr loaded = ksave::load_model(path);
    BOOST_TEST(loaded->to_json() == model->to_json());
    BOOST_TEST(loaded->input_names() == model->input_names(), boost::test_tools::per_element());
    BOOST_TEST(loaded->output_names() == model->output_names(), boost::test_tools::per_element());
    // Same architecture, so the original's weights make it compute the same function.
    loaded->set_weights(model->get_weights());
    expect_same_predictions(*model, *loaded, sample_input(6, model->inputs()[0].shape().back()));
  }
}

BOOST_AUTO_TEST_CASE(saving_replaces_a_file_atomically_and_by_explicit_format) {
  const fs::path dir = ksave::test::scratch_dir("format_json_overwrite");
  const fs::path path = dir / "architecture";  // no extension: the format is named
  write_text(path, "previous content");
  ksave::SaveOptions options;
  options.format = "json";
  ksave::ModelPtr model = small_sequential();
  ksave::save_model(*model, path, options);
  BOOST_TEST(read_text(path) == model->to_json(2) + "\n");
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++files;
  BOOST_TEST(files == 1u);  // no temporary left behind
  // A folder that does not exist: an error, nothing written.
  const std::string message = error_of([&] { ksave::save_model(*model, dir / "missing" / "m.json"); });
  BOOST_TEST(contains(message, "missing"), message);
  // overwrite = false keeps an existing file.
  options.overwrite = false;
  const std::string refused = error_of([&] { ksave::get_format("json")->save_model(*small_sequential(), path, options); });
  BOOST_TEST(contains(refused, path.string()), refused);
  BOOST_TEST(read_text(path) == model->to_json(2) + "\n");
}

BOOST_AUTO_TEST_CASE(sniff_recognizes_model_json_by_content) {
  const fs::path dir = ksave::test::scratch_dir("format_json_sniff");
  ksave::FormatPtr json = ksave::get_format("json");
  write_text(dir / "model.bin", "  \n" + small_sequential()->to_json());
  write_text(dir / "tfjs", R"({"format": "layers-model", "modelTopology": {"class_name": "Sequential", "config": {"layers": []}}})");
  write_text(dir / "array", "[1, 2]");
  write_text(dir / "other", R"({"hello": "world"})");
  write_text(dir / "binary", std::string("\x89HDF\r\n\x1a\n", 8));
  write_text(dir / "empty", "");
  write_text(dir / "broken", R"({"class_name": "Sequential", "config": )");
  BOOST_TEST(json->sniff(dir / "model.bin"));
  BOOST_TEST(json->sniff(dir / "tfjs"));
  for (const char* name : {"array", "other", "binary", "empty", "broken", "absent"}) BOOST_TEST(!json->sniff(dir / name), name);
  BOOST_TEST(!json->sniff(dir));
  // A damaged *.json file is still taken, so that loading it reports where it is damaged.
  write_text(dir / "broken.json", R"({"class_name": "Sequential", "config": )");
  write_text(dir / "binary.json", std::string("\x89HDF\r\n\x1a\n", 8));
  BOOST_TEST(json->sniff(dir / "broken.json"));
  BOOST_TEST(!json->sniff(dir / "binary.json"));
}

BOOST_AUTO_TEST_CASE(malformed_and_truncated_json_errors_name_file_and_byte) {
  const fs::path dir = ksave::test::scratch_dir("format_json_malformed");
  const std::string text = small_sequential()->to_json();
  write_text(dir / "truncated.json", text.substr(0, text.size() / 2));
  write_text(dir / "malformed.json", R"({"class_name": "Sequential", "config": {"layers": [}})");
  for (const char* name : {"truncated.json", "malformed.json"}) {
    const fs::path path = dir / name;
    // Through the generic entry point (a .json file that starts like JSON is the json format's)
    // and through the format itself.
    for (const std::string& message : {error_of([&] { ksave::load_model(path); }),
                                       error_of([&] { ksave::get_format("json")->load_model(path, {}); })}) {
      BOOST_TEST(contains(message, path.string()), message);
      BOOST_TEST(contains(message, "at byte"), message);
    }
  }
  const std::string message = error_of([&] { ksave::get_format("json")->load_model(dir / "malformed.json", {}); });
  BOOST_TEST(contains(message, "at byte 52 "), message);  // the column of the "}" that closes no "["
}

BOOST_AUTO_TEST_CASE(unknown_classes_are_listed_in_one_error) {
  const fs::path path = ksave::test::scratch_dir("format_json_unknown") / "unknown.json";
  write_text(path, R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
    {"class_name": "FancyLayer", "config": {"name": "a", "batch_input_shape": [null, 2]}},
    {"class_name": "Dense", "config": {"name": "b", "units": 2, "activation": "no_such_activation"}},
    {"class_name": "OtherFancyLayer", "config": {"name": "c"}}]}})");
  const std::string message = error_of([&] { ksave::load_model(path); });
  BOOST_TEST(contains(message, path.string()), message);
  for (const char* name : {"'FancyLayer'", "'OtherFancyLayer'", "'no_such_activation'"}) BOOST_TEST(contains(message, name), message);
  BOOST_TEST(contains(message, "3 unknown classes"), message);
}

BOOST_AUTO_TEST_CASE(a_layer_config_that_is_not_an_object_is_an_error_not_a_crash) {
  // fuzz_model_json found an InputLayer whose config was an array: its default name was looked up
  // with operator[] before any check, and nlohmann's type_error ended the process.
  for (const char* cls : {"InputLayer", "Dense", "LSTM"}) {
    for (const char* config : {"[1, 2]", "3", "\"text\""}) {
      const std::string text = std::string(R"({"class_name": ")") + cls + R"(", "config": )" + config + "}";
      const std::string error = error_of([&] { ksave::model_from_json(text); });
      BOOST_TEST(contains(error, cls), text << " -> " << error);
    }
  }
}

BOOST_AUTO_TEST_CASE(json_that_is_not_a_model_is_refused_clearly) {
  const fs::path dir = ksave::test::scratch_dir("format_json_not_a_model");
  ksave::FormatPtr json = ksave::get_format("json");
  write_text(dir / "settings.json", R"({"learning_rate": 0.1, "epochs": 3})");
  write_text(dir / "list.json", R"([{"class_name": "Dense"}])");
  write_text(dir / "layer.json", R"({"class_name": "Dense", "config": {"name": "d", "units": 2}})");
  const std::string settings = error_of([&] { json->load_model(dir / "settings.json", {}); });
  BOOST_TEST(contains(settings, "not a Keras model"), settings);
  BOOST_TEST(contains(settings, "learning_rate"), settings);
  const std::string list = error_of([&] { json->load_model(dir / "list.json", {}); });
  BOOST_TEST(contains(list, "array"), list);
  BOOST_TEST(contains(list, "list.json"), list);
  const std::string layer = error_of([&] { ksave::load_model(dir / "layer.json"); });
  BOOST_TEST(contains(layer, "not a model"), layer);
  BOOST_TEST(contains(layer, "layer.json"), layer);
  // Through the generic entry point, a JSON file that is not a model is still the json format's
  // to explain.
  const std::string generic = error_of([&] { ksave::load_model(dir / "settings.json"); });
  BOOST_TEST(contains(generic, "not a Keras model"), generic);
}

BOOST_AUTO_TEST_CASE(inspect_describes_the_architecture) {
  const fs::path path = ksave::test::scratch_dir("format_json_inspect") / "model.json";
  ksave::ModelPtr model = small_sequential();
  ksave::save_model(*model, path);
  const Json d = ksave::get_format("json")->inspect(path);
  BOOST_TEST(d["format"] == "json");
  BOOST_TEST(d["keras_version"] == ksave::kKerasVersion);
  BOOST_TEST(d["backend"] == ksave::kBackend);
  BOOST_TEST(d["class_name"] == "Sequential");
  BOOST_TEST(d["weights"] == false);
  BOOST_TEST_REQUIRE(d["layers"].size() == 4u);
  BOOST_TEST(d["layers"][0]["name"] == "hidden");
  BOOST_TEST(d["layers"][0]["class"] == "Dense");
  BOOST_TEST(d["layers"][3]["class"] == "Activation");
  BOOST_TEST(d["summary"].get<std::string>() == model->summary());

  // With a class nothing registers: the layers still come from the config, with the reason.
  const fs::path unknown = path.parent_path() / "unknown.json";
  write_text(unknown, R"({"class_name": "Sequential", "keras_version": "2.4.0", "config": {"name": "s", "layers": [
    {"class_name": "FancyLayer", "config": {"name": "fancy", "batch_input_shape": [null, 2]}}]}})");
  const Json u = ksave::get_format("json")->inspect(unknown);
  BOOST_TEST(u["keras_version"] == "2.4.0");
  BOOST_TEST(u["backend"].is_null());
  BOOST_TEST(u["layers"][0]["name"] == "fancy");
  BOOST_TEST(u["layers"][0]["class"] == "FancyLayer");
  BOOST_TEST(u["summary"].is_null());
  BOOST_TEST(contains(u["error"].get<std::string>(), "'FancyLayer'"));
}

BOOST_AUTO_TEST_CASE(keras1_sequential_list_loads) {
  const fs::path path = ksave::test::scratch_dir("format_json_keras1") / "keras1.json";
  write_text(path, R"({"class_name": "Sequential", "keras_version": "1.2.2", "config": [
    {"class_name": "Dense", "config": {"name": "dense_1", "output_dim": 3, "input_dim": 4, "init": "glorot_uniform",
     "activation": "relu", "bias": true, "trainable": true, "batch_input_shape": [null, 4], "input_dtype": "float32"}},
    {"class_name": "Dense", "config": {"name": "dense_2", "output_dim": 1, "activation": "linear"}}]})");
  ksave::ModelPtr model = ksave::load_model(path);
  BOOST_TEST_REQUIRE(model->layers().size() == 2u);
  BOOST_TEST(model->layers()[0]->name() == "dense_1");
  BOOST_TEST(model->get_layer("dense_1")->get_config()["units"] == 3);
  BOOST_TEST(model->count_params() == 4 * 3 + 3 + 3 * 1 + 1);
}

BOOST_AUTO_TEST_CASE(tfjs_artifacts_load_bare_and_wrapped) {
  const fs::path dir = ksave::test::scratch_dir("format_json_tfjs");
  const Json model = Json::parse(small_sequential()->to_json());
  Json converter = {{"format", "layers-model"}, {"generatedBy", "keras v2.15.0"}, {"convertedBy", "TensorFlow.js Converter v4.22.0"},
                    {"modelTopology", {{"keras_version", "2.15.0"}, {"backend", "tensorflow"}, {"model_config", model},
                                       {"training_config", {{"loss", "categorical_crossentropy"}, {"metrics", {"accuracy"}},
                                                            {"optimizer_config", {{"class_name", "Adam"}, {"config", {{"learning_rate", 0.001}}}}}}}}},
                    {"weightsManifest", {{{"paths", {"group1-shard1of1.bin"}}, {"weights", Json::array()}}}}};
  write_text(dir / "converter.json", converter.dump());
  Json browser = {{"modelTopology", model}, {"format", "layers-model"}};
  write_text(dir / "browser.json", browser.dump());
  for (const char* name : {"converter.json", "browser.json"}) {
    ksave::ModelPtr loaded = ksave::load_model(dir / name);
    BOOST_TEST(loaded->to_json() == small_sequential()->to_json(), name);
  }
  ksave::ModelPtr with_training = ksave::load_model(dir / "converter.json");
  BOOST_TEST(with_training->training_config()["loss"] == "categorical_crossentropy");
  const Json d = ksave::get_format("json")->inspect(dir / "converter.json");
  BOOST_TEST(d["keras_version"] == "2.15.0");
  BOOST_TEST(d["layers"].size() == 4u);
}

// The form Keras 3 writes in a .keras zip's config.json (this one follows divya_keras310's,
// without its Flatten): module/registered_name keys, DTypePolicy dicts, build_config, InputLayer
// batch_shape; and a Keras 3 Functional with __keras_tensor__ node arguments and bare triples.
BOOST_AUTO_TEST_CASE(keras3_configs_load) {
  const fs::path dir = ksave::test::scratch_dir("format_json_keras3");
  write_text(dir / "sequential.json", R"({"module": "keras", "class_name": "Sequential", "config": {"name": "sequential", "trainable": true,
    "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null, "shared_object_id": 135247496264736},
    "layers": [
      {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 784], "dtype": "float32", "sparse": false, "ragged": false, "name": "input_layer"}, "registered_name": null},
      {"module": "keras.layers", "class_name": "Dense", "config": {"name": "dense", "trainable": true,
        "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null, "shared_object_id": 135247496264736},
        "units": 128, "activation": "relu", "use_bias": true,
        "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null}, "registered_name": null},
        "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null},
        "kernel_regularizer": null, "bias_regularizer": null, "kernel_constraint": null, "bias_constraint": null},
       "registered_name": null, "build_config": {"input_shape": [null, 784]}},
      {"module": "keras.layers", "class_name": "Dropout", "config": {"name": "dropout", "trainable": true,
        "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null, "shared_object_id": 135247496264736},
        "rate": 0.2, "seed": null, "noise_shape": null}, "registered_name": null},
      {"module": "keras.layers", "class_name": "Dense", "config": {"name": "dense_1", "trainable": true, "dtype": "float32",
        "units": 10, "activation": "softmax", "use_bias": true,
        "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null}, "registered_name": null},
        "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null},
        "kernel_regularizer": null, "bias_regularizer": null, "kernel_constraint": null, "bias_constraint": null},
       "registered_name": null, "build_config": {"input_shape": [null, 128]}}],
    "build_input_shape": [null, 784]}, "registered_name": null, "build_config": {"input_shape": [null, 784]},
    "compile_config": {"optimizer": "adam", "loss": "sparse_categorical_crossentropy", "loss_weights": null, "metrics": ["accuracy"],
      "weighted_metrics": null, "run_eagerly": false, "steps_per_execution": 1, "jit_compile": false}})");
  ksave::ModelPtr sequential = ksave::load_model(dir / "sequential.json");
  BOOST_TEST_REQUIRE(sequential->layers().size() == 3u);
  BOOST_TEST(sequential->layers()[0]->name() == "dense");
  BOOST_TEST(sequential->count_params() == 784 * 128 + 128 + 128 * 10 + 10);
  BOOST_TEST(sequential->predict(sample_input(2, 784)).shape() == (ksave::Shape{2, 10}), boost::test_tools::per_element());

  // Keras 3 builds a Sequential that has no InputLayer from its build_config.
  write_text(dir / "built.json", R"({"module": "keras", "class_name": "Sequential", "config": {"name": "built", "trainable": true,
    "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null},
    "layers": [{"module": "keras.layers", "class_name": "Dense", "config": {"name": "d", "trainable": true, "dtype": "float32", "units": 2, "activation": "relu"},
      "registered_name": null, "build_config": {"input_shape": [null, 3]}}]},
    "registered_name": null, "build_config": {"input_shape": [null, 3]}})");
  ksave::ModelPtr built = ksave::load_model(dir / "built.json");
  BOOST_TEST(built->built());
  BOOST_TEST(built->count_params() == 3 * 2 + 2);
  BOOST_TEST(built->predict(sample_input(4, 3)).shape() == (ksave::Shape{4, 2}), boost::test_tools::per_element());

  write_text(dir / "functional.json", R"({"module": "keras", "class_name": "Functional", "config": {"name": "functional", "trainable": true,
    "layers": [
      {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 4], "dtype": "float32", "sparse": false, "name": "input_layer"},
       "registered_name": null, "name": "input_layer", "inbound_nodes": []},
      {"module": "keras.layers", "class_name": "Dense", "config": {"name": "dense", "trainable": true,
        "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null},
        "units": 3, "activation": "tanh", "use_bias": true,
        "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null}, "registered_name": null},
        "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null},
        "kernel_regularizer": null, "bias_regularizer": null, "kernel_constraint": null, "bias_constraint": null},
       "registered_name": null, "build_config": {"input_shape": [null, 4]}, "name": "dense",
       "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 4], "dtype": "float32", "keras_history": ["input_layer", 0, 0]}}], "kwargs": {}}]},
      {"module": "keras.layers", "class_name": "Dense", "config": {"name": "dense_1", "trainable": true, "dtype": "float32",
        "units": 2, "activation": "linear", "use_bias": false,
        "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null}, "registered_name": null},
        "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null},
        "kernel_regularizer": null, "bias_regularizer": null, "kernel_constraint": null, "bias_constraint": null},
       "registered_name": null, "build_config": {"input_shape": [null, 3]}, "name": "dense_1",
       "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 3], "dtype": "float32", "keras_history": ["dense", 0, 0]}}], "kwargs": {"training": false}}]}],
    "input_layers": ["input_layer", 0, 0], "output_layers": ["dense_1", 0, 0]},
    "registered_name": "Functional", "build_config": {"input_shape": null}, "compile_config": null})");
  ksave::ModelPtr functional = ksave::load_model(dir / "functional.json");
  BOOST_TEST(functional->input_names() == std::vector<std::string>{"input_layer"}, boost::test_tools::per_element());
  BOOST_TEST(functional->output_names() == std::vector<std::string>{"dense_1"}, boost::test_tools::per_element());
  BOOST_TEST(functional->count_params() == 4 * 3 + 3 + 3 * 2);
  BOOST_TEST(functional->predict(sample_input(5, 4)).shape() == (ksave::Shape{5, 2}), boost::test_tools::per_element());
}

// Keras 3 gave "hard_sigmoid" another function: relu6(x + 3) / 6, where tf-keras's is
// clip(0.2 x + 0.5, 0, 1). The same layer, named the same, means each generation's function in
// that generation's to_json (Keras 3's: a top-level module, no keras_version), through
// model_from_json and through the json format alike.
BOOST_AUTO_TEST_CASE(hard_sigmoid_means_the_function_of_the_keras_that_wrote_the_json) {
  const std::string layers = R"("layers": [{"module": "keras.layers", "class_name": "Dense", "config": {"name": "gate",
    "units": 1, "activation": "hard_sigmoid", "use_bias": false, "kernel_initializer": "ones", "batch_input_shape": [null, 1]},
    "registered_name": null}]})";
  const std::string tf_keras = R"({"class_name": "Sequential", "config": {"name": "s", )" + layers +
                               R"(, "keras_version": "2.21.0", "backend": "tensorflow"})";
  const std::string keras3 = R"({"module": "keras", "class_name": "Sequential", "config": {"name": "s", )" + layers +
                             R"(, "registered_name": null})";
  const ksave::Tensor x = ksave::Tensor::from_vector(std::vector<float>{-4.0f, -1.5f, 0.0f, 1.0f, 2.0f}, {5, 1});
  const std::vector<float> tf_keras_values{0.0f, 0.2f, 0.5f, 0.7f, 0.9f};
  const std::vector<float> keras3_values{0.0f, 0.25f, 0.5f, 4.0f / 6.0f, 5.0f / 6.0f};
  auto predicted = [&](const ksave::ModelPtr& model) { return model->predict(x).to_vector<float>(); };
  auto close = [](const std::vector<float>& got, const std::vector<float>& want) {
    for (std::size_t i = 0; i < want.size(); ++i)
      BOOST_TEST(got.at(i) == want[i], boost::test_tools::tolerance(1e-6f));
  };
  close(predicted(ksave::model_from_json(tf_keras)), tf_keras_values);
  close(predicted(ksave::model_from_json(keras3)), keras3_values);
  const fs::path dir = ksave::test::scratch_dir("format_json_hard_sigmoid");
  write_text(dir / "keras3.json", keras3);
  write_text(dir / "tf_keras.json", tf_keras);
  close(predicted(ksave::load_model(dir / "keras3.json")), keras3_values);
  close(predicted(ksave::load_model(dir / "tf_keras.json")), tf_keras_values);
}
