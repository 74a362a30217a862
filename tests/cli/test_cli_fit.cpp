// `ksave fit`: trains with the training configuration a file records, then saves. The tfjs
// oracle's train_sgd_mse case gives the model, its training_config (tfjs form), the data and,
// with its HDF5 file, the initial weights, and the trained outputs.
#include <boost/test/unit_test.hpp>

#include <fstream>

#include "cli_runner.hpp"
#include "ksave/npy.hpp"
#include "ksave/saving.hpp"
#include "support/compare.hpp"
#include "support/oracle_case.hpp"
#include "support/test_data.hpp"

using ksave::Json;
using ksave::test::contains;
using ksave::test::read_text;
using ksave::test::run_ksave;
namespace fs = std::filesystem;

namespace {

struct TrainCase {
  ksave::test::OracleCase oracle;
  fs::path x, y, input;
};

// The oracle's train_sgd_mse case with its data written as .npy under `dir`.
TrainCase train_case(const fs::path& oracle_dir, const fs::path& dir) {
  TrainCase c{ksave::test::OracleCase::load(oracle_dir / "cases-sample" / "train_sgd_mse"), dir / "x.npy", dir / "y.npy",
              dir / "input.npy"};
  const Json& train = c.oracle.info.at("train");
  auto shape_of = [](const Json& entry) { return ksave::shape_from_json(entry.at("shape"), "oracle"); };
  ksave::write_npy(c.x, c.oracle.read_bin(train.at("x")[0].at("file"), shape_of(train.at("x")[0])));
  ksave::write_npy(c.y, c.oracle.read_bin(train.at("y")[0].at("file"), shape_of(train.at("y")[0])));
  ksave::write_npy(c.input, c.oracle.inputs.at(0));
  return c;
}

}  // namespace

BOOST_AUTO_TEST_CASE(fit_usage_and_runtime_errors) {
  const fs::path dir = ksave::test::scratch_dir("cli_fit_errors");
  const auto nowhere = run_ksave({"fit", "m.json", "--x", "x.npy", "--y", "y.npy", "--epochs", "1", "--batch-size", "2"});
  BOOST_TEST(nowhere.status == 2);
  BOOST_TEST(contains(nowhere.err, "--save-weights"), nowhere.err);
  BOOST_TEST(run_ksave({"fit", "m.json", "--x", "x.npy", "--y", "y.npy", "--epochs", "1", "--batch-size", "2", "--save", "o.json",
                        "--verbose", "5"}).status == 2);
  // A plain to_json file records no optimizer or loss.
  std::ofstream(dir / "plain.json") << R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
    {"class_name": "Dense", "config": {"name": "d", "units": 1, "batch_input_shape": [null, 2]}}]}})";
  const auto r = run_ksave({"fit", (dir / "plain.json").string(), "--x", "x.npy", "--y", "y.npy", "--epochs", "1",
                            "--batch-size", "2", "--save", (dir / "o.json").string()});
  BOOST_TEST(r.status == 1);
  BOOST_TEST(contains(r.err, "no training configuration"), r.err);
  BOOST_TEST(r.err_lines().size() == 1u);
}

BOOST_AUTO_TEST_CASE(fit_trains_a_tfjs_artifact_and_saves_it) {
  const auto oracle = ksave::test::oracle_dir();
  KSAVE_REQUIRE_DATA(oracle, "tfjs oracle");
  const fs::path dir = ksave::test::scratch_dir("cli_fit_tfjs");
  const TrainCase c = train_case(*oracle, dir);
  // tfjs's model.save(): the model and, beside it, tfjs's own training config.
  const Json artifact = {{"format", "layers-model"},
                         {"modelTopology", Json::parse(c.oracle.model_json)},
                         {"trainingConfig", Json::parse(read_text(c.oracle.dir / "training_config.json"))}};
  std::ofstream(dir / "model.json") << artifact.dump();
  const auto r = run_ksave({"fit", (dir / "model.json").string(), "--x", c.x.string(), "--y", c.y.string(), "--epochs", "3",
                            "--batch-size", "8", "--no-shuffle", "--verbose", "0", "--save", (dir / "trained.json").string()});
  BOOST_TEST_REQUIRE(r.status == 0, r.err);
  BOOST_TEST(contains(r.out, "trained 3 epochs"), r.out);
  BOOST_TEST(ksave::load_model(dir / "trained.json")->to_json() == ksave::load_model(dir / "model.json")->to_json());
}

BOOST_AUTO_TEST_CASE(fit_matches_the_oracle_training_from_its_hdf5_file) {
  const auto oracle = ksave::test::oracle_dir();
  KSAVE_REQUIRE_DATA(oracle, "tfjs oracle");
  const fs::path dir = ksave::test::scratch_dir("cli_fit_h5");
  const TrainCase c = train_case(*oracle, dir);
  const Json& train = c.oracle.info.at("train");
  // The architecture and tfjs's training config from a model.json, the initial weights from
  // the case's HDF5 file.
  const Json artifact = {{"format", "layers-model"},
                         {"modelTopology", Json::parse(c.oracle.model_json)},
                         {"trainingConfig", Json::parse(read_text(c.oracle.dir / "training_config.json"))}};
  std::ofstream(dir / "model.json") << artifact.dump();
  const fs::path trained = dir / "trained.h5";
  const auto r = run_ksave({"fit", (dir / "model.json").string(), "--weights", (c.oracle.dir / "model.h5").string(), "--x",
                            c.x.string(), "--y", c.y.string(), "--epochs", "3", "--batch-size", "8", "--no-shuffle",
                            "--verbose", "0", "--save", trained.string()});
  BOOST_TEST_REQUIRE(r.status == 0, r.err);
  const auto p = run_ksave({"predict", trained.string(), "--input", c.input.string(), "--output", (dir / "out.npy").string()});
  BOOST_TEST_REQUIRE(p.status == 0, p.err);
  const ksave::Tensor ours = ksave::read_npy(dir / "out.npy");
  const Json& expected = train.at("outputs_trained")[0];
  const ksave::Tensor theirs = c.oracle.read_bin(expected.at("file"), ksave::shape_from_json(expected.at("shape"), "oracle"));
  BOOST_TEST(ksave::test::close(ours, theirs, {.rtol = 1e-4, .atol = 1e-5}));
}
