// Real Keras HDF5 files (../shared/fixtures/real) and the tfjs oracle's model.h5 files load and
// reproduce their expected outputs, every one of them: the counts are the fixtures' own, so a
// run that stops loading, or a file that is no longer recognized, fails the suite. Where a
// fixture ships a layer's own output (an LSTM's hidden states, the logits before a softmax), that
// layer's output is compared too: a saturated final output can hide a wrong intermediate one.
#define BOOST_TEST_MODULE format_h5_real_files
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <regex>
#include <sstream>

#include "h5_test_support.hpp"
#include "ksave/npy.hpp"
#include "ksave/saving.hpp"
#include "ksave/serialization.hpp"
#include "support/compare.hpp"
#include "support/oracle_case.hpp"
#include "support/test_data.hpp"

namespace fs = std::filesystem;
using namespace ksave;

namespace {

// The fixtures' runs whose model (or weights) file is HDF5: 22 in 17 cases. The other runs
// (SavedModels, a Keras 3 zip, a TF1 graph) belong to the suites of their formats.
constexpr std::size_t kHdf5Runs = 22;
// Files of other formats among the runs' models, by format: the ones this suite leaves to others.
const std::map<std::string, std::size_t> kOtherFormatRuns = {{"keras", 2}, {"savedmodel", 7}};
// Per-layer outputs the fixtures ship (dl4j's activations/<layer>): an LSTM's and a SimpleRNN's
// hidden states, an MLP's logits.
constexpr std::size_t kLayerOutputs = 3;
// cases-sample's cases, each with a model.h5.
constexpr std::size_t kOracleModels = 56;

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Tally {
  std::vector<std::string> passed, failed;
  std::map<std::string, std::size_t> other_formats;  // runs left to other suites, by format
  std::size_t layer_outputs = 0;                      // per-layer outputs compared
  void fail(const std::string& what) {
    failed.push_back(what);
    BOOST_ERROR(what);
  }
  void report(const std::string& what) const {
    auto list = [](const std::vector<std::string>& v) {
      std::string s;
      for (const auto& x : v) s += "\n    " + x;
      return s;
    };
    BOOST_TEST_MESSAGE(what << ": " << passed.size() << " pass, " << failed.size() << " fail" << "\n  pass:" << list(passed)
                            << "\n  fail:" << list(failed));
  }
};

// The run's output `i` compared with its expected file; records a failure in `tally`.
bool same_outputs(const Tensors& outputs, const Tensors& expected, const Json& tolerance,
                  const std::string& label, Tally& tally) {
  if (outputs.size() != expected.size()) {
    tally.fail(label + ": " + std::to_string(outputs.size()) + " outputs, expected " + std::to_string(expected.size()));
    return false;
  }
  const test::Tolerance tol{tolerance.value("rtol", 1e-4), tolerance.value("atol", 1e-5)};
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const auto c = test::compare(outputs[i], expected[i], tol);
    if (!c.ok()) {
      tally.fail(label + ": output " + std::to_string(i) + ": " + c.describe());
      return false;
    }
  }
  return true;
}

// The outputs of the layers that `extra` names ("per-layer output `activations/<layer>`"),
// computed by a model from `model`'s inputs to that layer's output.
void check_layer_outputs(const fs::path& case_dir, const Json& expected, Model& model, const Tensors& inputs,
                         const Json& tolerance, const std::string& label, Tally& tally) {
  const std::regex layer_output("per-layer output `activations/([^`]+)`");
  for (const Json& extra : expected.value("extra", Json::array())) {
    std::smatch m;
    const std::string what = extra.value("what", "");
    if (!std::regex_search(what, m, layer_output)) continue;
    const std::string layer = m[1].str();
    auto partial = std::make_shared<Functional>(model.inputs(), KerasTensors{model.get_layer(layer)->output()}, "upto_" + layer);
    const Tensor want = read_npy(case_dir / "expected" / extra.at("file").get<std::string>());
    if (same_outputs(partial->predict(inputs), {want}, tolerance, label + " layer " + layer, tally)) ++tally.layer_outputs;
  }
}

