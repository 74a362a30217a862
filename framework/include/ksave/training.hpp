// The training engine's types: fit options, callbacks and the History that fit returns.
#pragma once

#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ksave/json.hpp"
#include "ksave/tensor.hpp"

namespace ksave {

class Model;
class DataParallelStrategy;  // data_parallel.hpp

// Keras's History: one value per epoch for every logged quantity ("loss", "val_loss", ...).
struct History {
  std::map<std::string, std::vector<double>> history;
  std::vector<int> epochs;
};

using Logs = std::map<std::string, double>;

class Callback {
 public:
  virtual ~Callback() = default;
  virtual void on_train_begin(Model&) {}
  virtual void on_train_end(Model&) {}
  virtual void on_epoch_begin(Model&, int /*epoch*/) {}
  virtual void on_epoch_end(Model&, int /*epoch*/, const Logs&) {}
  virtual void on_train_batch_end(Model&, int /*batch*/, const Logs&) {}
  // Around fit's validation pass at the end of each epoch; `logs` are the validation results
  // under their own names ("loss", not "val_loss"), as Keras hands them to on_test_end.
  virtual void on_test_begin(Model&) {}
  virtual void on_test_end(Model&, const Logs& /*logs*/) {}
  // Set by a callback (EarlyStopping) to end training after the current epoch.
  bool stop_training = false;
};

using CallbackPtr = std::shared_ptr<Callback>;

// Keras's class_weight: a weight per class index, keys 0 .. K-1.
using ClassWeights = std::map<std::int64_t, double>;

struct FitOptions {
  std::int64_t batch_size = 32;
  int epochs = 1;
  bool shuffle = true;
  int verbose = 1;                   // 0 silent, 1 progress bar, 2 one line per epoch
  double validation_split = 0.0;     // last fraction of the data, as Keras takes it
  std::vector<Tensor> validation_x;  // validation_data, when given
  std::vector<Tensor> validation_y;
  std::vector<CallbackPtr> callbacks;
  std::uint64_t seed = 0;            // shuffling seed (0: random); each epoch's order depends
                                     // only on the seed and the epoch number
  int initial_epoch = 0;             // Keras's initial_epoch: resume at this (0-based) epoch
  // Keras's sample_weight: one weight per sample ([N] or [N, 1]) multiplying its loss terms of
  // every output; SUM_OVER_BATCH_SIZE still divides by the batch's size, not by the weights' sum.
  Tensor sample_weight;
  // Keras's class_weight (single-output models): sample i gets class_weight[class of y_i], the
  // class being argmax of a one-hot row or the label itself; combined with sample_weight by product.
  ClassWeights class_weight;
  Tensor validation_sample_weight;   // validation_data's third element; split off with validation_split
  // Data-parallel training (data_parallel.hpp): every rank calls fit with the same data and
  // options; batch_size is the global batch, split across the ranks. Null: this process alone.
  std::shared_ptr<DataParallelStrategy> strategy;
};

// ---- Keras's built-in callbacks (framework/src/training/callbacks.cpp) ----

// "auto" chooses "max" for accuracy/AUC-like quantities and "min" otherwise, as Keras does.
struct ModelCheckpointOptions {
  std::string monitor = "val_loss";
  bool save_best_only = false;
  bool save_weights_only = false;
  std::string mode = "auto";  // auto, min, max
  int verbose = 0;
  std::string format;         // a format name for saving.hpp; empty: chosen from the path
};

// Saves the model (ksave::save_model) or its weights (ksave::save_weights) after each epoch.
// `filepath` may hold Python format fields filled from the epoch (1-based) and the logs, e.g.
// "ckpt-{epoch:02d}-{val_loss:.2f}.h5".
class ModelCheckpoint : public Callback {
 public:
  explicit ModelCheckpoint(std::string filepath, ModelCheckpointOptions options = {});
  void on_train_begin(Model&) override;
  void on_epoch_end(Model& model, int epoch, const Logs& logs) override;
  double best() const { return best_; }
  // The paths written, in order.
  const std::vector<std::string>& saved() const { return saved_; }

 private:
  std::string filepath_;
  ModelCheckpointOptions options_;
  bool maximize_ = false;
  double best_ = 0;
  std::vector<std::string> saved_;
};

struct EarlyStoppingOptions {
  std::string monitor = "val_loss";
  double min_delta = 0.0;
  int patience = 0;
  std::string mode = "auto";
  bool restore_best_weights = false;
  int verbose = 0;
};

// Stops training when the monitored quantity has not improved by min_delta for `patience`
// epochs; optionally restores the weights of the best epoch.
class EarlyStopping : public Callback {
 public:
  explicit EarlyStopping(EarlyStoppingOptions options = {});
  void on_train_begin(Model&) override;
  void on_epoch_end(Model& model, int epoch, const Logs& logs) override;
  void on_train_end(Model&) override;
  int stopped_epoch() const { return stopped_epoch_; }  // 0-based; 0 when training ran to the end
  int best_epoch() const { return best_epoch_; }

 private:
  EarlyStoppingOptions options_;
  bool maximize_ = false;
  double best_ = 0;
  int wait_ = 0;
  int stopped_epoch_ = 0;
  int best_epoch_ = 0;
  std::vector<Tensor> best_weights_;
};

// Keras's CSVLogger: one row per epoch in `filename` ("epoch" then the logs' keys, sorted, as
// tf.keras writes them: without validation the val_ columns are still there, holding "NA"), with
// Python's csv dialect (fields quoted when needed, "\r\n" line ends) and Python's float repr.
// `append` adds to an existing file, writing the header only when the file is empty. A file
// that cannot be opened is an error at the start of fit.
class CSVLogger : public Callback {
 public:
  explicit CSVLogger(std::filesystem::path filename, char separator = ',', bool append = false);
  ~CSVLogger() override;
  void on_train_begin(Model&) override;
  void on_epoch_end(Model&, int epoch, const Logs& logs) override;
  void on_train_end(Model&) override;

 private:
  void write_row(const std::vector<std::string>& fields);
  std::filesystem::path filename_;
  char separator_;
  bool append_;
  std::FILE* file_ = nullptr;
  bool write_header_ = true;
  std::vector<std::string> keys_;  // chosen at the first epoch of a fit
};

// Python's str.format for the fields Keras's checkpoint paths use: {name}, {name:02d},
// {name:.3f}, {name:e}. Unknown names throw naming them.
std::string format_keras_path(const std::string& pattern, const std::map<std::string, double>& values);

}  // namespace ksave
