// The models and data of issue 14's compute workloads (see bench_compute.cpp), built the same
// way for every program that runs them: bench_compute times them, bench_allocations counts the
// allocations of their steady-state calls.
#pragma once

#include <string>
#include <vector>

#include "bench_support.hpp"
#include "ksave/ksave.hpp"

namespace bench {

using namespace ksave;

// Small weights (as glorot would give) so activations and losses stay in range.
inline ModelPtr with_weights(ModelPtr model, unsigned salt) {
  for (const auto& v : model->weights()) v->assign(ops::mul(pseudo_random(v->shape(), salt++), 0.05));
  return model;
}

inline ModelPtr sequential(std::vector<LayerPtr> layers, unsigned salt) {
  return with_weights(std::make_shared<Sequential>(std::move(layers)), salt);
}

inline ModelPtr cnn() {
  return sequential({Input({28, 28, 1}).layer(),
                     make_layer("Conv2D", {{"filters", 16}, {"kernel_size", {3, 3}}, {"activation", "relu"}}),
                     make_layer("MaxPooling2D", {{"pool_size", {2, 2}}}), make_layer("Flatten"),
                     make_layer("Dense", {{"units", 10}, {"activation", "softmax"}})},
                    11);
}

inline ModelPtr recurrent(const char* layer) {
  return sequential({Input({100, 64}).layer(), make_layer(layer, {{"units", 128}})}, 21);
}

inline ModelPtr text_classifier() {
  return sequential({Input({100}).layer(), make_layer("Embedding", {{"input_dim", 10000}, {"output_dim", 64}}),
                     make_layer("LSTM", {{"units", 64}}), make_layer("Dense", {{"units", 1}, {"activation", "sigmoid"}})},
                    31);
}

inline Tensor token_ids(Dim rows, Dim steps) {
  Tensor ids(DType::Int32, {rows, steps});
  for (Dim i = 0; i < ids.size(); ++i) ids.data<std::int32_t>()[i] = static_cast<std::int32_t>((i * 7919) % 10000);
  return ids;
}

struct Workload {
  std::string name;
  ModelPtr model;
  Tensor x, y;
  Json loss;  // null: predict only
};

inline std::vector<Workload> compute_workloads() {
  const Json sgd{{"class_name", "SGD"}, {"config", {{"learning_rate", 0.01}}}};
  std::vector<Workload> w;
  w.push_back({"mlp_big", mlp({784, 512, 512, 10}), pseudo_random({128, 784}, 99), one_hot_labels(128, 10),
               "categorical_crossentropy"});
  w.push_back({"mlp_small", mlp({16, 64, 32, 5}), pseudo_random({1, 16}, 97), Tensor(), nullptr});
  w.push_back({"cnn", cnn(), pseudo_random({64, 28, 28, 1}, 96), one_hot_labels(64, 10), "categorical_crossentropy"});
  w.push_back({"lstm", recurrent("LSTM"), pseudo_random({32, 100, 64}, 95), pseudo_random({32, 128}, 94, 0.5f),
               "mean_squared_error"});
  w.push_back({"gru", recurrent("GRU"), pseudo_random({32, 100, 64}, 95), Tensor(), nullptr});
  w.push_back({"rnn", recurrent("SimpleRNN"), pseudo_random({32, 100, 64}, 95), Tensor(), nullptr});
  Tensor labels(DType::Float32, {32, 1});
  for (Dim i = 0; i < 32; ++i) labels.data<float>()[i] = static_cast<float>(i % 2);
  w.push_back({"text", text_classifier(), token_ids(32, 100), labels, "binary_crossentropy"});
  for (Workload& each : w)
    if (!each.loss.is_null()) each.model->compile(sgd, each.loss);
  return w;
}


}  // namespace bench
