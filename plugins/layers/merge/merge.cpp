// Merge layers: Add, Subtract, Multiply, Average, Maximum, Minimum (elementwise over two or more
// inputs, broadcasting as Keras's _Merge does for equal ranks), Concatenate (axis), Dot (batch
// dot product over `axes`, optionally of l2-normalised inputs) and Keras 1's Merge(mode=...).
#include <algorithm>

#include "../common/spatial_config.hpp"
#include "ksave/call_arguments.hpp"
#include "ksave/conformance.hpp"
#include "ksave/inference_folding.hpp"
#include "ksave/plugin.hpp"

namespace ksave::plugins {
namespace {

enum class Combine { Add, Subtract, Multiply, Average, Maximum, Minimum };

constexpr const char* combine_class(Combine c) {
  switch (c) {
    case Combine::Add: return "Add";
    case Combine::Subtract: return "Subtract";
    case Combine::Multiply: return "Multiply";
    case Combine::Average: return "Average";
    case Combine::Maximum: return "Maximum";
    case Combine::Minimum: return "Minimum";
  }
  return "";
}

void require_inputs(const Layer& l, const std::string& cls, std::size_t n, bool exact,
                    std::size_t found) {
  if (exact ? found != n : found < n)
    throw Error("layer '" + l.name() + "' (" + cls + ") needs " + (exact ? "exactly " : "at least ") +
                std::to_string(n) + " inputs, found " + std::to_string(found));
}

// Shape of an elementwise merge: broadcasting per axis, unknown where any is unknown.
Shape broadcast_shapes(const Layer& l, const std::string& cls, const std::vector<Shape>& shapes) {
  Shape out = shapes.at(0);
  for (const Shape& s : shapes) {
    if (s.size() != out.size())
      throw Error("layer '" + l.name() + "' (" + cls + "): inputs of different ranks " +
                  shape_to_string(out) + " and " + shape_to_string(s));
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (out[i] == 1 || out[i] < 0) out[i] = (out[i] < 0 && s[i] == 1) ? out[i] : s[i];
      else if (s[i] != 1 && s[i] >= 0 && s[i] != out[i])
        throw Error("layer '" + l.name() + "' (" + cls + "): incompatible input shapes " +
                    shape_to_string(shapes[0]) + " and " + shape_to_string(s));
    }
  }
  return out;
}

// The elementwise merge of `inputs` (at least one; Subtract uses the first two).
Tensor combine(Combine kind, const Tensors& inputs) {
  Tensor y = inputs.at(0).as_float();
  if (kind == Combine::Subtract) return ops::sub(y, inputs.at(1).as_float());
  for (std::size_t i = 1; i < inputs.size(); ++i) {
    const Tensor x = inputs[i].as_float();
    switch (kind) {
      case Combine::Add:
      case Combine::Average: y = ops::add(y, x); break;
      case Combine::Multiply: y = ops::mul(y, x); break;
      case Combine::Maximum: y = ops::maximum(y, x); break;
      case Combine::Minimum: y = ops::minimum(y, x); break;
      case Combine::Subtract: break;
    }
  }
  // Keras divides the sum by the count (not a multiply by its inverse: the rounding differs).
  if (kind == Combine::Average) y = ops::div(y, ops::constant(static_cast<double>(inputs.size())));
  return y;
}

// A constant argument of the call as a float32 tensor.
Tensor constant_tensor(const call_arguments::Constant& c) {
  Tensor t(DType::Float32, c.shape);
  std::copy(c.values.begin(), c.values.end(), t.data<float>());
  return t;
}

template <Combine Kind>
class Elementwise : public Layer, public ElementwiseSumLayer {
 public:
  explicit Elementwise(const Json& config) : Layer(config, combine_class(Kind)) {}
  std::string class_name() const override { return combine_class(Kind); }

