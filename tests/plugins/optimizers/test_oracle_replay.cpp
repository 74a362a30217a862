// Replays the tfjs oracle's recorded training steps through the optimizers, without autodiff: for
// every training case whose tf.keras 2.x legacy update rule agrees with the recording
// (keras_equivalent.keras2_legacy), start from weights.json, apply step_K.grads.bin for K = 1..3
// with the case's Keras optimizer config and compare every trainable weight with
// step_K.weights.bin within the case's tolerance.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <filesystem>
#include <sstream>

#include "ksave/error.hpp"
#include "optimizer_test_support.hpp"
#include "support/compare.hpp"
#include "support/oracle_case.hpp"
#include "support/test_data.hpp"

namespace fs = std::filesystem;
using ksave::Json;
using ksave::Tensor;
using ksave::VariablePtr;
using ksave::test::OracleCase;
using ksave::test::OracleWeight;

namespace {

// cases-sample's training cases: 16, of which 14 follow tf.keras 2.x's legacy rules and 14 the
// Keras >= 2.11 rules (the oracle README's table lists the exceptions).
constexpr int kLegacyEquivalentCases = 14;
constexpr int kKerasNewEquivalentCases = 14;

// The gradients of step K, in grads.json order (the trainable weights, in weights.json order).
std::vector<OracleWeight> read_gradients(const OracleCase& c, const std::string& file) {
  std::ifstream in(c.dir / "grads.json");
  const Json index = Json::parse(in);
  const auto floats = static_cast<ksave::Dim>(fs::file_size(c.dir / file) / sizeof(float));
  const std::vector<float> all = c.read_bin(file, {floats}).to_vector<float>();
  std::vector<OracleWeight> out;
  for (const Json& entry : index.at("weights")) {
    OracleWeight w;
    w.layer = entry.at("layer").get<std::string>();
    w.name = entry.at("name").get<std::string>();
    const ksave::Shape shape = ksave::shape_from_json(entry.at("shape"), "grads.json");
    const std::size_t begin = entry.at("offset_bytes").get<std::size_t>() / sizeof(float);
    const auto count = static_cast<std::size_t>(ksave::num_elements(shape));
    BOOST_REQUIRE_LE(begin + count, all.size());
    w.value = Tensor::from_vector<float>(std::vector<float>(all.begin() + begin, all.begin() + begin + count), shape);
    out.push_back(std::move(w));
  }
  return out;
}

struct ReplayResult {
  double worst_ratio = 0.0;
  std::string worst_at;
};

// Runs the case's three steps with `optimizer_config` (the case's Keras config by default);
// returns the worst tolerance ratio over every weight and step.
ReplayResult replay(const OracleCase& c, Json optimizer_config = nullptr) {
  if (optimizer_config.is_null()) optimizer_config = c.info.at("train").at("optimizer").at("keras");
  std::vector<VariablePtr> variables;
  for (const OracleWeight& w : c.weights())
    if (w.trainable)
      variables.push_back(std::make_shared<ksave::Variable>(w.layer + "/" + w.name + ":0", w.value.clone()));
  const ksave::OptimizerPtr optimizer = ksave::test::make_optimizer(optimizer_config);
  ReplayResult result;
  for (const Json& s : c.info.at("train").at("steps")) {
    const std::vector<OracleWeight> grads = read_gradients(c, s.at("grads_file").get<std::string>());
    BOOST_REQUIRE_EQUAL(grads.size(), variables.size());
    std::vector<std::pair<Tensor, VariablePtr>> pairs;
    for (std::size_t i = 0; i < grads.size(); ++i) {
      BOOST_REQUIRE_EQUAL(grads[i].layer + "/" + grads[i].name + ":0", variables[i]->name());
      pairs.emplace_back(grads[i].value, variables[i]);
    }
    optimizer->apply_gradients(pairs);
    std::size_t j = 0;
    for (const OracleWeight& expected : c.weights(s.at("weights_file").get<std::string>())) {
      if (!expected.trainable) continue;
      // The largest |ours - oracle| / (atol + rtol |oracle|), NaN-safe: <= 1 is within tolerance.
      const double ratio = ksave::test::compare(variables[j]->value(), expected.value, {c.rtol, c.atol}).worst;
      if (ratio >= result.worst_ratio) {
        result.worst_ratio = ratio;
        result.worst_at = variables[j]->name() + " after step " + s.at("step").dump();
      }
      ++j;
    }
  }
  BOOST_TEST(optimizer->iterations()->value().item() == double(c.info.at("train").at("steps").size()));
  return result;
}

}  // namespace

