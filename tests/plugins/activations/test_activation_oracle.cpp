// Every activation the tfjs oracle covers (cases dense_act_*: Dense -> Dense, both with the
// activation), computed here with ops::matmul + bias_add + the plugin's activation, resolved
// from the case's own model JSON, against tfjs's predict output.
#include <boost/test/unit_test.hpp>

#include <map>
#include <string>

#include "ksave/objects.hpp"
#include "ksave/ops.hpp"
#include "support/compare.hpp"
#include "support/oracle_case.hpp"
#include "support/test_data.hpp"

using ksave::Json;
using ksave::Tensor;

BOOST_AUTO_TEST_CASE(dense_activation_cases_match_the_tfjs_oracle) {
  const auto oracle = ksave::test::oracle_dir();
  KSAVE_REQUIRE_DATA(oracle, "the tfjs oracle");
  int checked = 0;
  for (const auto& dir : ksave::test::oracle_cases(*oracle)) {
    if (dir.filename().string().rfind("dense_act_", 0) != 0) continue;
    BOOST_TEST_CONTEXT(dir.filename().string()) {
      const auto c = ksave::test::OracleCase::load(dir);
      std::map<std::string, Tensor> weights;  // "layer/name"
      for (const auto& w : c.weights()) weights[w.layer + "/" + w.name] = w.value;
      const Json model = Json::parse(c.model_json);
      Tensor h = c.inputs.at(0);
      for (const Json& layer : model.at("config").at("layers")) {
        const Json& config = layer.at("config");
        const std::string name = config.at("name").get<std::string>();
        h = ksave::ops::bias_add(ksave::ops::matmul(h, weights.at(name + "/kernel")), weights.at(name + "/bias"));
        h = ksave::get_activation(config.at("activation"))(h);
      }
      const Tensor& expected = c.outputs.at(0);
      BOOST_TEST(ksave::test::close(h, expected, {c.rtol, c.atol}));
      ++checked;
    }
  }
  BOOST_TEST_MESSAGE("checked " << checked << " oracle cases");
  BOOST_TEST(checked == 15);  // one case per activation tfjs has (the oracle's ACTIVATIONS)
}
