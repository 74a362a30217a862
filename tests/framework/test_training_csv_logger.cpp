// CSVLogger as tf.keras 2.21 writes it (the layouts below are those of real CSVLogger files:
// "epoch" then the sorted keys, val_ columns of "NA" without validation, "\r\n" line ends,
// Python's float repr), appending, quoting, errors; fit's on_test_begin/on_test_end hooks.
#define BOOST_TEST_MODULE training csv logger
#include <boost/test/unit_test.hpp>

#include <fstream>

#include "support/test_data.hpp"
#include "test_training_support.hpp"

using namespace ksave;
using namespace training_test;
namespace fs = std::filesystem;

namespace {

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t end = text.find("\r\n", at);
    BOOST_REQUIRE_MESSAGE(end != std::string::npos, "a line without \\r\\n: " << text.substr(at));
    lines.push_back(text.substr(at, end - at));
    at = end + 2;
  }
  return lines;
}

// Records the hooks fit calls around validation.
class TestHooks : public Callback {
 public:
  void on_test_begin(Model&) override { events.push_back("test_begin"); }
  void on_test_end(Model&, const Logs& logs) override {
    std::string keys;
    for (const auto& [k, _] : logs) keys += k + ",";
    events.push_back("test_end:" + keys);
  }
  void on_epoch_end(Model&, int epoch, const Logs&) override { events.push_back("epoch_end " + std::to_string(epoch)); }
  std::vector<std::string> events;
};

std::shared_ptr<Sequential> compiled_linear() {
  register_plain_descent();
  auto model = linear_model(0.5f, 0.0f);
  model->compile(plain(0.1), "mean_squared_error", Json::array({"mae"}));
  return model;
}

}  // namespace

BOOST_AUTO_TEST_CASE(rows_as_tf_keras_writes_them) {
  const fs::path dir = ksave::test::scratch_dir("csv_rows");
  auto model = compiled_linear();
  const Tensor x = F({1, 2, 3, 4}, {4, 1}), y = F({2, 4, 6, 8}, {4, 1});
  FitOptions options;
  options.epochs = 3;
  options.batch_size = 2;
  options.shuffle = false;
  options.verbose = 0;
  options.callbacks = {std::make_shared<CSVLogger>(dir / "plain.csv")};
  const History history = model->fit({x}, {y}, options);
  const auto lines = lines_of(read_text(dir / "plain.csv"));
  BOOST_REQUIRE_EQUAL(lines.size(), 4u);
  BOOST_TEST(lines[0] == "epoch,loss,mae,val_loss,val_mae");
  // Every value as Python prints a float: the shortest digits that read back the same.
  for (int epoch = 0; epoch < 3; ++epoch) {
    const std::string& row = lines[static_cast<std::size_t>(epoch) + 1];
    BOOST_TEST(row.rfind(std::to_string(epoch) + ",", 0) == 0u, row);
    BOOST_TEST(row.substr(row.size() - 6) == ",NA,NA", row);
    const std::string loss = row.substr(row.find(',') + 1, row.find(',', 2) - row.find(',') - 1);
    BOOST_TEST(std::stod(loss) == history.history.at("loss")[static_cast<std::size_t>(epoch)], row);
  }

  // With validation the val_ columns hold values; another separator.
  options.validation_split = 0.5;
  options.callbacks = {std::make_shared<CSVLogger>(dir / "val.csv", ';')};
  model->fit({x}, {y}, options);
  const auto val_lines = lines_of(read_text(dir / "val.csv"));
  BOOST_REQUIRE_EQUAL(val_lines.size(), 4u);
  BOOST_TEST(val_lines[0] == "epoch;loss;mae;val_loss;val_mae");
  BOOST_TEST(val_lines[1].find("NA") == std::string::npos, val_lines[1]);
}

