// Helpers of the SavedModel suites: the real fixtures' folders and their expected/ runs.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "ksave/json.hpp"
#include "ksave/model.hpp"
#include "ksave/shape.hpp"
#include "ksave/npy.hpp"
#include "support/compare.hpp"

namespace ksave::test::savedmodel {

// <real>/<case>/<folder>: the SavedModel of a fixture case.
inline std::filesystem::path fixture_folder(const std::filesystem::path& real, const std::string& case_name,
                                            const std::string& folder) {
  return real / case_name / folder;
}

inline Json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  return Json::parse(in);
}

// |got - want| <= atol + rtol*|want| everywhere (the fixtures' rule, NaN-safe), reporting the worst element.
inline void check_close(const Tensor& got, const Tensor& want, double rtol, double atol, const std::string& what) {
  BOOST_TEST(test::close(got, want, {.rtol = rtol, .atol = atol}), what);
}

// Runs every entry of expected/expected.json's "runs" on `model` and compares the outputs.
inline void check_expected_runs(Model& model, const std::filesystem::path& expected_dir) {
  const Json expected = read_json(expected_dir / "expected.json");
  const double rtol = expected["tolerance"]["rtol"], atol = expected["tolerance"]["atol"];
  BOOST_TEST_REQUIRE(!expected["runs"].empty());
  for (const auto& run : expected["runs"]) {
    Tensors inputs;
    for (const auto& file : run["inputs"]) inputs.push_back(read_npy(expected_dir / file.get<std::string>()));
    const Tensors outputs = model.predict(inputs);
    BOOST_TEST_REQUIRE(outputs.size() == run["outputs"].size());
    for (std::size_t i = 0; i < outputs.size(); ++i)
      check_close(outputs[i], read_npy(expected_dir / run["outputs"][i].get<std::string>()), rtol, atol,
                  expected_dir.string() + " output " + std::to_string(i));
  }
}

}  // namespace ksave::test::savedmodel
