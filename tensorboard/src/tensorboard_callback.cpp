// Keras's TensorBoard callback with tf.keras 2.x's tags and steps (keras/callbacks.py).
#include <algorithm>
#include <iostream>

#include "ksave/optimizer.hpp"
#include "ksave/tensorboard.hpp"

namespace ksave::tensorboard {
namespace {

bool is_validation(const std::string& key) { return key.rfind("val_", 0) == 0; }

// The weight's tag: its name with ':' as '_' and "/histogram" after it ("dense/kernel_0/histogram").
std::string histogram_tag(const std::string& weight_name) {
  std::string tag = weight_name;
  std::replace(tag.begin(), tag.end(), ':', '_');
  return tag + "/histogram";
}

// Keras writes the conceptual graph of graph networks and Sequential models only.
bool has_keras_graph(const Model& model) { return !model.inputs().empty() || model.class_name() == "Sequential"; }

}  // namespace

std::int64_t parse_update_freq(const std::string& text) {
  if (text == "epoch") return 0;
  if (text == "batch") return 1;
  std::size_t used = 0;
  long long n = 0;
  try {
    n = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || used == 0 || n < 1)
    throw UsageError("TensorBoard: update_freq must be 'epoch', 'batch' or a number of batches >= 1, found '" + text + "'");
  return n;
}

TensorBoard::TensorBoard(std::filesystem::path log_dir, TensorBoardOptions options)
    : log_dir_(std::move(log_dir)), options_(options) {
  if (log_dir_.empty()) throw UsageError("TensorBoard: empty log_dir");
  if (options_.histogram_freq < 0)
    throw UsageError("TensorBoard: histogram_freq must be >= 0, found " + std::to_string(options_.histogram_freq));
  if (options_.update_freq < 0)
    throw UsageError("TensorBoard: update_freq must be >= 0, found " + std::to_string(options_.update_freq));
}

TensorBoard::~TensorBoard() = default;

void TensorBoard::on_train_begin(Model& model) {
  // Keras's set_model: fresh writers for every fit; the train writer is made now so that a log
  // folder that cannot be written stops fit before its first step.
  validation_.reset();
  validation_failed_ = false;
  train_ = std::make_unique<SummaryWriter>(log_dir_ / "train");
  train_step_ = 0;
  if (options_.write_graph && has_keras_graph(model)) {
    train_->keras_model("keras", model, 0);
    train_->flush();
  }
}

void TensorBoard::on_train_batch_end(Model&, int, const Logs& logs) {
  ++train_step_;
  if (!train_ || options_.update_freq == 0 || train_step_ % options_.update_freq != 0) return;
  for (const auto& [name, value] : logs) train_->scalar("batch_" + name, value, train_step_);
}

void TensorBoard::on_test_end(Model& model, const Logs& logs) {
  const auto optimizer = model.optimizer();
  if (!optimizer) return;
  SummaryWriter* writer = validation_writer();
  if (!writer) return;
  const auto iterations = static_cast<std::int64_t>(optimizer->iterations()->value().item());
  for (const auto& [name, value] : logs) writer->scalar("evaluation_" + name + "_vs_iterations", value, iterations);
}

void TensorBoard::on_epoch_end(Model& model, int epoch, const Logs& logs) {
  if (!train_) return;
  for (const auto& [name, value] : logs)
    if (!is_validation(name)) train_->scalar("epoch_" + name, value, epoch);
  if (const auto optimizer = model.optimizer())
    if (const auto rate = optimizer->learning_rate()) train_->scalar("epoch_learning_rate", *rate, epoch);
  const bool has_validation = std::any_of(logs.begin(), logs.end(), [](const auto& kv) { return is_validation(kv.first); });
  if (SummaryWriter* writer = has_validation ? validation_writer() : nullptr) {
    for (const auto& [name, value] : logs)
      if (is_validation(name)) writer->scalar("epoch_" + name.substr(4), value, epoch);
    writer->flush();
  }
  if (options_.histogram_freq > 0 && epoch % options_.histogram_freq == 0)
    for (const auto& layer : model.layers())
      for (const auto& weight : layer->weights()) train_->histogram(histogram_tag(weight->name()), weight->value(), epoch);
  train_->flush();
}

void TensorBoard::on_train_end(Model&) {
  train_.reset();
  validation_.reset();
}

SummaryWriter* TensorBoard::validation_writer() {
  // Made at the first validation, as Keras does; by then training runs, so a failure only warns.
  if (!validation_ && !validation_failed_) {
    try {
      validation_ = std::make_unique<SummaryWriter>(log_dir_ / "validation");
    } catch (const Error& e) {
      validation_failed_ = true;
      std::cerr << "WARNING: " << e.what() << "; no validation logs, training goes on\n";
    }
  }
  return validation_.get();
}

}  // namespace ksave::tensorboard
