// A layer calling an attention layer on [x, x]: self-attention, so that a gradient check with
// one input reaches query, value and key at once.
#pragma once

#include "ksave/layer.hpp"

namespace ksave::test::zoo {

class SelfAttention : public Layer {
 public:
  explicit SelfAttention(LayerPtr attention)
      : Layer(Json{{"name", "self_" + attention->name()}}, "SelfAttention"), attention_(std::move(attention)) {}
  std::string class_name() const override { return "SelfAttention"; }

 protected:
  Tensors call(const Tensors& in, const CallContext&) override { return (*attention_)(Tensors{in[0], in[0]}); }

 private:
  LayerPtr attention_;
};

}  // namespace ksave::test::zoo
