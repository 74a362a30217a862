// TensorBoard event files: TFRecord framing and its damage detection, the file's name and first
// event, the summaries' encodings (as TF2 writes them: checked against real tf-keras files in
// test_tensorboard_reader.py), TensorBoard's histogram buckets, and the TensorBoard callback's
// tags and steps through fit, its errors at the start and its warnings afterwards.
#define BOOST_TEST_MODULE tensorboard
#include <boost/test/unit_test.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>

#include "framework/test_training_support.hpp"
#include "ksave/tensorboard.hpp"
#include "ksave/tensorboard/records.hpp"
#include "ksave_tf_event.pb.h"
#include "support/test_data.hpp"

using namespace ksave;
using namespace training_test;
using ksave::tensorboard::read_records;
namespace fs = std::filesystem;
namespace tfproto = ksave::tfproto;

namespace {

// The single event file in `dir`.
fs::path event_file_in(const fs::path& dir) {
  std::vector<fs::path> found;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().filename().string().rfind("events.out.tfevents.", 0) == 0) found.push_back(entry.path());
  BOOST_REQUIRE_EQUAL(found.size(), 1u);
  return found[0];
}

std::vector<tfproto::Event> events_of(const fs::path& file) {
  const auto scan = read_records(file);
  BOOST_TEST(scan.problem.empty(), scan.problem);
  std::vector<tfproto::Event> events;
  for (const auto& record : scan.records) {
    tfproto::Event event;
    BOOST_REQUIRE(event.ParseFromString(record));
    events.push_back(event);
  }
  return events;
}

struct Scalar {
  std::int64_t step;
  float value;
  bool operator==(const Scalar& o) const { return step == o.step && value == o.value; }
};

// Every scalar summary of `tag`, in file order, checked to be encoded as tf.summary.scalar.
std::vector<Scalar> scalars(const std::vector<tfproto::Event>& events, const std::string& tag) {
  std::vector<Scalar> out;
  for (const auto& e : events)
    for (const auto& v : e.summary().value()) {
      if (v.tag() != tag) continue;
      BOOST_TEST(v.metadata().plugin_data().plugin_name() == "scalars");
      BOOST_TEST(v.tensor().dtype() == tfproto::DT_FLOAT);
      BOOST_TEST(v.tensor().tensor_shape().dim_size() == 0);
      BOOST_REQUIRE_EQUAL(v.tensor().tensor_content().size(), 4u);
      float value = 0;
      std::memcpy(&value, v.tensor().tensor_content().data(), 4);
      out.push_back({e.step(), value});
    }
  return out;
}

std::vector<Scalar> expected(const std::vector<double>& values, std::int64_t first_step, std::int64_t stride) {
  std::vector<Scalar> out;
  for (std::size_t i = 0; i < values.size(); ++i)
    out.push_back({first_step + stride * static_cast<std::int64_t>(i), static_cast<float>(values[i])});
  return out;
}

std::set<std::string> tags_of(const std::vector<tfproto::Event>& events) {
  std::set<std::string> tags;
  for (const auto& e : events)
    for (const auto& v : e.summary().value()) tags.insert(v.tag());
  return tags;
}

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A compiled y = w x + b model and 8 rows of data (4 trained, 4 validated with split 0.5).
struct Run {
  std::shared_ptr<Sequential> model;
  Tensor x = F({1, 2, 3, 4, 5, 6, 7, 8}, {8, 1}), y = F({2, 4, 6, 8, 10, 12, 14, 16}, {8, 1});
  FitOptions options;
  Run() {
    register_plain_descent();
    model = std::make_shared<Sequential>(
        std::vector<LayerPtr>{Input({1}).layer(), make_layer("Dense", {{"units", 1}, {"name", "dense"}})});
    model->set_weights({F({0.5f}, {1, 1}), F({0.0f}, {1})});
    model->compile(plain(0.01), "mean_squared_error", Json::array({"mae"}));
    options.epochs = 2;
    options.batch_size = 2;
    options.shuffle = false;
    options.verbose = 0;
    options.validation_split = 0.5;
  }
  History fit(std::shared_ptr<Callback> callback) {
    options.callbacks.insert(options.callbacks.begin(), std::move(callback));
    return model->fit({x}, {y}, options);
  }
};

// std::cerr's text while the object lives.
class CaptureCerr {
 public:
  CaptureCerr() : saved_(std::cerr.rdbuf(text_.rdbuf())) {}
  ~CaptureCerr() { std::cerr.rdbuf(saved_); }
  std::string text() const { return text_.str(); }

 private:
  std::ostringstream text_;
  std::streambuf* saved_;
};

