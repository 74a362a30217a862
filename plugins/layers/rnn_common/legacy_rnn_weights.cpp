#include "legacy_rnn_weights.hpp"

#include <functional>

#include "../common/legacy_kernels.hpp"
#include "ksave/ops.hpp"

namespace ksave::plugins::rnn {
namespace {

bool cudnn_weights(const LegacyGates& gates, const std::vector<Shape>& stored) {
  if (stored.size() != 3 || stored[1].size() != 2 || stored[2].size() != 1) return false;
  return stored[2][0] == 2 * static_cast<Dim>(gates.count) * stored[1][0];
}

bool keras1_weights(const LegacyGates& gates, std::size_t stored_count, const std::string& keras_version) {
  return legacy::is_keras1(keras_version) && stored_count == 3 * gates.count;
}

// Each gate's block of a kernel (columns g*units ... (g+1)*units) through `form`.
Tensor per_gate(const Tensor& kernel, std::size_t gates, const std::function<Tensor(const Tensor&)>& form) {
  const Dim units = kernel.dim(1) / static_cast<Dim>(gates);
  std::vector<Tensor> blocks;
  for (std::size_t g = 0; g < gates; ++g) blocks.push_back(form(ops::slice(kernel, {0, static_cast<Dim>(g) * units}, {-1, units})));
  return ops::concat(blocks, 1);
}

std::vector<Tensor> convert_cudnn(const Layer& layer, std::size_t gates, const std::vector<Tensor>& stored, bool reset_after) {
  const Dim units = stored[1].dim(0);
  // Keras's transpose_input(from_cudnn=True): kernel.T.reshape(kernel.shape, order='F'), which is
  // the block read as (units, input_dim) in C order, transposed.
  Tensor kernel = per_gate(stored[0], gates, [](const Tensor& k) {
    return ops::transpose(ops::reshape(k, {k.dim(1), k.dim(0)}), {1, 0});
  });
  Tensor recurrent = per_gate(stored[1], gates, [](const Tensor& k) { return ops::transpose(k, {1, 0}); });
  const Dim half = static_cast<Dim>(gates) * units;
  if (gates == 4)  // LSTM: the input and recurrent biases summed
    return {kernel, recurrent, ops::add(ops::slice(stored[2], {0}, {half}), ops::slice(stored[2], {half}, {half}))};
  if (!reset_after)
    throw Error("layer '" + layer.name() + "' (" + layer.class_name() + "): its stored weights are CuDNNGRU's (bias of " +
                std::to_string(2 * half) + " values), which only a GRU with reset_after=True can take, as in Keras");
  return {kernel, recurrent, ops::reshape(stored[2], {2, half})};
}

// Keras 1's arrays are W, U, b per gate; today's kernel, recurrent kernel and bias each hold
// every gate, in today's order.
std::vector<Tensor> merge_keras1_gates(const LegacyGates& gates, const std::vector<Tensor>& stored) {
  std::vector<Tensor> merged;
  for (std::size_t part = 0; part < 3; ++part) {
    std::vector<Tensor> blocks;
    for (std::size_t gate : gates.keras1_order) blocks.push_back(stored.at(3 * gate + part));
    merged.push_back(ops::concat(blocks, blocks.front().rank() - 1));
  }
  return merged;
}

}  // namespace

bool legacy_rnn_weights(const LegacyGates& gates, const std::vector<Shape>& stored, const std::string& keras_version) {
  return cudnn_weights(gates, stored) || keras1_weights(gates, stored.size(), keras_version);
}

std::vector<Tensor> convert_legacy_rnn_weights(const Layer& layer, const LegacyGates& gates,
                                               std::vector<Tensor> stored, const std::string& keras_version,
                                               bool reset_after) {
  std::vector<Shape> shapes;
  for (const auto& t : stored) shapes.push_back(t.shape());
  if (cudnn_weights(gates, shapes)) return convert_cudnn(layer, gates.count, stored, reset_after);
  if (keras1_weights(gates, stored.size(), keras_version)) return merge_keras1_gates(gates, stored);
  return stored;
}

}  // namespace ksave::plugins::rnn