  // Add of two tensors (not a Keras 3 op call with constant arguments): a convolution before it
  // can add its output into the other input (ksave/inference_folding.hpp).
  bool sums_two_inputs(const Json* call_kwargs) const override {
    return Kind == Combine::Add && (!call_kwargs || !call_kwargs->contains(call_arguments::kArgsKey));
  }

 protected:
  Tensors call(const Tensors& inputs, const CallContext& ctx) override {
    const Tensors operands = operands_of(inputs, ctx);
    check_count(operands.size());
    return {combine(Kind, operands)};
  }
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override {
    // One tensor: a Keras 3 op call whose other operands are constants (only the call knows them).
    if (shapes.size() == 1) return Layer::compute_output_shape(shapes);
    check_count(shapes.size());
    return {broadcast_shapes(*this, class_name(), shapes)};
  }

 private:
  // The operands: the input tensors, or for a Keras 3 op call recorded with constant arguments
  // (keras.ops.add(x, 3.0): the loader keeps the call's structure, see ksave/call_arguments.hpp)
  // its arguments in order, constants as tensors.
  Tensors operands_of(const Tensors& inputs, const CallContext& ctx) const {
    if (!ctx.kwargs || !ctx.kwargs->contains(call_arguments::kArgsKey)) return inputs;
    const call_arguments::CallArguments<Tensor> arguments(
        ctx.kwargs, inputs.size(), "layer '" + name() + "' (" + class_name() + ")",
        [&](std::size_t i) { return inputs[i]; }, constant_tensor);
    return Tensors(arguments.first_list());
  }

  void check_count(std::size_t n) const {
    if constexpr (Kind == Combine::Subtract) require_inputs(*this, class_name(), 2, true, n);
    else require_inputs(*this, class_name(), Kind == Combine::Average ? 1 : 2, false, n);
  }
};

class Concatenate : public Layer {
 public:
  explicit Concatenate(const Json& config) : Layer(config, "Concatenate") {
    axis_ = ConfigReader(config, "layer '" + name() + "' (Concatenate)").get<std::int64_t>("axis", -1, {"concat_axis"});
  }
  std::string class_name() const override { return "Concatenate"; }
  Json get_config() const override {
    Json c = Layer::get_config();
    c["axis"] = axis_;
    return c;
  }

 protected:
  Tensors call(const Tensors& inputs, const CallContext&) override {
    require_inputs(*this, "Concatenate", 1, false, inputs.size());
    std::vector<Tensor> xs;
    for (const Tensor& x : inputs) xs.push_back(x.as_float());
    return {ops::concat(xs, axis_)};
  }
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override {
    require_inputs(*this, "Concatenate", 1, false, shapes.size());
    Shape out = shapes[0];
    const auto rank = static_cast<std::int64_t>(out.size());
    const std::int64_t axis = axis_ < 0 ? axis_ + rank : axis_;
    if (axis < 0 || axis >= rank)
      throw Error("layer '" + name() + "' (Concatenate): axis " + std::to_string(axis_) +
                  " is outside inputs of rank " + std::to_string(rank));
    for (std::size_t i = 1; i < shapes.size(); ++i) {
      if (shapes[i].size() != out.size())
        throw Error("layer '" + name() + "' (Concatenate): inputs of different ranks " +
                    shape_to_string(shapes[0]) + " and " + shape_to_string(shapes[i]));
      Dim& d = out[static_cast<std::size_t>(axis)];
      const Dim e = shapes[i][static_cast<std::size_t>(axis)];
      d = (d < 0 || e < 0) ? kUnknown : d + e;
    }
    return {out};
  }