// From the start of training on, files may not grow past their size plus `slack` bytes (the
// disk-full case, as RLIMIT_FSIZE makes writes fail with EFBIG); lifted when training ends.
class FileSizeLimit : public Callback {
 public:
  explicit FileSizeLimit(fs::path file_dir, rlim_t slack) : dir_(std::move(file_dir)), slack_(slack) {}
  void on_train_begin(Model&) override {
    getrlimit(RLIMIT_FSIZE, &saved_);
    previous_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{fs::file_size(event_file_in(dir_)) + slack_, saved_.rlim_max};
    setrlimit(RLIMIT_FSIZE, &limit);
  }
  void on_train_end(Model&) override {
    setrlimit(RLIMIT_FSIZE, &saved_);
    std::signal(SIGXFSZ, previous_handler_);
  }

 private:
  fs::path dir_;
  rlim_t slack_;
  rlimit saved_{};
  void (*previous_handler_)(int) = SIG_DFL;
};

}  // namespace

BOOST_AUTO_TEST_CASE(records_round_trip_and_damage_is_found) {
  const fs::path dir = ksave::test::scratch_dir("tb_records");
  const std::vector<std::string> payloads{"", "a", std::string(1000, 'x') + "end"};
  {
    std::ofstream out(dir / "r", std::ios::binary);
    for (const auto& p : payloads) out << ksave::tensorboard::frame_record(p);
  }
  const auto scan = read_records(dir / "r");
  BOOST_TEST(scan.problem.empty());
  BOOST_TEST(scan.records == payloads);
  // uint64 length, its masked crc, the data, the data's masked crc.
  const std::string framed = ksave::tensorboard::frame_record("a");
  BOOST_TEST(framed.size() == 8u + 4u + 1u + 4u);
  BOOST_TEST(framed.substr(0, 8) == std::string("\x01\0\0\0\0\0\0\0", 8));

  std::string bytes = read_bytes(dir / "r");
  std::string damaged = bytes;
  damaged[16 + 17 + 12 + 5] ^= 1;  // a byte of the third record's data (after 16 + 17 bytes)
  std::ofstream(dir / "damaged", std::ios::binary) << damaged;
  const auto d = read_records(dir / "damaged");
  BOOST_TEST(d.records.size() == 2u);
  BOOST_TEST(d.problem.find("data crc mismatch at byte 33") == 0u, d.problem);

  std::ofstream(dir / "cut", std::ios::binary) << bytes.substr(0, bytes.size() - 3);
  const auto c = read_records(dir / "cut");
  BOOST_TEST(c.records.size() == 2u);
  BOOST_TEST(c.problem.find("truncated record at byte 33") == 0u, c.problem);
  BOOST_CHECK_THROW(read_records(dir / "missing"), Error);
}

BOOST_AUTO_TEST_CASE(summary_writer_file_name_first_event_and_encodings) {
  const fs::path dir = ksave::test::scratch_dir("tb_writer");
  const double before = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  fs::path path;
  {
    tensorboard::SummaryWriter writer(dir / "run" / "train");  // parents are created
    path = writer.path();
    writer.scalar("loss", 0.25, 7);
    writer.histogram("w/histogram", F({0, 1, 2, 3}, {2, 2}), 3, 2);
    writer.graph(std::string("\x0a\x03\x0a\x01x", 6), 4);  // GraphDef{node {name: "x"}}
    BOOST_TEST(writer.good());
  }  // flushed by the destructor
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  const std::regex name(R"(events\.out\.tfevents\.\d{10}\.)" + std::string(host) + "\\." + std::to_string(getpid()) +
                        R"(\.\d+\.v2)");
  BOOST_TEST(std::regex_match(path.filename().string(), name), path.filename().string());
  BOOST_TEST(path.parent_path() == dir / "run" / "train");

  const auto events = events_of(path);
  BOOST_REQUIRE_EQUAL(events.size(), 4u);
  BOOST_TEST(events[0].file_version() == "brain.Event:2");
  BOOST_TEST(events[0].step() == 0);
  BOOST_TEST(events[0].wall_time() >= std::floor(before));
  BOOST_TEST(events[0].wall_time() < before + 60);
  BOOST_TEST(scalars(events, "loss") == (std::vector<Scalar>{{7, 0.25f}}));
  const auto& histogram = events[2].summary().value(0);
  BOOST_TEST(events[2].step() == 3);
  BOOST_TEST(histogram.metadata().plugin_data().plugin_name() == "histograms");
  BOOST_TEST(histogram.tensor().dtype() == tfproto::DT_DOUBLE);
  BOOST_TEST(histogram.tensor().tensor_shape().dim(0).size() == 2);
  BOOST_TEST(histogram.tensor().tensor_shape().dim(1).size() == 3);
  std::vector<double> rows(6);
  BOOST_REQUIRE_EQUAL(histogram.tensor().tensor_content().size(), 48u);
  std::memcpy(rows.data(), histogram.tensor().tensor_content().data(), 48);
  BOOST_TEST(rows == (std::vector<double>{0, 1.5, 2, 1.5, 3, 2}));
  // tf.summary.graph: the serialized GraphDef as the event's graph_def, no summary.
  BOOST_TEST(events[3].step() == 4);
  BOOST_TEST(!events[3].has_summary());
  BOOST_TEST(events[3].graph_def() == std::string("\x0a\x03\x0a\x01x", 6));
}

