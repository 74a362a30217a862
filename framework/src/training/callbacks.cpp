// ModelCheckpoint and EarlyStopping with tf.keras 2.x's rules (keras/callbacks.py).
#include <cmath>
#include <cstdio>
#include <iostream>
#include <limits>

#include "ksave/collectives.hpp"
#include "ksave/model.hpp"
#include "ksave/saving.hpp"
#include "python_repr.hpp"

namespace ksave {
namespace {

// Keras's callback messages; in a data-parallel job only rank 0 prints (every rank runs the
// callbacks with the same logs).
bool shows_messages(int verbose) {
  const Collectives* collectives = current_multi_process_collectives();
  return verbose > 0 && (!collectives || collectives->rank() == 0);
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Keras's "auto" mode: larger is better for accuracy-like quantities.
bool maximize_for(const std::string& mode, const std::string& monitor, bool checkpoint_rule) {
  if (mode == "max") return true;
  if (mode == "min") return false;
  if (mode != "auto") throw Error("callback: mode must be auto, min or max, found '" + mode + "'");
  if (checkpoint_rule)  // ModelCheckpoint: 'acc' in monitor or monitor.startswith('fmeasure')
    return monitor.find("acc") != std::string::npos || monitor.rfind("fmeasure", 0) == 0;
  return ends_with(monitor, "acc") || ends_with(monitor, "accuracy") || ends_with(monitor, "auc");
}

double worst(bool maximize) {
  return maximize ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
}

}  // namespace

std::string format_keras_path(const std::string& pattern, const std::map<std::string, double>& values) {
  std::string out;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '{' && i + 1 < pattern.size() && pattern[i + 1] == '{') { out += '{'; ++i; continue; }
    if (c == '}' && i + 1 < pattern.size() && pattern[i + 1] == '}') { out += '}'; ++i; continue; }
    if (c != '{') { out += c; continue; }
    const std::size_t close = pattern.find('}', i);
    if (close == std::string::npos) throw Error("checkpoint path '" + pattern + "': unclosed '{'");
    const std::string field = pattern.substr(i + 1, close - i - 1);
    const std::size_t colon = field.find(':');
    const std::string name = field.substr(0, colon);
    std::string spec = colon == std::string::npos ? "" : field.substr(colon + 1);
    auto it = values.find(name);
    if (it == values.end())
      throw Error("checkpoint path '" + pattern + "' refers to '" + name + "', which is not in the logs");
    // Python's spec [0][width][.precision][type] maps onto printf; no spec: the epoch prints as
    // an integer, other values as Python's str of a float (its repr).
    if (spec.find_first_not_of("0123456789.dfeEgG") != std::string::npos)
      throw Error("checkpoint path '" + pattern + "': unsupported format spec '" + spec + "'");
    const bool integral = it->second == std::floor(it->second) && std::abs(it->second) < 1e15;
    if (spec.empty() && !(integral && name == "epoch")) {
      out += python_float_repr(it->second);
      i = close;
      continue;
    }
    char type = spec.empty() ? 'd' : spec.back();
    if (!std::isalpha(static_cast<unsigned char>(type))) {
      type = integral && name == "epoch" ? 'd' : 'g';
      spec += type;
    }
    if (spec.empty()) spec = std::string(1, type);
    char buffer[128];
    // The printf format, built by appending (GCC 12 reports a false -Wrestrict on "%" + string).
    std::string format = "%";
    if (type == 'd') {
      format.append(spec, 0, spec.size() - 1);
      format += "lld";
      std::snprintf(buffer, sizeof buffer, format.c_str(), static_cast<long long>(it->second));
    } else {
      format += spec;
      std::snprintf(buffer, sizeof buffer, format.c_str(), it->second);
    }
    out += buffer;
    i = close;
  }
  return out;
}

