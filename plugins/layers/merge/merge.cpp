// Merge layers: Add, Subtract, Multiply, Average, Maximum, Minimum (elementwise over two or more
// inputs, broadcasting as Keras's _Merge does for equal ranks), Concatenate (axis) and Dot
// (batch dot product over `axes`, optionally of l2-normalised inputs).
#include "../common/spatial_config.hpp"
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

template <Combine Kind>
class Elementwise : public Layer {
 public:
  explicit Elementwise(const Json& config) : Layer(config, combine_class(Kind)) {}
  std::string class_name() const override { return combine_class(Kind); }

 protected:
  Tensors call(const Tensors& inputs, const CallContext&) override {
    check_count(inputs.size());
    Tensor y = inputs[0].as_float();
    if constexpr (Kind == Combine::Subtract) return {ops::sub(y, inputs[1].as_float())};
    for (std::size_t i = 1; i < inputs.size(); ++i) {
      const Tensor x = inputs[i].as_float();
      switch (Kind) {
        case Combine::Add:
        case Combine::Average: y = ops::add(y, x); break;
        case Combine::Multiply: y = ops::mul(y, x); break;
        case Combine::Maximum: y = ops::maximum(y, x); break;
        case Combine::Minimum: y = ops::minimum(y, x); break;
        case Combine::Subtract: break;
      }
    }
    // Keras divides the sum by the count (not a multiply by its inverse: the rounding differs).
    if constexpr (Kind == Combine::Average) y = ops::div(y, ops::constant(static_cast<double>(inputs.size())));
    return {y};
  }
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override {
    check_count(shapes.size());
    return {broadcast_shapes(*this, class_name(), shapes)};
  }

 private:
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

// Keras's batch_dot for rank-2 and rank-3 inputs: contracts axes_[0] of x with axes_[1] of y.
class Dot : public Layer {
 public:
  explicit Dot(const Json& config) : Layer(config, "Dot") {
    ConfigReader r(config, "layer '" + name() + "' (Dot)");
    const Json axes = r.require<Json>("axes", {"dot_axes"});
    if (axes.is_number_integer()) {
      axes_ = {axes.get<std::int64_t>(), axes.get<std::int64_t>()};
      single_axis_ = true;
    } else if (axes.is_array() && axes.size() == 2 && axes[0].is_number_integer() && axes[1].is_number_integer()) {
      axes_ = {axes[0].get<std::int64_t>(), axes[1].get<std::int64_t>()};
    } else {
      throw Error(r.object() + ": axes must be an int or a list of two ints, found " + axes.dump());
    }
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
    Tensor x = inputs[0].as_float(), y = inputs[1].as_float();
    const int rank = x.rank();
    if (rank != y.rank() || rank < 2 || rank > 3)
      throw Error("layer '" + name() + "' (Dot) supports two inputs of rank 2 or 3, found " +
                  shape_to_string(x.shape()) + " and " + shape_to_string(y.shape()));
    const std::int64_t ax = axis(0, rank), ay = axis(1, rank);
    if (normalize_) {
      x = l2_normalize(x, ax);
      y = l2_normalize(y, ay);
    }
    if (rank == 2) return {ops::sum(ops::mul(x, y), {1}, true)};
    // x to (N, other, d), y to (N, d, other): one batched product.
    if (ax == 1) x = ops::transpose(x, {0, 2, 1});
    if (ay == 2) y = ops::transpose(y, {0, 2, 1});
    return {ops::batch_matmul(x, y)};
  }

 private:
  std::int64_t axis(int which, int rank) const {
    std::int64_t a = axes_[static_cast<std::size_t>(which)];
    if (a < 0) a += rank;
    if (a < 1 || a >= rank)
      throw Error("layer '" + name() + "' (Dot): axis " + std::to_string(axes_[static_cast<std::size_t>(which)]) +
                  " must be a non-batch axis of inputs of rank " + std::to_string(rank));
    return a;
  }
  // x / sqrt(max(sum(x^2), 1e-12)), as tf.linalg.l2_normalize.
  static Tensor l2_normalize(const Tensor& x, std::int64_t axis) {
    const Tensor sq = ops::sum(ops::square(x), {axis}, true);
    return ops::mul(x, ops::rsqrt(ops::maximum(sq, ops::constant(1e-12))));
  }
  std::vector<std::int64_t> axes_;
  bool single_axis_ = false;
  bool normalize_ = false;
};

void register_objects(PluginRegistrar& r) {
  r.layer<Elementwise<Combine::Add>>("Add");
  r.layer<Elementwise<Combine::Subtract>>("Subtract");
  r.layer<Elementwise<Combine::Multiply>>("Multiply");
  r.layer<Elementwise<Combine::Average>>("Average");
  r.layer<Elementwise<Combine::Maximum>>("Maximum");
  r.layer<Elementwise<Combine::Minimum>>("Minimum");
  r.layer<Concatenate>("Concatenate");
  r.layer<Dot>("Dot");
}

}  // namespace
}  // namespace ksave::plugins

KSAVE_PLUGIN("merge", "0.1.0", ksave::plugins::register_objects)
