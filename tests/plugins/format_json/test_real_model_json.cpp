// The json format on real files: the standalone model JSON files of the real fixtures (Keras 1,
// Keras 2, tf.keras, KotlinDL), the tfjs oracle's model.json files, and predictions of every
// oracle predict case built from its model.json against the oracle's outputs.
#include <boost/test/unit_test.hpp>

#include <fstream>

#include "ksave/saving.hpp"
#include "ksave/serialization.hpp"
#include "model_json_checks.hpp"
#include "support/compare.hpp"
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

}  // namespace

BOOST_AUTO_TEST_CASE(real_fixture_model_json_files_load) {
  const auto real = ksave::test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  const std::vector<fs::path> files = fixture_model_json_files(*real);
  BOOST_TEST(files.size() == 5u);  // three dl4j *_config.json, KotlinDL's model.json and modelConfig.json
  std::size_t loaded = 0;
  for (const fs::path& file : files) {
    BOOST_TEST_CONTEXT(file) {
      BOOST_TEST(ksave::detect_format(file)->name() == "json");
      const Json d = ksave::get_format("json")->inspect(file);
      BOOST_TEST(!d["layers"].empty());
      ksave::ModelPtr model = ksave::load_model(file);
      ++loaded;
      BOOST_TEST(d["summary"].is_string());
      BOOST_TEST(model->layers().size() == d["layers"].size());
      // What ksave writes for it reads back to the same JSON.
      BOOST_TEST(ksave::model_from_json(model->to_json())->to_json() == model->to_json());
    }
  }
  BOOST_TEST(loaded == files.size());
}

// The same architecture written two ways by the same Keras: the full model's model_config
// attribute (read by the h5 format) and the standalone to_json file.
BOOST_AUTO_TEST_CASE(hdf5_model_config_matches_the_standalone_json) {
  const auto real = ksave::test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  std::size_t compared = 0;
  for (const fs::path& json_file : fixture_model_json_files(*real)) {
    const std::string name = json_file.filename().string();
    if (name.find("_config.json") == std::string::npos) continue;
    const fs::path h5_file = json_file.parent_path() / (name.substr(0, name.size() - 12) + "_model.h5");
    if (!fs::exists(h5_file)) continue;
    BOOST_TEST_CONTEXT(h5_file) {
      ksave::ModelPtr from_json = ksave::load_model(json_file);
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
      ++compared;
    }
  }
  BOOST_TEST(compared == 3u);  // the three dl4j cases
}

BOOST_AUTO_TEST_CASE(oracle_model_json_files_load) {
  const auto oracle = ksave::test::oracle_dir();
  KSAVE_REQUIRE_DATA(oracle, "tfjs oracle");
  const auto cases = ksave::test::oracle_cases(*oracle);
  BOOST_TEST(cases.size() == 56u);
  for (const fs::path& dir : cases) {
    BOOST_TEST_CONTEXT(dir.filename()) { BOOST_TEST(ksave::load_model(dir / "model.json")->layers().size() > 0u); }
  }
}

BOOST_AUTO_TEST_CASE(oracle_models_predict_the_oracle_outputs) {
  const auto oracle = ksave::test::oracle_dir();
  KSAVE_REQUIRE_DATA(oracle, "tfjs oracle");
  std::size_t checked = 0;
  for (const fs::path& dir : ksave::test::oracle_cases(*oracle)) {
    const ksave::test::OracleCase c = ksave::test::OracleCase::load(dir);
    if (c.info.value("kind", "") != "predict") continue;
    BOOST_TEST_CONTEXT(dir.filename()) {
      ksave::ModelPtr model = ksave::load_model(dir / "model.json");
      c.assign_weights(*model);
      const ksave::Tensors outputs = model->predict(c.inputs);
      BOOST_TEST_REQUIRE(outputs.size() == c.outputs.size());
      for (std::size_t i = 0; i < outputs.size(); ++i)
        BOOST_TEST(ksave::test::close(outputs[i], c.outputs[i], {c.rtol, c.atol}), "output " << i);
      ++checked;
    }
  }
  BOOST_TEST(checked == 40u);  // cases-sample's predict cases
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
  BOOST_TEST(checked == 16u);  // cases-sample's training cases
}
