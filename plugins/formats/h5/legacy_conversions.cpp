#include "legacy_conversions.hpp"

#include <functional>

#include "ksave/ops.hpp"

namespace ksave::plugins::h5 {
namespace {

bool is_keras1(const std::string& version) { return version == "1" || version.rfind("1.", 0) == 0; }

bool is_conv(const std::string& class_name) {
  return class_name == "Conv1D" || class_name == "Conv2D" || class_name == "Conv3D" || class_name == "Conv2DTranspose";
}

std::string data_format(const Layer& layer) {
  Json config = layer.get_config();
  auto it = config.find("data_format");
  return it != config.end() && it->is_string() ? it->get<std::string>() : "channels_last";
}

// Keras 1 kernel orders that differ from today's for these layer settings.
std::vector<std::int64_t> keras1_kernel_permutation(const Layer& layer) {
  const std::string cls = layer.class_name();
  bool channels_first = data_format(layer) == "channels_first";
  if (cls == "Conv2D" && channels_first) return {2, 3, 1, 0};  // (out, in, h, w) → (h, w, in, out)
  if (cls == "Conv3D" && channels_first) return {2, 3, 4, 1, 0};
  if (cls == "Conv2DTranspose") return channels_first ? std::vector<std::int64_t>{2, 3, 0, 1} : std::vector<std::int64_t>{0, 1, 3, 2};
  return {};
}

Tensor concat_gates(const std::vector<Tensor>& stored, std::initializer_list<std::size_t> order) {
  std::vector<Tensor> parts;
  for (std::size_t i : order) parts.push_back(stored.at(i));
  return ops::concat(parts, parts.front().rank() - 1);
}

Shape permuted(const Shape& shape, const std::vector<std::int64_t>& perm) {
  Shape out;
  for (auto p : perm) out.push_back(shape.at(static_cast<std::size_t>(p)));
  return out;
}

const std::vector<std::int64_t> kTheanoConvPermutation{3, 2, 0, 1};

bool theano_conv_kernel(const Layer& layer, const Shape& stored) {
  auto weights = layer.weights();
  if (!is_conv(layer.class_name()) || weights.empty() || stored.size() != 4) return false;
  return stored != weights[0]->shape() && permuted(stored, kTheanoConvPermutation) == weights[0]->shape();
}

// CuDNNLSTM / CuDNNGRU weights (Keras 2.0-2.3) loaded into an LSTM / GRU, as Keras's
// _convert_rnn_weights: recognized by the bias, which holds the input and recurrent biases apart
// (8 * units for an LSTM, 6 * units for a GRU).
std::size_t rnn_gate_count(const std::string& class_name) { return class_name == "LSTM" ? 4 : class_name == "GRU" ? 3 : 0; }

bool cudnn_rnn_weights(const std::string& class_name, const std::vector<Shape>& stored) {
  const std::size_t gates = rnn_gate_count(class_name);
  if (gates == 0 || stored.size() != 3 || stored[1].size() != 2 || stored[2].size() != 1) return false;
  return stored[2][0] == 2 * static_cast<Dim>(gates) * stored[1][0];
}

// Each gate's block of a kernel (columns g*units ... (g+1)*units) through `form`.
Tensor per_gate(const Tensor& kernel, std::size_t gates, const std::function<Tensor(const Tensor&)>& form) {
  const Dim units = kernel.dim(1) / static_cast<Dim>(gates);
  std::vector<Tensor> blocks;
  for (std::size_t g = 0; g < gates; ++g) blocks.push_back(form(ops::slice(kernel, {0, static_cast<Dim>(g) * units}, {-1, units})));
  return ops::concat(blocks, 1);
}

std::vector<Tensor> convert_cudnn_weights(const Layer& layer, const std::vector<Tensor>& stored) {
  const std::size_t gates = rnn_gate_count(layer.class_name());
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
  const Json config = layer.get_config();
  if (!config.value("reset_after", false))
    throw Error("layer '" + layer.name() + "' (GRU): its stored weights are CuDNNGRU's (bias of " +
                std::to_string(2 * half) + " values), which only a GRU with reset_after=True can take, as in Keras");
  return {kernel, recurrent, ops::reshape(stored[2], {2, half})};
}

}  // namespace

bool needs_legacy_conversion(const Layer& layer, const std::vector<Shape>& stored_shapes, const std::string& keras_version) {
  const std::string cls = layer.class_name();
  if (is_keras1(keras_version)) {
    if (cls == "LSTM" && stored_shapes.size() == 12) return true;
    if (cls == "GRU" && stored_shapes.size() == 9) return true;
    if (cls == "Conv1D" && !stored_shapes.empty()) return true;
    if (!keras1_kernel_permutation(layer).empty() && !stored_shapes.empty()) return true;
  }
  if (cudnn_rnn_weights(cls, stored_shapes)) return true;
  return !stored_shapes.empty() && theano_conv_kernel(layer, stored_shapes[0]);
}

std::vector<Tensor> convert_legacy_weights(const Layer& layer, std::vector<Tensor> stored, const std::string& keras_version) {
  const std::string cls = layer.class_name();
  std::vector<Shape> shapes;
  for (const auto& t : stored) shapes.push_back(t.shape());
  if (cudnn_rnn_weights(cls, shapes)) return convert_cudnn_weights(layer, stored);
  if (is_keras1(keras_version)) {
    if (cls == "LSTM" && stored.size() == 12) {
      // Stored per gate as W, U, b for gates i, c, f, o; today's gate order is i, f, c, o.
      return {concat_gates(stored, {0, 6, 3, 9}), concat_gates(stored, {1, 7, 4, 10}), concat_gates(stored, {2, 8, 5, 11})};
    }
    if (cls == "GRU" && stored.size() == 9) {
      // Gates z, r, h in both generations.
      return {concat_gates(stored, {0, 3, 6}), concat_gates(stored, {1, 4, 7}), concat_gates(stored, {2, 5, 8})};
    }
    if (cls == "Conv1D" && !stored.empty() && stored[0].rank() == 4) {
      Json config = layer.get_config();
      Dim kernel = config.at("kernel_size").is_array() ? config.at("kernel_size").at(0).get<Dim>() : config.at("kernel_size").get<Dim>();
      Dim filters = config.at("filters").get<Dim>();
      const Shape& s = stored[0].shape();
      // Keras 1.1 stored (filters, input_dim, length, 1); Keras 1.2 (length, 1, input_dim, filters).
      if (s[0] != kernel || s[1] != 1 || s[3] != filters) stored[0] = ops::transpose(stored[0], {2, 3, 1, 0});
      const Shape& t = stored[0].shape();
      stored[0] = stored[0].clone().reshape({t[0], t[2], t[3]});
    }
    if (auto perm = keras1_kernel_permutation(layer); !perm.empty() && !stored.empty() &&
                                                      stored[0].rank() == static_cast<int>(perm.size()))
      stored[0] = ops::transpose(stored[0], perm);
  }
  if (!stored.empty() && theano_conv_kernel(layer, stored[0].shape())) stored[0] = ops::transpose(stored[0], kTheanoConvPermutation);
  return stored;
}

}  // namespace ksave::plugins::h5
