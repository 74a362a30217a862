// Orthogonal and Identity: initializers defined on matrices.
#include <algorithm>
#include <cmath>
#include <span>

#include "initializers.hpp"

namespace ksave::initializers {

namespace {

// Orthonormalises the columns of the row-major rows x cols matrix `a` (rows >= cols) in place by
// modified Gram-Schmidt, run twice per column so that rounding leaves no visible loss of
// orthogonality. This is the Q of a QR decomposition whose R has a positive diagonal, which is
// exactly Keras's `q * sign(diag(r))`.
void orthonormalize_columns(std::span<double> a, std::int64_t rows, std::int64_t cols) {
  auto at = [&](std::int64_t r, std::int64_t c) -> double& { return a[r * cols + c]; };
  for (std::int64_t j = 0; j < cols; ++j) {
    for (int pass = 0; pass < 2; ++pass) {
      for (std::int64_t k = 0; k < j; ++k) {
        double dot = 0.0;
        for (std::int64_t r = 0; r < rows; ++r) dot += at(r, k) * at(r, j);
        for (std::int64_t r = 0; r < rows; ++r) at(r, j) -= dot * at(r, k);
      }
    }
    double norm = 0.0;
    for (std::int64_t r = 0; r < rows; ++r) norm += at(r, j) * at(r, j);
    norm = std::sqrt(norm);
    for (std::int64_t r = 0; r < rows; ++r) at(r, j) /= norm;
  }
}

}  // namespace

Orthogonal::Orthogonal(const Json& config) : Orthogonal(read_config(config, "Orthogonal")) {}

Orthogonal::Orthogonal(const ConfigReader& config)
    : SeededInitializer(read_seed(config)), gain_(Number::read(config, "gain", 1.0)) {}

Json Orthogonal::get_config() const { return {{"gain", gain_.json}, {"seed", seed_json()}}; }

Tensor Orthogonal::operator()(const Shape& shape, DType dtype) {
  if (shape.size() < 2)
    throw Error("initializer 'Orthogonal': needs a shape of rank 2 or more, got " +
                shape_to_string(shape));
  require_floating(dtype, class_name());
  const std::int64_t cols = shape.back();
  const std::int64_t rows = num_elements(shape) / std::max<std::int64_t>(cols, 1);
  // Keras draws a tall (max, min) normal matrix and transposes Q when the shape is wide.
  const std::int64_t tall = std::max(rows, cols), narrow = std::min(rows, cols);
  // Tensors, not vectors: their constructor refuses a hostile size before it is allocated.
  Tensor q_values(DType::Float64, {tall, narrow});
  const std::span<double> q = q_values.values<double>();
  RandomStream s = stream();
  for (double& v : q) v = s.normal();
  orthonormalize_columns(q, tall, narrow);

  Tensor values(DType::Float64, shape);
  double* out = values.data<double>();
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < cols; ++c)
      out[r * cols + c] = gain_.value * (rows >= cols ? q[r * narrow + c] : q[c * narrow + r]);
  return dtype == DType::Float64 ? values : values.cast(dtype);
}

Identity::Identity(const Json& config)
    : gain_(Number::read(read_config(config, "Identity"), "gain", 1.0)) {}

Tensor Identity::operator()(const Shape& shape, DType dtype) {
  if (shape.size() != 2)
    throw Error("initializer 'Identity': needs a 2-D shape, got " + shape_to_string(shape));
  Tensor values(DType::Float64, shape);  // zeros; refused first when a hostile shape is too large
  double* out = values.data<double>();
  for (std::int64_t i = 0; i < std::min(shape[0], shape[1]); ++i) out[i * shape[1] + i] = gain_.value;
  return dtype == DType::Float64 ? values : values.cast(dtype);
}

}  // namespace ksave::initializers