BOOST_AUTO_TEST_CASE(python_float_repr_in_rows_and_checkpoint_paths) {
  const fs::path dir = ksave::test::scratch_dir("csv_repr");
  auto model = compiled_linear();
  CSVLogger logger(dir / "repr.csv");
  logger.on_train_begin(*model);
  logger.on_epoch_end(*model, 0, {{"a", 0.1}, {"b", 100.0}, {"c", 1e-5}, {"d", 1e16}, {"e", -0.00012}, {"f", 2.5e-7},
                                  {"g", 1234567.125}, {"h", 0.0}, {"val_a", 1.0 / 3.0}});
  logger.on_epoch_end(*model, 1, {{"a", 0.30000001192092896}});  // a float32 0.3 widened, as Keras logs it
  logger.on_train_end(*model);
  const auto lines = lines_of(read_text(dir / "repr.csv"));
  BOOST_REQUIRE_EQUAL(lines.size(), 3u);
  BOOST_TEST(lines[0] == "epoch,a,b,c,d,e,f,g,h,val_a");
  BOOST_TEST(lines[1] == "0,0.1,100.0,1e-05,1e+16,-0.00012,2.5e-07,1234567.125,0.0,0.3333333333333333");
  BOOST_TEST(lines[2] == "1,0.30000001192092896,NA,NA,NA,NA,NA,NA,NA,NA");

  BOOST_TEST(format_keras_path("w-{val_loss}.h5", {{"val_loss", 0.123}}) == "w-0.123.h5");
  BOOST_TEST(format_keras_path("w-{val_loss:g}.h5", {{"val_loss", 0.123456789}}) == "w-0.123457.h5");
  BOOST_TEST(format_keras_path("e{epoch}", {{"epoch", 7}}) == "e7");
}

BOOST_AUTO_TEST_CASE(append_writes_the_header_once_and_fields_are_quoted) {
  const fs::path dir = ksave::test::scratch_dir("csv_append");
  auto model = compiled_linear();
  for (int run = 0; run < 2; ++run) {
    CSVLogger logger(dir / "log.csv", ',', true);
    logger.on_train_begin(*model);
    logger.on_epoch_end(*model, run, {{"loss", 1.5}, {"x,y", 2.0}, {"q\"t", 3.0}});
    logger.on_train_end(*model);
  }
  const auto lines = lines_of(read_text(dir / "log.csv"));
  BOOST_REQUIRE_EQUAL(lines.size(), 3u);
  BOOST_TEST(lines[0] == R"(epoch,loss,"q""t","x,y",val_loss,"val_q""t","val_x,y")");
  BOOST_TEST(lines[1] == "0,1.5,3.0,2.0,NA,NA,NA");
  BOOST_TEST(lines[2] == "1,1.5,3.0,2.0,NA,NA,NA");

  // Without append the file starts again.
  CSVLogger fresh(dir / "log.csv");
  fresh.on_train_begin(*model);
  fresh.on_epoch_end(*model, 0, {{"loss", 1.0}});
  fresh.on_train_end(*model);
  BOOST_TEST(lines_of(read_text(dir / "log.csv")).size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_file_that_cannot_be_written_is_an_error_at_the_start_of_fit) {
  const fs::path dir = ksave::test::scratch_dir("csv_errors");
  std::ofstream(dir / "not_a_folder") << "x";
  auto model = compiled_linear();
  FitOptions options;
  options.verbose = 0;
  options.callbacks = {std::make_shared<CSVLogger>(dir / "not_a_folder" / "history.csv")};
  expect_error([&] { model->fit({F({1, 2}, {2, 1})}, {F({2, 4}, {2, 1})}, options); },
               "CSVLogger: cannot open '" + (dir / "not_a_folder" / "history.csv").string() + "' for writing");
  BOOST_CHECK_THROW(CSVLogger(dir / "x.csv", '"'), UsageError);
  BOOST_CHECK_THROW(CSVLogger(""), UsageError);
}

BOOST_AUTO_TEST_CASE(fit_calls_the_test_hooks_around_validation) {
  auto model = compiled_linear();
  auto hooks = std::make_shared<TestHooks>();
  FitOptions options;
  options.epochs = 2;
  options.batch_size = 2;
  options.verbose = 0;
  options.validation_split = 0.5;
  options.callbacks = {hooks};
  model->fit({F({1, 2, 3, 4}, {4, 1})}, {F({2, 4, 6, 8}, {4, 1})}, options);
  BOOST_TEST(hooks->events == (std::vector<std::string>{"test_begin", "test_end:loss,mae,", "epoch_end 0", "test_begin",
                                                        "test_end:loss,mae,", "epoch_end 1"}));
  hooks->events.clear();
  options.validation_split = 0;
  model->fit({F({1, 2, 3, 4}, {4, 1})}, {F({2, 4, 6, 8}, {4, 1})}, options);
  BOOST_TEST(hooks->events == (std::vector<std::string>{"epoch_end 0", "epoch_end 1"}));
}