ModelCheckpoint::ModelCheckpoint(std::string filepath, ModelCheckpointOptions options)
    : filepath_(std::move(filepath)), options_(std::move(options)) {
  if (filepath_.empty()) throw Error("ModelCheckpoint: empty filepath");
  maximize_ = maximize_for(options_.mode, options_.monitor, true);
  best_ = worst(maximize_);
}

void ModelCheckpoint::on_train_begin(Model&) {}

void ModelCheckpoint::on_epoch_end(Model& model, int epoch, const Logs& logs) {
  std::map<std::string, double> values(logs.begin(), logs.end());
  values["epoch"] = epoch + 1;
  const std::string path = format_keras_path(filepath_, values);
  if (options_.save_best_only) {
    auto it = logs.find(options_.monitor);
    if (it == logs.end()) {
      std::cerr << "WARNING: Can save best model only with " << options_.monitor << " available, skipping.\n";
      return;
    }
    const double current = it->second;
    const bool improved = maximize_ ? current > best_ : current < best_;
    if (!improved) {
      if (shows_messages(options_.verbose))
        std::printf("\nEpoch %05d: %s did not improve from %0.5f\n", epoch + 1, options_.monitor.c_str(), best_);
      return;
    }
    if (shows_messages(options_.verbose))
      std::printf("\nEpoch %05d: %s improved from %0.5f to %0.5f, saving model to %s\n", epoch + 1,
                  options_.monitor.c_str(), best_, current, path.c_str());
    best_ = current;
  } else if (shows_messages(options_.verbose)) {
    std::printf("\nEpoch %05d: saving model to %s\n", epoch + 1, path.c_str());
  }
  SaveOptions save;
  save.format = options_.format;
  if (options_.save_weights_only) save_weights(model, path, save);
  else save_model(model, path, save);
  saved_.push_back(path);
}

EarlyStopping::EarlyStopping(EarlyStoppingOptions options) : options_(std::move(options)) {
  if (options_.patience < 0) throw Error("EarlyStopping: patience must be >= 0");
  maximize_ = maximize_for(options_.mode, options_.monitor, false);
  // Keras stores min_delta with the sign of an improvement.
  options_.min_delta = maximize_ ? std::abs(options_.min_delta) : -std::abs(options_.min_delta);
}

void EarlyStopping::on_train_begin(Model&) {
  wait_ = 0;
  stopped_epoch_ = 0;
  best_epoch_ = 0;
  best_ = worst(maximize_);
  best_weights_.clear();
  stop_training = false;
}

void EarlyStopping::on_epoch_end(Model& model, int epoch, const Logs& logs) {
  auto it = logs.find(options_.monitor);
  if (it == logs.end()) {
    std::string available;
    for (const auto& [k, _] : logs) available += (available.empty() ? "" : ",") + k;
    std::cerr << "WARNING: Early stopping conditioned on metric `" << options_.monitor
              << "` which is not available. Available metrics are: " << available << "\n";
    return;
  }
  const double current = it->second;
  if (options_.restore_best_weights && best_weights_.empty()) best_weights_ = model.get_weights();
  ++wait_;
  const double shifted = current - options_.min_delta;
  if (maximize_ ? shifted > best_ : shifted < best_) {
    best_ = current;
    best_epoch_ = epoch;
    if (options_.restore_best_weights) best_weights_ = model.get_weights();
    wait_ = 0;
    return;
  }
  if (wait_ >= options_.patience && epoch > 0) {
    stopped_epoch_ = epoch;
    stop_training = true;
    if (options_.restore_best_weights && !best_weights_.empty()) {
      if (shows_messages(options_.verbose)) std::printf("Restoring model weights from the end of the best epoch: %d.\n", best_epoch_ + 1);
      model.set_weights(best_weights_);
    }
  }
}

void EarlyStopping::on_train_end(Model&) {
  if (stopped_epoch_ > 0 && shows_messages(options_.verbose)) std::printf("Epoch %05d: early stopping\n", stopped_epoch_ + 1);
}

}  // namespace ksave
