// `ksave fit --tensorboard DIR --history FILE.csv` and `ksave plot MODEL -o OUT`: the files they
// write, their usage errors (exit 2) and their runtime errors (exit 1, one line).
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include "cli_runner.hpp"
#include "ksave/npy.hpp"
#include "ksave/tensor.hpp"
#include "support/test_data.hpp"

using ksave::test::contains;
using ksave::test::read_text;
using ksave::test::run_ksave;
namespace fs = std::filesystem;

namespace {

std::size_t files_in(const fs::path& dir) {
  std::size_t n = 0;
  for (const auto& entry : fs::directory_iterator(dir)) n += entry.path().filename().string().rfind("events.out.tfevents.", 0) == 0;
  return n;
}

// A TensorFlow.js artifact (architecture and training config) of a 2 → 3 → 1 model, and data.
struct Case {
  fs::path dir, model, x, y;
  explicit Case(const std::string& name)
      : dir(ksave::test::scratch_dir(name)), model(dir / "model.json"), x(dir / "x.npy"), y(dir / "y.npy") {
    std::ofstream(model) << R"({"format": "layers-model", "modelTopology": {"class_name": "Sequential", "config": {
      "name": "seq", "layers": [
        {"class_name": "Dense", "config": {"name": "hidden", "units": 3, "activation": "relu", "batch_input_shape": [null, 2]}},
        {"class_name": "Dense", "config": {"name": "out", "units": 1}}]}},
      "trainingConfig": {"loss": "mean_squared_error", "metrics": {},
                         "optimizer_config": {"class_name": "SGD", "config": {"learningRate": 0.05}}}})";
    std::vector<float> xs, ys;
    for (int i = 0; i < 8; ++i) {
      xs.insert(xs.end(), {static_cast<float>(i) / 8, 1.0f - static_cast<float>(i) / 8});
      ys.push_back(static_cast<float>(i % 3));
    }
    ksave::write_npy(x, ksave::Tensor::from_vector<float>(xs, {8, 2}));
    ksave::write_npy(y, ksave::Tensor::from_vector<float>(ys, {8, 1}));
  }
  std::vector<std::string> fit_args(std::vector<std::string> extra) const {
    std::vector<std::string> args{"fit", model.string(), "--x", x.string(), "--y", y.string(), "--epochs", "3",
                                  "--batch-size", "2", "--verbose", "0", "--save", (dir / "trained.json").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(fit_writes_tensorboard_logs_and_a_csv_history) {
  const Case c("cli_fit_logs");
  const auto r = run_ksave(c.fit_args({"--validation-split", "0.25", "--tensorboard", (c.dir / "logs").string(),
                                       "--histogram-freq", "1", "--update-freq", "batch", "--history",
                                       (c.dir / "history.csv").string()}));
  BOOST_TEST_REQUIRE(r.status == 0, r.err);
  BOOST_TEST(files_in(c.dir / "logs" / "train") == 1u);
  BOOST_TEST(files_in(c.dir / "logs" / "validation") == 1u);
  const std::string history = read_text(c.dir / "history.csv");
  BOOST_TEST(history.rfind("epoch,loss,val_loss\r\n0,", 0) == 0u, history);
  BOOST_TEST(std::count(history.begin(), history.end(), '\n') == 4);
}

BOOST_AUTO_TEST_CASE(fit_log_option_errors) {
  const Case c("cli_fit_log_errors");
  BOOST_TEST(run_ksave(c.fit_args({"--tensorboard", (c.dir / "logs").string(), "--update-freq", "often"})).status == 2);
  BOOST_TEST(run_ksave(c.fit_args({"--histogram-freq", "1"})).status == 2);
  BOOST_TEST(run_ksave(c.fit_args({"--validation-split", "1.5"})).status == 2);
  // A log folder that cannot be made: an error before training, and nothing saved.
  std::ofstream(c.dir / "a_file") << "x";
  const auto r = run_ksave(c.fit_args({"--tensorboard", (c.dir / "a_file" / "logs").string()}));
  BOOST_TEST(r.status == 1);
  BOOST_TEST(r.err_lines().size() == 1u, r.err);
  BOOST_TEST(contains(r.err, "TensorBoard: cannot create the log folder"), r.err);
  BOOST_TEST(!fs::exists(c.dir / "trained.json"));
  const auto h = run_ksave(c.fit_args({"--history", (c.dir / "a_file" / "h.csv").string()}));
  BOOST_TEST(h.status == 1);
  BOOST_TEST(contains(h.err, "CSVLogger: cannot open"), h.err);
}

BOOST_AUTO_TEST_CASE(plot_writes_dot_and_svg) {
  const Case c("cli_plot");
  const auto dot = run_ksave({"plot", c.model.string(), "-o", (c.dir / "model.dot").string(), "--show-shapes"});
  BOOST_TEST_REQUIRE(dot.status == 0, dot.err);
  const std::string text = read_text(c.dir / "model.dot");
  BOOST_TEST(contains(text, R"(hidden [label="{hidden|Dense}|{input:|output:}|{{(None, 2)}|{(None, 3)}}"];)"), text);
  BOOST_TEST(contains(text, "hidden -> out;"), text);
  const auto svg = run_ksave({"plot", c.model.string(), "--output", (c.dir / "model.svg").string(), "--rankdir", "LR"});
  BOOST_TEST_REQUIRE(svg.status == 0, svg.err);
  BOOST_TEST(contains(read_text(c.dir / "model.svg"), "<svg"));
}

BOOST_AUTO_TEST_CASE(plot_errors) {
  const Case c("cli_plot_errors");
  BOOST_TEST(run_ksave({"plot", c.model.string()}).status == 2);
  BOOST_TEST(run_ksave({"plot", c.model.string(), "-o", "x.svg", "--rankdir", "up"}).status == 2);
  BOOST_TEST(run_ksave({"plot", c.model.string(), "-o", "x.svg", "--dpi", "0"}).status == 2);
  const std::string saved = std::getenv("PATH") ? std::getenv("PATH") : "";
  setenv("PATH", c.dir.c_str(), 1);  // no `dot` there
  const auto r = run_ksave({"plot", c.model.string(), "-o", (c.dir / "model.png").string()});
  setenv("PATH", saved.c_str(), 1);
  BOOST_TEST(r.status == 1);
  BOOST_TEST(r.err_lines().size() == 1u, r.err);
  BOOST_TEST(contains(r.err, "Debian package graphviz"), r.err);
  BOOST_TEST(!fs::exists(c.dir / "model.png"));
}
