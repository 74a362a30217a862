// `ksave predict` on SavedModels that are not Keras models: the tf-serving half_plus_two models
// (a TF2 tf.Module and a TF1 graph) run their serving_default signature.
#define BOOST_TEST_MODULE cli_signatures
#include <boost/test/unit_test.hpp>

#include "cli_runner.hpp"
#include "ksave/npy.hpp"
#include "support/test_data.hpp"

namespace fs = std::filesystem;
using ksave::test::run_ksave;

namespace {

// Predicts with the case's input_0.npy and compares with its output_0.npy (exact: y = 0.5x + 2).
void check_serving_prediction(const fs::path& real, const std::string& case_name, const std::string& folder) {
  const fs::path expected = real / case_name / "expected";
  const fs::path out = ksave::test::scratch_dir("cli_signature_" + case_name) / "y.npy";
  const auto r = run_ksave({"predict", (real / case_name / folder).string(), "--input", (expected / "input_0.npy").string(),
                            "--output", out.string()});
  BOOST_TEST_REQUIRE(r.status == 0, r.err);
  BOOST_TEST(r.err.find("serving_default") != std::string::npos, r.err);
  const auto got = ksave::read_npy(out).to_vector<float>(), want = ksave::read_npy(expected / "output_0.npy").to_vector<float>();
  BOOST_TEST(got == want, boost::test_tools::per_element());
}

}  // namespace

BOOST_AUTO_TEST_CASE(predict_runs_serving_default_of_non_keras_savedmodels) {
  const auto real = ksave::test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  check_serving_prediction(*real, "tfserving_tf2_savedmodel_half_plus_two", "saved_model_half_plus_two_tf2_cpu/00000123");
  check_serving_prediction(*real, "tfserving_tf1_savedmodel_half_plus_two", "saved_model_half_plus_two_cpu/00000123");
  // A float64 input is cast to the signature's float32, as Keras's predict casts.
  const fs::path scratch = ksave::test::scratch_dir("cli_signature_float64");
  ksave::write_npy(scratch / "x.npy", ksave::Tensor::from_vector<double>({2.0, 20.0}, {2, 1}));
  const auto cast = run_ksave({"predict", (*real / "tfserving_tf1_savedmodel_half_plus_two" / "saved_model_half_plus_two_cpu/00000123").string(),
                               "--input", (scratch / "x.npy").string(), "--output", (scratch / "y.npy").string()});
  BOOST_TEST_REQUIRE(cast.status == 0, cast.err);
  BOOST_TEST(ksave::read_npy(scratch / "y.npy").to_vector<float>() == (std::vector<float>{3.f, 12.f}), boost::test_tools::per_element());
  // Two outputs asked of a one-output signature: a one-line error, exit status 1.
  const fs::path real_case = *real / "tfserving_tf2_savedmodel_half_plus_two";
  const auto r = run_ksave({"predict", (real_case / "saved_model_half_plus_two_tf2_cpu/00000123").string(), "--input",
                            (real_case / "expected" / "input_0.npy").string(), "--output", "a.npy", "--output", "b.npy"});
  BOOST_TEST(r.status == 1);
  BOOST_TEST(r.err.find("gives 1 outputs") != std::string::npos, r.err);
}