 private:
  std::int64_t axis_ = -1;
};

// Keras's batch_dot for rank-2 and rank-3 inputs: contracts axes[0] of x with axes[1] of y
// (negative axes count from the end), optionally of l2-normalised inputs.
Tensor batch_dot(const Layer& l, const std::string& cls, Tensor x, Tensor y,
                 const std::vector<std::int64_t>& axes, bool normalize) {
  const int rank = x.rank();
  if (rank != y.rank() || rank < 2 || rank > 3)
    throw Error("layer '" + l.name() + "' (" + cls + ") supports two inputs of rank 2 or 3, found " +
                shape_to_string(x.shape()) + " and " + shape_to_string(y.shape()));
  auto axis = [&](std::size_t which) {
    std::int64_t a = axes[which];
    if (a < 0) a += rank;
    if (a < 1 || a >= rank)
      throw Error("layer '" + l.name() + "' (" + cls + "): axis " + std::to_string(axes[which]) +
                  " must be a non-batch axis of inputs of rank " + std::to_string(rank));
    return a;
  };
  const std::int64_t ax = axis(0), ay = axis(1);
  if (normalize) {
    // x / sqrt(max(sum(x^2), 1e-12)), as tf.linalg.l2_normalize.
    auto l2 = [](const Tensor& t, std::int64_t a) {
      const Tensor sq = ops::sum(ops::square(t), {a}, true);
      return ops::mul(t, ops::rsqrt(ops::maximum(sq, ops::constant(1e-12))));
    };
    x = l2(x, ax);
    y = l2(y, ay);
  }
  if (rank == 2) return ops::sum(ops::mul(x, y), {1}, true);
  // x to (N, other, d), y to (N, d, other): one batched product.
  if (ax == 1) x = ops::transpose(x, {0, 2, 1});
  if (ay == 2) y = ops::transpose(y, {0, 2, 1});
  return ops::batch_matmul(x, y);
}

// An int or a list of two ints (Dot's axes, Keras 1 Merge's dot_axes); `single` tells which.
std::vector<std::int64_t> dot_axes(const Json& axes, const std::string& object, bool& single) {
  single = axes.is_number_integer();
  if (single) return {axes.get<std::int64_t>(), axes.get<std::int64_t>()};
  if (axes.is_array() && axes.size() == 2 && axes[0].is_number_integer() && axes[1].is_number_integer())
    return {axes[0].get<std::int64_t>(), axes[1].get<std::int64_t>()};
  throw Error(object + ": axes must be an int or a list of two ints, found " + axes.dump());
}

// Dot: batch_dot of its two inputs over `axes`.
class Dot : public Layer {
 public:
  explicit Dot(const Json& config) : Layer(config, "Dot") {
    ConfigReader r(config, "layer '" + name() + "' (Dot)");
    axes_ = dot_axes(r.require<Json>("axes", {"dot_axes"}), r.object(), single_axis_);
    normalize_ = r.get<bool>("normalize", false);
  }
  std::string class_name() const override { return "Dot"; }
  Json get_config() const override {
    Json c = Layer::get_config();
    c["axes"] = single_axis_ ? Json(axes_[0]) : spatial::ints_json(axes_);
    c["normalize"] = normalize_;
    return c;
  }

 protected:
  Tensors call(const Tensors& inputs, const CallContext&) override {
    require_inputs(*this, "Dot", 2, true, inputs.size());
    return {batch_dot(*this, "Dot", inputs[0].as_float(), inputs[1].as_float(), axes_, normalize_)};
  }