BOOST_AUTO_TEST_CASE(histogram_buckets_as_tensorboard_computes_them) {
  using Rows = std::vector<std::array<double, 3>>;
  const Tensor ten = F({0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {10});
  // Width 9/5 = 1.8: floor(x / 1.8) puts two values in each bucket (9 clamped into the last).
  BOOST_TEST((tensorboard::histogram_buckets(ten, 5) ==
              Rows{{0, 1.8, 2}, {1.8, 3.6, 2}, {3.6, 0 + 1.8 * 3, 2}, {1.8 * 3, 1.8 * 4, 2}, {1.8 * 4, 9, 2}}));
  // One distinct value: every edge at it, every count in the last bucket.
  BOOST_TEST((tensorboard::histogram_buckets(F({3, 3, 3, 3}, {4}), 3) == Rows{{3, 3, 0}, {3, 3, 0}, {3, 3, 4}}));
  BOOST_TEST((tensorboard::histogram_buckets(F({}, {0}), 2) == Rows{{0, 0, 0}, {0, 0, 0}}));
  BOOST_TEST(tensorboard::histogram_buckets(ten, 0).empty());
  BOOST_TEST(tensorboard::histogram_buckets(ten).size() == 30u);
  const Tensor with_nan = F({1, std::nanf(""), 2}, {3});
  BOOST_TEST((tensorboard::histogram_buckets(with_nan, 1) == Rows{{1, 2, 2}}));
  BOOST_TEST((tensorboard::histogram_buckets(Tensor::from_vector<std::int32_t>({5, 7}, {2}), 2) ==
              Rows{{5, 6, 1}, {6, 7, 1}}));
}

BOOST_AUTO_TEST_CASE(callback_tags_and_steps_as_keras_writes_them) {
  const fs::path dir = ksave::test::scratch_dir("tb_callback");
  Run run;
  tensorboard::TensorBoardOptions options;
  options.histogram_freq = 1;
  options.update_freq = 1;
  const History history = run.fit(std::make_shared<tensorboard::TensorBoard>(dir, options));
  const auto train = events_of(event_file_in(dir / "train"));
  const auto validation = events_of(event_file_in(dir / "validation"));

  BOOST_TEST(tags_of(train) == (std::set<std::string>{"keras", "epoch_loss", "epoch_mae", "epoch_learning_rate",
                                                      "batch_loss", "batch_mae", "dense/kernel_0/histogram",
                                                      "dense/bias_0/histogram"}));
  BOOST_TEST(tags_of(validation) == (std::set<std::string>{"epoch_loss", "epoch_mae", "evaluation_loss_vs_iterations",
                                                           "evaluation_mae_vs_iterations"}));

  // The conceptual graph: the model's JSON at step 0, as keras_model_summary writes it.
  const auto& keras = train[1].summary().value(0);
  BOOST_TEST(keras.tag() == "keras");
  BOOST_TEST(train[1].step() == 0);
  BOOST_TEST(keras.metadata().plugin_data().plugin_name() == "graph_keras_model");
  BOOST_TEST(keras.metadata().plugin_data().content() == "1");
  BOOST_TEST(keras.tensor().dtype() == tfproto::DT_STRING);
  BOOST_TEST(keras.tensor().string_val(0) == run.model->to_json());

  // Epochs at steps 0 and 1; batches at the fit's batch counter (2 batches an epoch); the
  // validation logs without their val_ prefix, and against the optimizer's iterations.
  BOOST_TEST(scalars(train, "epoch_loss") == expected(history.history.at("loss"), 0, 1));
  BOOST_TEST(scalars(train, "epoch_mae") == expected(history.history.at("mae"), 0, 1));
  BOOST_TEST(scalars(train, "epoch_learning_rate") == expected({0.01, 0.01}, 0, 1));
  const auto batches = scalars(train, "batch_loss");
  BOOST_REQUIRE_EQUAL(batches.size(), 4u);
  for (std::int64_t i = 0; i < 4; ++i) BOOST_TEST(batches[static_cast<std::size_t>(i)].step == i + 1);
  BOOST_TEST(batches[1].value == static_cast<float>(history.history.at("loss")[0]));  // a running mean
  BOOST_TEST(scalars(validation, "epoch_loss") == expected(history.history.at("val_loss"), 0, 1));
  BOOST_TEST(scalars(validation, "evaluation_loss_vs_iterations") == expected(history.history.at("val_loss"), 2, 2));
  std::size_t histograms = 0;
  for (const auto& e : train)
    for (const auto& v : e.summary().value())
      if (v.metadata().plugin_data().plugin_name() == "histograms") {
        ++histograms;
        BOOST_TEST(v.tensor().tensor_shape().dim(0).size() == 30);
      }
  BOOST_TEST(histograms == 4u);  // kernel and bias, two epochs
}

BOOST_AUTO_TEST_CASE(update_freq_and_histogram_freq) {
  BOOST_TEST(tensorboard::parse_update_freq("epoch") == 0);
  BOOST_TEST(tensorboard::parse_update_freq("batch") == 1);
  BOOST_TEST(tensorboard::parse_update_freq("3") == 3);
  for (const char* bad : {"0", "-2", "2x", "", "batches"}) BOOST_CHECK_THROW(tensorboard::parse_update_freq(bad), UsageError);

  const fs::path dir = ksave::test::scratch_dir("tb_freq");
  Run run;
  run.options.epochs = 3;
  tensorboard::TensorBoardOptions options;
  options.update_freq = 3;
  options.histogram_freq = 2;
  options.write_graph = false;
  run.fit(std::make_shared<tensorboard::TensorBoard>(dir, options));
  const auto train = events_of(event_file_in(dir / "train"));
  const auto batches = scalars(train, "batch_loss");
  BOOST_REQUIRE_EQUAL(batches.size(), 2u);  // 6 batches in all: steps 3 and 6
  BOOST_TEST(batches[0].step == 3);
  BOOST_TEST(batches[1].step == 6);
  BOOST_TEST(!tags_of(train).count("keras"));
  std::set<std::int64_t> histogram_steps;
  for (const auto& e : train)
    for (const auto& v : e.summary().value())
      if (v.metadata().plugin_data().plugin_name() == "histograms") histogram_steps.insert(e.step());
  BOOST_TEST(histogram_steps == (std::set<std::int64_t>{0, 2}));
  BOOST_CHECK_THROW(tensorboard::TensorBoard(dir, {.histogram_freq = -1}), UsageError);
}

BOOST_AUTO_TEST_CASE(a_log_folder_that_cannot_be_written_stops_fit_before_it_starts) {
  const fs::path dir = ksave::test::scratch_dir("tb_unwritable");
  std::ofstream(dir / "a_file") << "x";
  Run run;
  const auto before = run.model->get_weights();
  expect_error([&] { run.fit(std::make_shared<tensorboard::TensorBoard>(dir / "a_file" / "logs")); },
               "TensorBoard: cannot create the log folder '" + (dir / "a_file" / "logs" / "train").string() + "'");
  BOOST_TEST(allclose(run.model->get_weights()[0], before[0]));  // no step was taken
  BOOST_TEST(run.model->optimizer()->iterations()->value().item() == 0);
}

BOOST_AUTO_TEST_CASE(write_failures_during_training_warn_and_training_goes_on) {
  const fs::path dir = ksave::test::scratch_dir("tb_disk_full");
  Run run;
  run.options.epochs = 3;
  run.options.callbacks = {std::make_shared<FileSizeLimit>(dir / "train", 100)};
  History history;
  std::string warnings;
  {
    CaptureCerr cerr;
    history = run.fit(std::make_shared<tensorboard::TensorBoard>(dir));
    warnings = cerr.text();
  }
  BOOST_TEST(history.epochs.size() == 3u);
  BOOST_TEST(warnings.find("WARNING: TensorBoard: writing '" + event_file_in(dir / "train").string() + "' failed") == 0u,
             warnings);
  // What was written before the failure still reads: the first event and the graph at least.
  const auto scan = read_records(event_file_in(dir / "train"));
  BOOST_TEST(scan.records.size() >= 2u);
}

BOOST_AUTO_TEST_CASE(damaged_event_files_already_in_the_folder_do_not_matter) {
  const fs::path dir = ksave::test::scratch_dir("tb_damaged");
  fs::create_directories(dir / "train");
  const fs::path old = dir / "train" / "events.out.tfevents.0000000001.crashed.1.0.v2";
  const std::string record = ksave::tensorboard::frame_record("garbage that is no event");
  std::ofstream(old, std::ios::binary) << record.substr(0, record.size() - 5);
  Run run;
  run.fit(std::make_shared<tensorboard::TensorBoard>(dir));
  std::size_t files = 0;
  for (const auto& entry : fs::directory_iterator(dir / "train")) {
    ++files;
    if (entry.path() == old) continue;
    BOOST_TEST(scalars(events_of(entry.path()), "epoch_loss").size() == 2u);
  }
  BOOST_TEST(files == 2u);
  BOOST_TEST(read_bytes(old) == record.substr(0, record.size() - 5));
}
