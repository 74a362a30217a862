// `ksave predict` on SavedModels that are not Keras models: the tf-serving half_plus_two models
// (a TF2 tf.Module and a TF1 graph) run their serving_default signature.
#define BOOST_TEST_MODULE cli_signatures
#include <boost/test/unit_test.hpp>

#include <fstream>

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

// A Keras SavedModel whose keras_metadata.pb is empty or damaged falls back to its
// serving_default signature with one stderr line (a note); when the signature fails too, one
// error line names both reasons.
BOOST_AUTO_TEST_CASE(damaged_keras_metadata_falls_back_with_one_stderr_line) {
  const auto real = ksave::test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  const fs::path scratch = ksave::test::scratch_dir("cli_damaged_metadata");
  const fs::path model = scratch / "lstm_from_sequential";
  fs::remove_all(model);
  fs::copy(*real / "tfnet_kerassm_lstm_from_sequential" / "lstm_from_sequential", model, fs::copy_options::recursive);
  ksave::write_npy(scratch / "x.npy", ksave::Tensor::filled(ksave::DType::Float32, {2, 5, 3}, 0.5));
  ksave::write_npy(scratch / "wrong.npy", ksave::Tensor::filled(ksave::DType::Float32, {2, 4, 3}, 0.5));
  const auto intact = run_ksave({"predict", model.string(), "--input", (scratch / "x.npy").string(), "--output",
                                 (scratch / "keras.npy").string()});
  BOOST_TEST_REQUIRE(intact.status == 0, intact.err);
  for (const std::string damage : {"", "not a protobuf"}) {
    { std::ofstream(model / "keras_metadata.pb", std::ios::binary | std::ios::trunc) << damage; }
    const auto r = run_ksave({"predict", model.string(), "--input", (scratch / "x.npy").string(), "--output",
                              (scratch / "signature.npy").string()});
    BOOST_TEST_REQUIRE(r.status == 0, r.err);
    BOOST_TEST(r.err_lines().size() == 1u, r.err);
    BOOST_TEST(r.err.find("serving_default") != std::string::npos, r.err);
    const auto got = ksave::read_npy(scratch / "signature.npy").to_vector<float>();
    const auto want = ksave::read_npy(scratch / "keras.npy").to_vector<float>();
    BOOST_TEST_REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < got.size(); ++i) BOOST_TEST(got[i] == want[i], boost::test_tools::tolerance(1e-5f));
    const auto failed = run_ksave({"predict", model.string(), "--input", (scratch / "wrong.npy").string(), "--output",
                                   (scratch / "signature.npy").string()});
    BOOST_TEST(failed.status == 1);
    BOOST_TEST(failed.err_lines().size() == 1u, failed.err);
    BOOST_TEST(failed.err.find("keras_metadata") != std::string::npos, failed.err);
    BOOST_TEST(failed.err.find("expects shape") != std::string::npos, failed.err);
  }
}

// `ksave ckpt DIR` on a SavedModel folder lists DIR/variables/variables.
BOOST_AUTO_TEST_CASE(ckpt_on_a_savedmodel_folder_lists_its_variables) {
  const auto real = ksave::test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  const fs::path model = *real / "tfnet_kerassm_lstm_from_sequential" / "lstm_from_sequential";
  const auto folder = run_ksave({"ckpt", model.string()});
  BOOST_TEST_REQUIRE(folder.status == 0, folder.err);
  const auto prefix = run_ksave({"ckpt", (model / "variables" / "variables").string()});
  BOOST_TEST_REQUIRE(prefix.status == 0, prefix.err);
  BOOST_TEST(folder.out == prefix.out);
  BOOST_TEST(ksave::test::contains(folder.out, "22 variables"), folder.out);
}