 private:
  std::vector<std::int64_t> axes_;
  bool single_axis_ = false;
  bool normalize_ = false;
};

// Keras 1's Merge layer (keras.layers.merge / Merge(mode=...)) in its functional form: the string
// modes sum, mul, ave, max, concat and dot. Modes given as Python functions and Merge layers
// holding Keras 1 Sequential branches cannot run here and fail naming the layer.
class Merge : public Layer {
 public:
  explicit Merge(const Json& config) : Layer(config, "Merge") {
    ConfigReader r(config, "layer '" + name() + "' (Merge)");
    if (r.has("layers") && !r.json()["layers"].is_null())
      throw Error(r.object() + ": a Keras 1 Merge of Sequential branches (config 'layers') is not supported; "
                  "re-save the model with the functional API");
    mode_ = r.get<std::string>("mode", "sum");
    mode_type_ = r.get<std::string>("mode_type", "raw");
    if (mode_type_ != "raw" || (mode_ != "sum" && mode_ != "mul" && mode_ != "ave" && mode_ != "max" &&
                                mode_ != "concat" && mode_ != "dot"))
      throw Error(r.object() + ": mode '" + mode_ + "' (" + mode_type_ +
                  ") cannot run in C++; supported modes are sum, mul, ave, max, concat and dot");
    concat_axis_ = r.get<std::int64_t>("concat_axis", -1);
    dot_axes_json_ = r.get<Json>("dot_axes", -1);
    bool single = false;
    dot_axes_ = dot_axes(dot_axes_json_, r.object(), single);
    // Kept as read so the config round-trips.
    for (const char* key : {"output_shape", "output_shape_type", "output_mask", "output_mask_type", "arguments"})
      passthrough_[key] = r.get<Json>(key, nullptr);
  }
  std::string class_name() const override { return "Merge"; }
  Json get_config() const override {
    Json c = Layer::get_config();
    c["mode"] = mode_;
    c["mode_type"] = mode_type_;
    c["concat_axis"] = concat_axis_;
    c["dot_axes"] = dot_axes_json_;
    for (const auto& [key, value] : passthrough_.items()) c[key] = value;
    return c;
  }

 protected:
  Tensors call(const Tensors& inputs, const CallContext&) override {
    require_inputs(*this, "Merge", 2, false, inputs.size());
    if (mode_ == "concat") {
      std::vector<Tensor> xs;
      for (const Tensor& x : inputs) xs.push_back(x.as_float());
      return {ops::concat(xs, concat_axis_)};
    }
    if (mode_ == "dot") {
      require_inputs(*this, "Merge", 2, true, inputs.size());
      return {batch_dot(*this, "Merge", inputs[0].as_float(), inputs[1].as_float(), dot_axes_, false)};
    }
    const Combine kind = mode_ == "sum" ? Combine::Add : mode_ == "mul" ? Combine::Multiply
                         : mode_ == "ave" ? Combine::Average : Combine::Maximum;
    return {combine(kind, inputs)};
  }

 private:
  std::string mode_, mode_type_;
  std::int64_t concat_axis_ = -1;
  Json dot_axes_json_;
  std::vector<std::int64_t> dot_axes_;
  Json passthrough_ = Json::object();
};

void register_objects(PluginRegistrar& r) {
  // A call of these with a constant (x + 3.0) is, in Keras 3, the keras.ops operation of the
  // same name (Average has none).
  const Keras3Form numpy_op = Keras3Form().op_module("keras.src.ops.numpy");
  r.layer<Elementwise<Combine::Add>>("Add").keras3_form(numpy_op);
  r.layer<Elementwise<Combine::Subtract>>("Subtract").keras3_form(numpy_op);
  r.layer<Elementwise<Combine::Multiply>>("Multiply").keras3_form(numpy_op);
  r.layer<Elementwise<Combine::Average>>("Average");
  r.layer<Elementwise<Combine::Maximum>>("Maximum").keras3_form(numpy_op);
  r.layer<Elementwise<Combine::Minimum>>("Minimum").keras3_form(numpy_op);
  r.layer<Concatenate>("Concatenate");
  r.layer<Dot>("Dot");
  r.layer<Merge>("Merge");
}

}  // namespace
}  // namespace ksave::plugins

KSAVE_PLUGIN("merge", "0.1.0", ksave::plugins::register_objects)

// What the conformance kit (ksave conform) builds these classes from where {} builds nothing or
// the inputs are not one float tensor.
namespace {

ksave::Json conformance_samples() {
  return ksave::ConformanceSamples()
      .layer("Dot", {{"axes", 1}})
      .json();
}

}  // namespace

KSAVE_CONFORMANCE_SAMPLES(conformance_samples)
