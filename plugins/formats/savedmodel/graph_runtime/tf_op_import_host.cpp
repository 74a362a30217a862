#include "tf_op_import_host.hpp"

#include <cmath>
#include <functional>

#include "ksave/error.hpp"

namespace ksave::plugins::savedmodel {
namespace {

using Binary = std::function<double(double, double)>;

// NumPy broadcasting of two shapes (throws naming both when they do not broadcast).
Shape broadcast_shape(const Shape& a, const Shape& b, const std::string& where) {
  const std::size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (std::size_t i = 0; i < rank; ++i) {
    const Dim da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const Dim db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      throw Error(where + ": shapes " + shape_to_string(a) + " and " + shape_to_string(b) + " do not broadcast");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

// Flat index into `shape` (right-aligned, size-1 axes repeat) of the element at `index` of `out`.
std::size_t source_index(const Shape& shape, const Shape& out, std::size_t index) {
  std::size_t flat = 0, stride = 1;
  for (std::size_t k = 0; k < out.size(); ++k) {
    const std::size_t axis = out.size() - 1 - k;
    const auto coordinate = index % static_cast<std::size_t>(out[axis]);
    index /= static_cast<std::size_t>(out[axis]);
    if (k < shape.size()) {
      const Dim d = shape[shape.size() - 1 - k];
      if (d != 1) flat += coordinate * stride;
      stride *= static_cast<std::size_t>(d);
    }
  }
  return flat;
}

Tensor elementwise(const Tensor& a, const Tensor& b, DType out_dtype, const Binary& f, const std::string& where) {
  const Shape shape = broadcast_shape(a.shape(), b.shape(), where);
  const auto va = a.to_vector<double>(), vb = b.to_vector<double>();
  std::vector<double> out(static_cast<std::size_t>(num_elements(shape)));
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = f(va[source_index(a.shape(), shape, i)], vb[source_index(b.shape(), shape, i)]);
  return Tensor::from_vector<double>(out, shape).cast(out_dtype);
}

Binary comparison(const std::string& op) {
  if (op == "Less") return [](double x, double y) { return double(x < y); };
  if (op == "LessEqual") return [](double x, double y) { return double(x <= y); };
  if (op == "Greater") return [](double x, double y) { return double(x > y); };
  if (op == "GreaterEqual") return [](double x, double y) { return double(x >= y); };
  if (op == "Equal") return [](double x, double y) { return double(x == y); };
  if (op == "NotEqual") return [](double x, double y) { return double(x != y); };
  if (op == "LogicalAnd") return [](double x, double y) { return double(x != 0 && y != 0); };
  if (op == "LogicalOr") return [](double x, double y) { return double(x != 0 || y != 0); };
  throw Error("no comparison " + op);
}

Binary arithmetic(const std::string& op, const std::string& where) {
  if (op == "AddV2" || op == "Add") return std::plus<double>();
  if (op == "Sub") return std::minus<double>();
  if (op == "Mul") return std::multiplies<double>();
  if (op == "Maximum") return [](double x, double y) { return std::max(x, y); };
  if (op == "Minimum") return [](double x, double y) { return std::min(x, y); };
  const auto check = [where](double y) {
    if (y == 0) throw Error(where + ": integer division by zero");
  };
  if (op == "FloorDiv") return [check](double x, double y) { check(y); return std::floor(x / y); };
  if (op == "FloorMod") return [check](double x, double y) { check(y); return x - std::floor(x / y) * y; };
  throw Error("no integer arithmetic " + op);
}

void expect_two(const TfOpCall& call) {
  if (call.inputs.size() != 2)
    throw Error(call.where + " (" + call.node.op() + "): expects 2 inputs, found " + std::to_string(call.inputs.size()));
}

}  // namespace

TfOpImporter comparison_importer(const std::string& op) {
  return {[f = comparison(op)](const TfOpCall& call) {
            expect_two(call);
            return Tensors{elementwise(call.inputs[0], call.inputs[1], DType::Bool, f, call.where)};
          },
          {}};
}

TfOpImporter logical_not_importer() {
  return {[](const TfOpCall& call) {
            if (call.inputs.size() != 1) throw Error(call.where + " (LogicalNot): expects 1 input");
            const Tensor& x = call.inputs[0];
            return Tensors{elementwise(x, Tensor::scalar<double>(0), DType::Bool, [](double v, double) { return double(v == 0); }, call.where)};
          },
          {}};
}

TfOpImporter integer_or_float_importer(const std::string& op, TfOpImporter float_path) {
  return {[op, float_path](const TfOpCall& call) {
            expect_two(call);
            const bool integers = is_integer(call.inputs[0].dtype()) && is_integer(call.inputs[1].dtype());
            if (!integers && float_path.run) return float_path.run(call);
            return Tensors{elementwise(call.inputs[0], call.inputs[1], call.inputs[0].dtype(), arithmetic(op, call.where), call.where)};
          },
          {}};
}

}  // namespace ksave::plugins::savedmodel