// Loads the model of one run and compares every output (and the layer outputs the case ships);
// records the outcome in `tally`.
void check_run(const fs::path& case_dir, const Json& expected_json, const Json& run, Tally& tally) {
  if (!run.contains("model")) return;  // checkpoint runs
  const fs::path model_path = case_dir / run.at("model").get<std::string>();
  const bool weights_run = run.contains("weights");
  const fs::path h5_path = weights_run ? case_dir / run.at("weights").get<std::string>() : model_path;
  const std::string label = case_dir.filename().string() + "/" + run.at("model").get<std::string>() +
                            (weights_run ? " + " + run.at("weights").get<std::string>() : "") +
                            (run.contains("note") ? " (" + run.at("note").get<std::string>() + ")" : "");
  std::string format;
  try {
    format = detect_format(h5_path)->name();
  } catch (const Error& e) {
    tally.fail(label + ": no format recognizes it: " + e.what());
    return;
  }
  if (format != "h5") {
    ++tally.other_formats[format];
    return;
  }
  const Json tolerance = expected_json.value("tolerance", Json::object());
  try {
    LoadOptions options;
    options.compile = false;
    ModelPtr model;
    if (weights_run) {
      model = model_from_json(read_text(model_path));
      load_weights(*model, h5_path, options);
    } else {
      model = load_model(model_path, options);
    }
    Tensors inputs;
    for (const auto& f : run.at("inputs")) inputs.push_back(read_npy(case_dir / "expected" / f.get<std::string>()));
    const std::int64_t batch = run.value("batch_size", std::int64_t{32});
    const bool second_call = run.value("note", std::string()).find("second predict call") != std::string::npos;
    Tensors outputs = model->predict(inputs, batch);
    if (second_call) outputs = model->predict(inputs, batch);
    Tensors expected;
    for (const auto& f : run.at("outputs")) expected.push_back(read_npy(case_dir / "expected" / f.get<std::string>()));
    if (!same_outputs(outputs, expected, tolerance, label, tally)) return;
    if (!weights_run) check_layer_outputs(case_dir, expected_json, *model, inputs, tolerance, label, tally);
    tally.passed.push_back(label);
  } catch (const Error& e) {
    tally.fail(label + ": " + e.what());
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(real_keras_hdf5_fixtures_load_and_reproduce_outputs) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  Tally tally;
  std::vector<fs::path> cases;
  for (const auto& entry : fs::directory_iterator(*real))
    if (fs::exists(entry.path() / "expected" / "expected.json")) cases.push_back(entry.path());
  std::sort(cases.begin(), cases.end());
  for (const auto& dir : cases) {
    const Json expected = Json::parse(read_text(dir / "expected" / "expected.json"));
    for (const auto& run : expected.value("runs", Json::array())) check_run(dir, expected, run, tally);
  }
  tally.report("real HDF5 fixtures");
  BOOST_TEST(tally.failed.empty());
  BOOST_TEST(tally.passed.size() == kHdf5Runs);
  BOOST_TEST((tally.other_formats == kOtherFormatRuns));
  BOOST_TEST(tally.layer_outputs == kLayerOutputs);
}

BOOST_AUTO_TEST_CASE(oracle_model_h5_files_load_and_reproduce_outputs) {
  auto oracle = test::oracle_dir();
  KSAVE_REQUIRE_DATA(oracle, "oracle");
  Tally tally;
  std::size_t cases = 0;
  for (const auto& dir : test::oracle_cases(*oracle)) {
    ++cases;
    const std::string label = dir.filename().string();
    if (!fs::exists(dir / "model.h5")) {
      tally.fail(label + ": no model.h5 (cases-sample is generated with --h5)");
      continue;
    }
    const test::OracleCase c = test::OracleCase::load(dir);
    try {
      LoadOptions options;
      options.compile = false;  // tfjs writes its own optimizer spellings (learningRate)
      ModelPtr model = load_model(dir / "model.h5", options);
      if (same_outputs(model->predict(c.inputs), c.outputs, {{"rtol", c.rtol}, {"atol", c.atol}}, label, tally))
        tally.passed.push_back(label);
    } catch (const Error& e) {
      tally.fail(label + ": " + e.what());
    }
  }
  tally.report("oracle model.h5 files");
  BOOST_TEST(cases == kOracleModels);
  BOOST_TEST(tally.passed.size() == kOracleModels);
}
