// unit_forget_bias (LSTM, ConvLSTM): the bias starts as its initializer says with ones in the
// forget gate's columns [units, 2 * units), as tf.keras and Keras 3 build it. Header-only: the
// plugins that include it use it in their cells' build.
#pragma once

#include "ksave/objects.hpp"
#include "ksave/tensor.hpp"

namespace ksave::plugins::rnn {

class UnitForgetBias : public Initializer {
 public:
  UnitForgetBias(InitializerPtr base, std::int64_t units) : base_(std::move(base)), units_(units) {}
  std::string class_name() const override { return base_->class_name(); }
  Json get_config() const override { return base_->get_config(); }
  Tensor operator()(const Shape& shape, DType dtype) override {
    Tensor b = (*base_)(shape, dtype).cast(DType::Float32).clone();
    float* p = b.data<float>();
    for (std::int64_t i = units_; i < 2 * units_ && i < b.size(); ++i) p[i] = 1.0f;
    return b.cast(dtype);
  }

 private:
  InitializerPtr base_;
  std::int64_t units_;
};

}  // namespace ksave::plugins::rnn
