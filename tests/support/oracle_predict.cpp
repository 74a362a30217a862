#include "support/oracle_predict.hpp"

#include <boost/test/unit_test.hpp>

#include "ksave/serialization.hpp"
#include "support/compare.hpp"
#include "support/oracle_case.hpp"
#include "support/test_data.hpp"

namespace ksave::test {

void check_oracle_predict_case_at(const std::filesystem::path& case_dir) {
  const std::string name = case_dir.filename().string();
  BOOST_TEST_CONTEXT(name) {
    const OracleCase c = OracleCase::load(case_dir);
    const ModelPtr model = model_from_json(c.model_json);
    c.assign_weights(*model);
    const Tensors out = model->predict(c.inputs);
    BOOST_TEST_REQUIRE(out.size() == c.outputs.size());
    for (std::size_t i = 0; i < out.size(); ++i)
      BOOST_TEST(close(out[i], c.outputs[i], {c.rtol, c.atol}), name << " output " << i);
  }
}

void check_oracle_predict_case(const std::string& name) {
  const auto oracle = oracle_dir();
  KSAVE_REQUIRE_DATA(oracle, "the tfjs oracle");
  check_oracle_predict_case_at(*oracle / "cases-sample" / name);
}

}  // namespace ksave::test
