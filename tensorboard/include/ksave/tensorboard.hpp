// TensorBoard logs from ksave: event files that TensorBoard reads (TFRecord framing with masked
// crc32c, Event/Summary protos with TensorFlow's field numbers in ksave's package), the summaries
// TF2 writes (scalars and histograms as tensors, with their plugin metadata) and Keras's
// TensorBoard callback (tf.keras 2.x's tags and steps). Library libksave_tensorboard.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "ksave/model.hpp"

namespace ksave::tensorboard {

class EventFile;

// tf.summary.create_file_writer: one event file "events.out.tfevents.<seconds>.<host>.<pid>.<n>.v2"
// in `log_dir`, created with its parents. Summaries are buffered and written by flush() (and by
// the destructor). A write that fails (disk full, file removed) does not throw: it prints one
// warning naming the file and the writer drops what follows, so a training run is never stopped
// by its logs.
class SummaryWriter {
 public:
  // Throws ksave::Error naming the folder when it cannot be created or written.
  explicit SummaryWriter(const std::filesystem::path& log_dir);
  ~SummaryWriter();
  SummaryWriter(const SummaryWriter&) = delete;
  SummaryWriter& operator=(const SummaryWriter&) = delete;

  // tf.summary.scalar: a float32 scalar tensor, plugin "scalars".
  void scalar(const std::string& tag, double value, std::int64_t step);
  // tf.summary.histogram: a [buckets, 3] float64 tensor of (left edge, right edge, count),
  // computed as TensorBoard's summary_v2 does; plugin "histograms".
  void histogram(const std::string& tag, const Tensor& values, std::int64_t step, int buckets = 30);
  // Keras's keras_model_summary: the model's to_json() as a string tensor, plugin
  // "graph_keras_model" (TensorBoard's conceptual graph).
  void keras_model(const std::string& tag, const Model& model, std::int64_t step);
  // tf.summary.graph: a serialized GraphDef in the event's graph_def field.
  void graph(const std::string& serialized_graph_def, std::int64_t step);

  // Writes the buffered events to the file and flushes it to the OS.
  void flush();
  const std::filesystem::path& path() const;
  // False once a write has failed (the warning has been printed).
  bool good() const;

 private:
  std::unique_ptr<EventFile> file_;
};

// TensorBoard's histogram buckets of `values` (any float or integer dtype), as rows
// (left edge, right edge, count): summary_v2's _buckets, in float64. NaN and infinities are
// left out.
std::vector<std::array<double, 3>> histogram_buckets(const Tensor& values, int bucket_count = 30);

struct TensorBoardOptions {
  int histogram_freq = 0;      // weight histograms every N epochs (0: none)
  bool write_graph = true;     // the model's graph (Keras's "keras" conceptual graph)
  // How often training batches are logged as batch_<metric>: 0 for "epoch" (never), 1 for
  // "batch", N for every N batches (Keras's update_freq; see parse_update_freq).
  std::int64_t update_freq = 0;
};

// Keras's update_freq as text: "epoch" → 0, "batch" → 1, "N" → N (N ≥ 1). Throws UsageError.
std::int64_t parse_update_freq(const std::string& text);

// Keras's TensorBoard callback (tf.keras 2.x, keras/callbacks.py), writing into
// log_dir/train and log_dir/validation:
//   - at the start of fit, with write_graph, the "keras" model graph at step 0 (graph models);
//   - epoch_<name> for each training log at step = epoch (0-based), plus epoch_learning_rate
//     (the learning rate of the next step, as Keras 3 writes it; tf.keras only with a schedule);
//   - validation logs as epoch_<name> (val_ prefix dropped) in validation/, and
//     evaluation_<name>_vs_iterations at step = the optimizer's iterations;
//   - with update_freq N, batch_<name> at step = the fit's batch counter (1-based) when it is
//     a multiple of N;
//   - with histogram_freq N, every N epochs "<weight name with ':' as '_'>/histogram" for each
//     layer's weights, at step = epoch.
// A log folder that cannot be written is an error at the start of fit; failures afterwards
// only warn (see SummaryWriter).
class TensorBoard : public Callback {
 public:
  explicit TensorBoard(std::filesystem::path log_dir = "logs", TensorBoardOptions options = {});
  ~TensorBoard() override;

  void on_train_begin(Model& model) override;
  void on_train_batch_end(Model& model, int batch, const Logs& logs) override;
  void on_test_end(Model& model, const Logs& logs) override;
  void on_epoch_end(Model& model, int epoch, const Logs& logs) override;
  void on_train_end(Model& model) override;

  const std::filesystem::path& log_dir() const { return log_dir_; }

 private:
  SummaryWriter* validation_writer();  // null when it could not be made (warned once)

  std::filesystem::path log_dir_;
  TensorBoardOptions options_;
  std::unique_ptr<SummaryWriter> train_;
  std::unique_ptr<SummaryWriter> validation_;  // created on first use, as Keras does
  bool validation_failed_ = false;
  std::int64_t train_step_ = 0;                // the fit's batch counter (Keras's _train_counter)
};

}  // namespace ksave::tensorboard
