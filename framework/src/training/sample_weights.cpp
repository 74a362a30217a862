#include "sample_weights.hpp"

#include <cmath>
#include <vector>

#include "ksave/error.hpp"
#include "ksave/ops.hpp"

namespace ksave {
namespace {

// The class of each target row: argmax of a one-hot/probability row, else the label itself
// (shape [rows] or [rows, 1]), as tf.keras's data adapter derives it for class_weight.
std::vector<std::int64_t> target_classes(const Tensor& target, const std::string& where) {
  if (target.rank() > 2)
    throw Error(where + ": class_weight is not supported for targets of rank " + std::to_string(target.rank()) +
                " (shape " + shape_to_string(target.shape()) + "); Keras accepts rank 1 or 2");
  const std::int64_t rows = target.rank() == 0 ? 0 : target.shape()[0];
  const std::int64_t width = target.rank() == 2 ? target.shape()[1] : 1;
  const std::vector<double> values = target.to_vector<double>();
  std::vector<std::int64_t> classes(static_cast<std::size_t>(rows));
  for (std::int64_t r = 0; r < rows; ++r) {
    const double* row = values.data() + r * width;
    if (width == 1) {
      if (!std::isfinite(row[0]) || row[0] != std::floor(row[0]))
        throw Error(where + ": class_weight needs integer class labels; target row " + std::to_string(r) +
                    " holds " + std::to_string(row[0]));
      classes[static_cast<std::size_t>(r)] = static_cast<std::int64_t>(row[0]);
    } else {
      std::int64_t best = 0;
      for (std::int64_t c = 1; c < width; ++c)
        if (row[c] > row[best]) best = c;
      classes[static_cast<std::size_t>(r)] = best;
    }
  }
  return classes;
}

// class_weight as a dense table after Keras's check that its keys are 0 .. K-1.
std::vector<double> class_weight_table(const ClassWeights& class_weight, const std::string& where) {
  std::vector<double> table;
  for (const auto& [key, weight] : class_weight) {
    if (key != static_cast<std::int64_t>(table.size())) {
      std::string keys;
      for (const auto& [k, _] : class_weight) keys.append(keys.empty() ? "" : ", ").append(std::to_string(k));
      throw Error(where + ": class_weight must have the keys 0 to one less than the number of classes, found {" +
                  keys + "}");
    }
    table.push_back(weight);
  }
  return table;
}

}  // namespace

Tensor combined_sample_weights(const Tensor& sample_weight, const ClassWeights& class_weight,
                               const Tensors& targets, std::int64_t rows, const std::string& where) {
  if (!sample_weight.defined() && class_weight.empty()) return {};
  std::vector<float> weights(static_cast<std::size_t>(rows), 1.0f);
  if (sample_weight.defined()) {
    const bool column = sample_weight.rank() == 2 && sample_weight.shape()[1] == 1;
    if ((sample_weight.rank() != 1 && !column) || sample_weight.shape()[0] != rows)
      throw Error(where + ": sample_weight must have shape [" + std::to_string(rows) + "] (one weight per sample), found " +
                  shape_to_string(sample_weight.shape()));
    if (!is_floating(sample_weight.dtype()) && !is_integer(sample_weight.dtype()))
      throw Error(where + ": sample_weight must be numeric, found " + std::string(dtype_name(sample_weight.dtype())));
    weights = sample_weight.to_vector<float>();
  }
  if (!class_weight.empty()) {
    if (targets.size() != 1)
      throw Error(where + ": class_weight is only supported for models with one output, this one has " +
                  std::to_string(targets.size()) + " targets");
    const std::vector<double> table = class_weight_table(class_weight, where);
    const std::vector<std::int64_t> classes = target_classes(targets[0], where);
    for (std::size_t r = 0; r < classes.size(); ++r) {
      if (classes[r] < 0 || classes[r] >= static_cast<std::int64_t>(table.size()))
        throw Error(where + ": target row " + std::to_string(r) + " has class " + std::to_string(classes[r]) +
                    ", class_weight covers classes 0 to " + std::to_string(table.size() - 1));
      weights[r] *= static_cast<float>(table[static_cast<std::size_t>(classes[r])]);
    }
  }
  return Tensor::from_vector<float>(weights, {rows});
}

Tensor weight_per_sample(const Tensor& per_sample, const Tensor& weights) {
  if (!weights.defined()) return per_sample;
  Shape shape(static_cast<std::size_t>(std::max<std::int64_t>(per_sample.rank(), 1)), 1);
  shape[0] = weights.shape()[0];
  return ops::mul(per_sample, ops::cast(weights.reshape(shape), per_sample.dtype()));
}

}  // namespace ksave
