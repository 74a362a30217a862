// The tfjs oracle's predict cases as a check: build the model from the case's model.json, assign
// its weights, predict, and compare every output with tfjs's within the case's tolerance.
#pragma once

#include <filesystem>
#include <string>

namespace ksave::test {

// The case in `case_dir` (a folder gen.mjs wrote). Failures go through Boost.Test.
void check_oracle_predict_case_at(const std::filesystem::path& case_dir);
// The case `name` of the oracle's cases-sample; skipped (or failed under CI=true) without the
// oracle.
void check_oracle_predict_case(const std::string& name);

}  // namespace ksave::test
