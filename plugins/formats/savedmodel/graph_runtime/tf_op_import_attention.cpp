#include "tf_op_import_attention.hpp"

#include "ksave/error.hpp"
#include "ksave/ops.hpp"
#include "../../../layers/common/einsum.hpp"

namespace ksave::plugins::savedmodel {
namespace {

using Ints = std::vector<std::int64_t>;

using Equation = einsum::Labels;

Equation parse(const TfOpCall& call) {
  const Equation e = einsum::parse(call.attrs.get<std::string>("equation"), call.where + " (Einsum)");
  if (e.b.empty()) throw Error(call.where + " (Einsum): equation '" + call.attrs.get<std::string>("equation") + "' has one operand, ksave runs two");
  return e;
}

// The product itself is the layers' einsum (../../../layers/common/einsum.hpp).
Tensors einsum(const TfOpCall& call) {
  expect_inputs(call, 2);
  const Equation e = parse(call);
  const Tensor a = call.inputs[0].as_float(), b = call.inputs[1].as_float();
  if (a.rank() != static_cast<std::int64_t>(e.a.size()) || b.rank() != static_cast<std::int64_t>(e.b.size()))
    throw Error(call.where + " (Einsum): operands of rank " + std::to_string(a.rank()) + " and " +
                std::to_string(b.rank()) + " for the equation's " + std::to_string(e.a.size()) + " and " +
                std::to_string(e.b.size()) + " letters");
  return {einsum::product(a, b, e)};
}

// MatrixBandPart(input, num_lower, num_upper): entry (i, j) of the last two axes kept where
// (num_lower < 0 or i − j ≤ num_lower) and (num_upper < 0 or j − i ≤ num_upper), else 0.
Tensors matrix_band_part(const TfOpCall& call) {
  expect_inputs(call, 3);
  const Tensor& x = call.inputs[0];
  if (x.rank() < 2) throw Error(call.where + " (MatrixBandPart): the input must have rank 2 or more");
  const Ints lower = int_values(call.inputs[1], call.where + " num_lower"), upper = int_values(call.inputs[2], call.where + " num_upper");
  if (lower.size() != 1 || upper.size() != 1)
    throw Error(call.where + " (MatrixBandPart): num_lower and num_upper must be scalars");
  const Dim rows = x.dim(-2), cols = x.dim(-1);
  Tensor band(DType::Float32, {rows, cols});
  for (Dim i = 0; i < rows; ++i)
    for (Dim j = 0; j < cols; ++j)
      band.data<float>()[i * cols + j] =
          (lower[0] < 0 || i - j <= lower[0]) && (upper[0] < 0 || j - i <= upper[0]) ? 1.0f : 0.0f;
  const Tensor kept = ops::mul(x.cast(DType::Float32), band);
  return {x.dtype() == DType::Float32 ? kept : kept.cast(x.dtype())};
}

}  // namespace

void add_attention_importers(std::map<std::string, TfOpImporter>& table) {
  table["Einsum"] = {einsum, {}};
  table["MatrixBandPart"] = {matrix_band_part, {}};
}

}  // namespace ksave::plugins::savedmodel
