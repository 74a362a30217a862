// Real Keras SavedModels load through their configs and variables/ and reproduce their expected
// outputs: TF 2.3 (config in the object graph's user-object metadata, nested model whose weights
// sit under trainable_variables/N) and TF 2.12 (keras_metadata.pb, LSTM cell under variables/N).
// The TF 2.11 model with a custom class that only its traced graph defines fails naming the class.
#define BOOST_TEST_MODULE format_savedmodel_real_savedmodels
#include <boost/test/unit_test.hpp>

#include "ksave/ksave.hpp"
#include "ksave/saving.hpp"
#include "savedmodel_fixtures.hpp"
#include "support/error_checks.hpp"
#include "support/test_data.hpp"

namespace fs = std::filesystem;
using namespace ksave;
using namespace ksave::test::savedmodel;

using ksave::test::error_of;

namespace {

struct Case {
  const char* name;
  const char* folder;
};

const Case kKerasCases[] = {
    {"tfrust_keras_single_input_saved_model", "keras_single_input_saved_model"},
    {"tfrust_keras_multiple_inputs_saved_model", "keras_multiple_inputs_saved_model"},
    {"tfnet_kerassm_lstm_from_sequential", "lstm_from_sequential"},
};

}  // namespace

BOOST_AUTO_TEST_CASE(every_keras_fixture_loads_and_reproduces_its_expected_outputs) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  for (const auto& c : kKerasCases) {
    BOOST_TEST_CONTEXT(c.name) {
      const fs::path folder = fixture_folder(*real, c.name, c.folder);
      ModelPtr model = load_model(folder);
      BOOST_TEST_REQUIRE(model != nullptr);
      check_expected_runs(*model, *real / c.name / "expected");
    }
  }
}

BOOST_AUTO_TEST_CASE(compiled_fixtures_come_back_compiled_with_their_training_config) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  ModelPtr model = load_model(fixture_folder(*real, "tfrust_keras_single_input_saved_model", "keras_single_input_saved_model"));
  BOOST_TEST(model->compiled());
  BOOST_TEST(model->training_config().contains("optimizer_config"));
  LoadOptions no_compile;
  no_compile.compile = false;
  ModelPtr plain = load_model(fixture_folder(*real, "tfrust_keras_single_input_saved_model", "keras_single_input_saved_model"), no_compile);
  BOOST_TEST(!plain->compiled());
}

// Since the graph loader (issue 6) the custom class is revived from its traced call function;
// test_graph_functions checks its predictions and the error when the traces are missing.
BOOST_AUTO_TEST_CASE(a_custom_class_known_only_by_its_traced_graph_is_revived) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  ModelPtr model = load_model(fixture_folder(*real, "tfnet_kerassm_python_func_model", "python_func_model"));
  BOOST_TEST(model->layers().front()->class_name() == "Transformer");
}

BOOST_AUTO_TEST_CASE(inspect_shows_signatures_object_graph_and_keras_version) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  const Json info = get_format("savedmodel")->inspect(fixture_folder(*real, "tfrust_keras_multiple_inputs_saved_model", "keras_multiple_inputs_saved_model"));
  BOOST_TEST_MESSAGE(info.dump(1).substr(0, 2000));
  BOOST_TEST(info["format"] == "savedmodel");
  const Json& meta = info["meta_graphs"][0];
  BOOST_TEST(meta["tags"] == Json::array({"serve"}));
  BOOST_TEST(meta["tensorflow_version"] == "2.3.0");
  const Json& serving = meta["signatures"]["serving_default"];
  BOOST_TEST(serving["method_name"] == "tensorflow/serving/predict");
  BOOST_TEST(serving["inputs"]["test_in1"]["dtype"] == "float32");
  BOOST_TEST(serving["inputs"]["test_in1"]["shape"] == Json::array({-1, 5}));
  BOOST_TEST(serving["inputs"]["test_in2"]["name"] == "serving_default_test_in2:0");
  BOOST_TEST(serving["outputs"]["test_out"]["shape"] == Json::array({-1, 1}));
  BOOST_TEST(meta["object_graph"]["nodes"] == 107);
  BOOST_TEST(meta["object_graph"]["user_objects"]["_tf_keras_network"] == 2);  // the model and its nested model
  BOOST_TEST(meta["object_graph"]["variables"].size() == 21u);
  BOOST_TEST(info["keras"]["keras_version"] == "2.4.0");
  BOOST_TEST(info["keras"]["identifier"] == "_tf_keras_network");

  const Json lstm = get_format("savedmodel")->inspect(fixture_folder(*real, "tfnet_kerassm_lstm_from_sequential", "lstm_from_sequential"));
  BOOST_TEST(lstm["keras"]["keras_version"] == "2.12.0");
  BOOST_TEST(lstm["keras"]["source"] == "keras_metadata.pb");
  BOOST_TEST(lstm["meta_graphs"][0]["signatures"]["serving_default"]["inputs"]["input_1"]["shape"] == Json::array({-1, 5, 3}));
  BOOST_TEST(lstm["has_fingerprint"] == true);
}

BOOST_AUTO_TEST_CASE(a_non_keras_savedmodel_is_inspected_but_not_loaded_as_a_keras_model) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  const fs::path folder = *real / "tfserving_tf2_savedmodel_half_plus_two" ;
  // The fixture keeps its version folder; find the folder that holds saved_model.pb.
  fs::path saved;
  for (const auto& entry : fs::recursive_directory_iterator(folder))
    if (entry.path().filename() == "saved_model.pb") saved = entry.path().parent_path();
  BOOST_TEST_REQUIRE(!saved.empty());
  const Json info = get_format("savedmodel")->inspect(saved);
  BOOST_TEST(info["meta_graphs"][0]["signatures"].contains("serving_default"));
  const std::string message = error_of([&] { load_model(saved); });
  BOOST_TEST_MESSAGE(message);
  BOOST_TEST(message.find("not a Keras model") != std::string::npos);
}
