// Crossentropy losses with Keras's options: from_logits, label_smoothing, and on probabilities
// the clipping to [epsilon, 1 - epsilon] of keras.backend.
#pragma once

#include "loss_base.hpp"

namespace ksave::losses {

class CrossentropyLoss : public KerasLoss {
 public:
  CrossentropyLoss(const Json& c, std::string class_name, const std::string& default_name, bool smoothing);

 protected:
  void add_config(Json& c) const override;
  bool from_logits_;
  double label_smoothing_ = 0.0;
  std::int64_t axis_ = -1;

 private:
  bool has_smoothing_;
};

class BinaryCrossentropy : public CrossentropyLoss {
 public:
  explicit BinaryCrossentropy(const Json& c) : CrossentropyLoss(c, "BinaryCrossentropy", "binary_crossentropy", true) {}

 protected:
  Tensor compute(const Tensor& y_true, const Tensor& y_pred) const override;
};

class CategoricalCrossentropy : public CrossentropyLoss {
 public:
  explicit CategoricalCrossentropy(const Json& c)
      : CrossentropyLoss(c, "CategoricalCrossentropy", "categorical_crossentropy", true) {}

 protected:
  Tensor compute(const Tensor& y_true, const Tensor& y_pred) const override;
};

class SparseCategoricalCrossentropy : public CrossentropyLoss {
 public:
  explicit SparseCategoricalCrossentropy(const Json& c)
      : CrossentropyLoss(c, "SparseCategoricalCrossentropy", "sparse_categorical_crossentropy", false) {}

 protected:
  Tensor compute(const Tensor& y_true, const Tensor& y_pred) const override;
  bool sparse_labels() const override { return true; }
};

}  // namespace ksave::losses
