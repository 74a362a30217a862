// The json format on real files: the standalone model JSON files of the real fixtures (Keras 1,
// Keras 2, tf.keras, KotlinDL), the tfjs oracle's model.json files, and predictions of the
// oracle cases built from Dense/Activation/Dropout layers against the oracle's outputs.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <fstream>

#include "ksave/saving.hpp"
#include "ksave/serialization.hpp"
#include "model_json_checks.hpp"
#include "support/oracle_case.hpp"
#include "support/test_data.hpp"

using ksave::Json;
namespace fs = std::filesystem;

namespace {

// Standalone model JSON files: `*_config.json`, `model.json`, `modelConfig.json` (MANIFEST.md).
std::vector<fs::path> fixture_model_json_files(const fs::path& real) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(real)) {
    if (!entry.is_regular_file()) continue;
    const std::string name = entry.path().filename().string();
    const bool config = name.size() > 12 && name.compare(name.size() - 12, 12, "_config.json") == 0;
    if (config || name == "model.json" || name == "modelConfig.json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// The layer classes the json tests run predictions with (the plugins this suite depends on).
bool uses_only_core_layers(const Json& model_json) {
  static const std::set<std::string> core = {"Dense", "Activation", "Dropout", "InputLayer", "Sequential", "Model", "Functional"};
  for (const auto& c : ksave::test::layer_classes(model_json))
    if (!core.count(c)) return false;
  return true;
}

}  // namespace

BOOST_AUTO_TEST_CASE(real_fixture_model_json_files_load_or_name_their_missing_classes) {
  const auto real = ksave::test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  const std::vector<fs::path> files = fixture_model_json_files(*real);
  BOOST_TEST(files.size() >= 5u);
  std::size_t loaded = 0;
  for (const fs::path& file : files) {
    BOOST_TEST_CONTEXT(file) {
      BOOST_TEST(ksave::detect_format(file)->name() == "json");
      // inspect describes every file, buildable or not.
      const Json d = ksave::get_format("json")->inspect(file);
      BOOST_TEST(!d["layers"].empty());
      ksave::ModelPtr model = ksave::test::load_or_check_missing(file);
      if (!model) continue;
      ++loaded;
      BOOST_TEST(d["summary"].is_string());
      BOOST_TEST(model->layers().size() == d["layers"].size());
      // What ksave writes for it reads back to the same JSON.
      BOOST_TEST(ksave::model_from_json(model->to_json())->to_json() == model->to_json());
    }
  }
  BOOST_TEST_MESSAGE(loaded << " of " << files.size() << " fixture model JSON files load with the plugins present");
}

// The same architecture written two ways by the same Keras: the full model's model_config
// attribute (read by the h5 format) and the standalone to_json file.
BOOST_AUTO_TEST_CASE(hdf5_model_config_matches_the_standalone_json) {
  const auto real = ksave::test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  try {
    ksave::get_format("h5");
  } catch (const ksave::Error&) {
    BOOST_TEST_MESSAGE("SKIPPED: no h5 format plugin in this build");
    return;
  }
  for (const fs::path& json_file : fixture_model_json_files(*real)) {
    const std::string name = json_file.filename().string();
    if (name.find("_config.json") == std::string::npos) continue;
    const fs::path h5_file = json_file.parent_path() / (name.substr(0, name.size() - 12) + "_model.h5");
    if (!fs::exists(h5_file)) continue;
    BOOST_TEST_CONTEXT(h5_file) {
      ksave::ModelPtr from_json = ksave::test::load_or_check_missing(json_file);
      if (!from_json) continue;
      ksave::LoadOptions architecture_only;
      architecture_only.compile = false;
      ksave::ModelPtr from_h5 = ksave::load_model(h5_file, architecture_only);
      // Keras <= 2.2.2 Sequential configs carry no model name, so each load gets a fresh
      // automatic one ("sequential_5", "sequential_6"): compare everything but that name.
      ksave::Json h5_config = ksave::Json::parse(from_h5->to_json());
      ksave::Json json_config = ksave::Json::parse(from_json->to_json());
      h5_config["config"].erase("name");
      json_config["config"].erase("name");
      BOOST_TEST(h5_config.dump() == json_config.dump());
    }
  }
}

BOOST_AUTO_TEST_CASE(oracle_model_json_files_load_when_their_classes_are_registered) {
  const auto oracle = ksave::test::oracle_dir();
  KSAVE_REQUIRE_DATA(oracle, "tfjs oracle");
  const auto cases = ksave::test::oracle_cases(*oracle);
  BOOST_TEST(cases.size() >= 40u);
  std::size_t loaded = 0;
  for (const fs::path& dir : cases) {
    BOOST_TEST_CONTEXT(dir.filename()) {
      if (ksave::test::load_or_check_missing(dir / "model.json")) ++loaded;
    }
  }
  BOOST_TEST_MESSAGE(loaded << " of " << cases.size() << " oracle models load with the plugins present");
}

BOOST_AUTO_TEST_CASE(oracle_dense_models_predict_the_oracle_outputs) {
  const auto oracle = ksave::test::oracle_dir();
  KSAVE_REQUIRE_DATA(oracle, "tfjs oracle");
  std::size_t checked = 0;
  for (const fs::path& dir : ksave::test::oracle_cases(*oracle)) {
    const ksave::test::OracleCase c = ksave::test::OracleCase::load(dir);
    if (c.info.value("kind", "") != "predict" || !uses_only_core_layers(Json::parse(c.model_json))) continue;
    BOOST_TEST_CONTEXT(dir.filename()) {
      ksave::ModelPtr model = ksave::load_model(dir / "model.json");
      c.assign_weights(*model);
      const ksave::Tensors outputs = model->predict(c.inputs);
      BOOST_TEST_REQUIRE(outputs.size() == c.outputs.size());
      for (std::size_t i = 0; i < outputs.size(); ++i) {
        BOOST_TEST(outputs[i].shape() == c.outputs[i].shape(), boost::test_tools::per_element());
        const auto ours = outputs[i].to_vector<double>(), theirs = c.outputs[i].to_vector<double>();
        BOOST_TEST_REQUIRE(ours.size() == theirs.size());
        double worst = 0;
        std::size_t bad = 0;
        for (std::size_t k = 0; k < ours.size(); ++k) {
          const double diff = std::abs(ours[k] - theirs[k]);
          worst = std::max(worst, diff);
          if (!(diff <= c.atol + c.rtol * std::abs(theirs[k]))) ++bad;
        }
        BOOST_TEST(bad == 0u, "output " << i << ": " << bad << " values outside tolerance, largest |diff| " << worst);
      }
      ++checked;
    }
  }
  // dense_act_* (15), dense_no_bias, dropout_inference, functional_two_outputs.
  BOOST_TEST(checked >= 18u);
  BOOST_TEST_MESSAGE(checked << " oracle cases predicted through the json format");
}

// tfjs's model.save() stores model.getTrainingConfig() as "trainingConfig", with tfjs optimizer
// names and camelCase keys; the oracle records the Keras equivalent of each one it trains with.
BOOST_AUTO_TEST_CASE(tfjs_training_configs_read_as_keras_training_configs) {
  const auto oracle = ksave::test::oracle_dir();
  KSAVE_REQUIRE_DATA(oracle, "tfjs oracle");
  const fs::path dir = ksave::test::scratch_dir("format_json_tfjs_training");
  std::size_t checked = 0;
  for (const fs::path& case_dir : ksave::test::oracle_cases(*oracle)) {
    const ksave::test::OracleCase c = ksave::test::OracleCase::load(case_dir);
    if (c.info.value("kind", "") != "train") continue;
    BOOST_TEST_CONTEXT(case_dir.filename()) {
      const Json artifact = {{"format", "layers-model"}, {"generatedBy", "TensorFlow.js tfjs-layers v4.22.0"},
                             {"modelTopology", Json::parse(c.model_json)},
                             {"trainingConfig", ksave::test::read_json_file(case_dir / "training_config.json")}};
      const fs::path file = dir / (case_dir.filename().string() + ".json");
      std::ofstream(file) << artifact.dump();
      const Json config = ksave::get_format("json")->inspect(file)["training_config"];
      const Json& keras = c.info["train"]["optimizer"]["keras"];
      BOOST_TEST(config["optimizer_config"]["class_name"] == keras["class_name"]);
      for (const auto& [key, value] : config["optimizer_config"]["config"].items())
        BOOST_TEST(keras["config"].value(key, Json("absent")) == value, key);
      BOOST_TEST(config["loss"] == c.info["train"]["loss"]["keras"]);
      BOOST_TEST(config["metrics"] == Json::array());
      ++checked;
    }
  }
  BOOST_TEST(checked >= 13u);
}
