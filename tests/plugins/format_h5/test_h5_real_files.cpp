// Real Keras HDF5 files (../shared/fixtures/real) and the tfjs oracle's model.h5 files load and
// reproduce their expected outputs. The table adapts to the layer plugins present: a case whose
// layers are not all available must fail with an error naming every missing class, and counts as
// "waiting for layers" instead of passing.
#define BOOST_TEST_MODULE format_h5_real_files
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <sstream>

#include "h5_test_support.hpp"
#include "ksave/npy.hpp"
#include "ksave/saving.hpp"
#include "ksave/serialization.hpp"
#include "support/oracle_case.hpp"
#include "support/test_data.hpp"

namespace fs = std::filesystem;
using namespace ksave;

namespace {

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool is_hdf5(const fs::path& path) {
  try {
    return detect_format(path)->name() == "h5";
  } catch (const Error&) {
    return false;
  }
}

struct Tally {
  std::vector<std::string> passed, waiting, failed;
  void report(const std::string& what) const {
    auto list = [](const std::vector<std::string>& v) {
      std::string s;
      for (const auto& x : v) s += "\n    " + x;
      return s;
    };
    BOOST_TEST_MESSAGE(what << ": " << passed.size() << " pass, " << waiting.size() << " wait for layer plugins, "
                            << failed.size() << " fail" << "\n  pass:" << list(passed) << "\n  waiting:" << list(waiting)
                            << "\n  fail:" << list(failed));
  }
};

// Loads the model of one run and compares every output; records the outcome in `tally`.
void check_run(const fs::path& case_dir, const Json& run, const Json& tolerance, Tally& tally) {
  if (!run.contains("model")) return;  // checkpoint runs
  fs::path model_path = case_dir / run.at("model").get<std::string>();
  bool weights_run = run.contains("weights");
  fs::path h5_path = weights_run ? case_dir / run.at("weights").get<std::string>() : model_path;
  if (!is_hdf5(h5_path)) return;
  std::string label = case_dir.filename().string() + "/" + run.at("model").get<std::string>() +
                      (weights_run ? " + " + run.at("weights").get<std::string>() : "") +
                      (run.contains("note") ? " (" + run.at("note").get<std::string>() + ")" : "");
  // unknown_classes reads the tf.keras 2.x form only (Keras 1 and Keras <= 2.2.2 list configs
  // are normalized first).
  Json config = normalize_config(weights_run ? Json::parse(read_text(model_path)) : test::h5::read_model_config(model_path));
  ModelPtr model;
  try {
    LoadOptions options;
    options.compile = false;
    if (weights_run) {
      model = model_from_json(read_text(model_path));
      load_weights(*model, h5_path, options);
    } else {
      model = load_model(model_path, options);
    }
  } catch (const Error& e) {
    if (test::h5::names_every_missing_class(e.what(), config)) {
      std::string missing;
      for (const auto& c : unknown_classes(config)) missing += (missing.empty() ? "" : ", ") + c;
      tally.waiting.push_back(label + " [missing: " + missing + "]");
      return;
    }
    tally.failed.push_back(label + ": " + e.what());
    BOOST_ERROR(label << ": " << e.what());
    return;
  }
  Tensors inputs;
  for (const auto& f : run.at("inputs")) inputs.push_back(read_npy(case_dir / "expected" / f.get<std::string>()));
  std::int64_t batch = run.value("batch_size", std::int64_t{32});
  bool second_call = run.value("note", std::string()).find("second predict call") != std::string::npos;
  Tensors outputs;
  try {
    outputs = model->predict(inputs, batch);
    if (second_call) outputs = model->predict(inputs, batch);
  } catch (const Error& e) {
    tally.failed.push_back(label + ": predict failed: " + e.what());
    BOOST_ERROR(label << ": predict failed: " << e.what());
    return;
  }
  double rtol = tolerance.value("rtol", 1e-4), atol = tolerance.value("atol", 1e-5);
  const Json& expected = run.at("outputs");
  if (outputs.size() != expected.size()) {
    tally.failed.push_back(label + ": output count");
    BOOST_ERROR(label << ": " << outputs.size() << " outputs, expected " << expected.size());
    return;
  }
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    std::string detail;
    if (!test::h5::outputs_match(outputs[i], read_npy(case_dir / "expected" / expected[i].get<std::string>()), rtol, atol, detail)) {
      tally.failed.push_back(label + ": output " + std::to_string(i) + " " + detail);
      BOOST_ERROR(label << ": output " << i << " differs: " << detail);
      return;
    }
  }
  tally.passed.push_back(label);
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
    Json expected = Json::parse(read_text(dir / "expected" / "expected.json"));
    if (!expected.contains("runs")) continue;
    for (const auto& run : expected.at("runs")) check_run(dir, run, expected.value("tolerance", Json::object()), tally);
  }
  tally.report("real HDF5 fixtures");
  BOOST_TEST(tally.passed.size() + tally.waiting.size() >= 20u);  // every HDF5 run was seen
  BOOST_TEST(tally.passed.size() >= 2u);  // at least the Dense-only files load today
}

BOOST_AUTO_TEST_CASE(oracle_model_h5_files_load_and_reproduce_outputs) {
  auto oracle = test::oracle_dir();
  KSAVE_REQUIRE_DATA(oracle, "oracle");
  Tally tally;
  for (const auto& dir : test::oracle_cases(*oracle)) {
    if (!fs::exists(dir / "model.h5")) continue;
    test::OracleCase c = test::OracleCase::load(dir);
    std::string label = dir.filename().string();
    Json config = normalize_config(test::h5::read_model_config(dir / "model.h5"));
    ModelPtr model;
    try {
      LoadOptions options;
      options.compile = false;  // tfjs writes its own optimizer spellings (learningRate)
      model = load_model(dir / "model.h5", options);
    } catch (const Error& e) {
      if (test::h5::names_every_missing_class(e.what(), config)) {
        tally.waiting.push_back(label);
        continue;
      }
      tally.failed.push_back(label + ": " + e.what());
      BOOST_ERROR(label << ": " << e.what());
      continue;
    }
    Tensors outputs = model->predict(c.inputs);
    bool ok = outputs.size() == c.outputs.size();
    std::string detail;
    for (std::size_t i = 0; ok && i < outputs.size(); ++i) ok = test::h5::outputs_match(outputs[i], c.outputs[i], c.rtol, c.atol, detail);
    if (ok) {
      tally.passed.push_back(label);
    } else {
      tally.failed.push_back(label + ": " + detail);
      BOOST_ERROR(label << ": outputs differ: " << detail);
    }
  }
  tally.report("oracle model.h5 files");
  BOOST_TEST(tally.passed.size() >= 1u);
}