BOOST_AUTO_TEST_CASE(oracle_training_steps_replay_within_tolerance) {
  const auto oracle = ksave::test::oracle_dir();
  KSAVE_REQUIRE_DATA(oracle, "the tfjs oracle");
  int replayed = 0;
  for (const fs::path& dir : ksave::test::oracle_cases(*oracle)) {
    const OracleCase c = OracleCase::load(dir);
    if (c.info.value("kind", "") != "train") continue;
    const bool legacy = c.info.at("train").at("keras_equivalent").at("keras2_legacy").get<bool>();
    const ReplayResult r = replay(c);
    BOOST_TEST_MESSAGE(dir.filename().string() << ": worst tolerance ratio " << r.worst_ratio << " ("
                                               << r.worst_at << ")" << (legacy ? "" : " [keras2_legacy false]"));
    if (legacy) {
      BOOST_TEST(r.worst_ratio <= 1.0, dir.filename().string() << ": " << r.worst_at << " ratio " << r.worst_ratio);
      ++replayed;
    }
  }
  BOOST_TEST_MESSAGE("replayed " << replayed << " oracle training cases");
  BOOST_TEST(replayed == kLegacyEquivalentCases);
}

// tfjs adds Adam's epsilon to the bias-corrected sqrt; tf.keras uses "epsilon hat". With the
// default epsilon 1e-7 the two differ far beyond the tolerance, and ksave must side with Keras.
BOOST_AUTO_TEST_CASE(adam_epsilon_placement_is_keras_not_tfjs) {
  const auto oracle = ksave::test::oracle_dir();
  KSAVE_REQUIRE_DATA(oracle, "the tfjs oracle");
  const OracleCase c = OracleCase::load(*oracle / "cases-sample" / "train_adam_default_eps_cce");
  BOOST_TEST(!c.info.at("train").at("keras_equivalent").at("keras2_legacy").get<bool>());
  BOOST_TEST(replay(c).worst_ratio > 10.0);
}

// The same recordings through the Keras >= 2.11 / Keras 3 rules (the config in Keras 3's form):
// every case whose keras_new rule agrees, including train_rmsprop_mse, where tfjs and the new
// optimizers put RMSprop's epsilon inside the square root and the legacy one does not.
BOOST_AUTO_TEST_CASE(oracle_training_steps_replay_with_keras3_configs) {
  const auto oracle = ksave::test::oracle_dir();
  KSAVE_REQUIRE_DATA(oracle, "the tfjs oracle");
  int replayed = 0;
  for (const fs::path& dir : ksave::test::oracle_cases(*oracle)) {
    const OracleCase c = OracleCase::load(dir);
    if (c.info.value("kind", "") != "train") continue;
    if (!c.info.at("train").at("keras_equivalent").at("keras_new").get<bool>()) continue;
    Json config = c.info.at("train").at("optimizer").at("keras");
    config["config"]["weight_decay"] = nullptr;  // marks a Keras 3 config
    const ReplayResult r = replay(c, config);
    BOOST_TEST_MESSAGE(dir.filename().string() << " (Keras 3 config): worst tolerance ratio " << r.worst_ratio);
    BOOST_TEST(r.worst_ratio <= 1.0, dir.filename().string() << ": " << r.worst_at << " ratio " << r.worst_ratio);
    ++replayed;
  }
  BOOST_TEST(replayed == kKerasNewEquivalentCases);
}
