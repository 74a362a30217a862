// Shape layers: Flatten, Reshape, Permute, RepeatVector, ZeroPadding1D/2D/3D, Cropping1D/2D/3D
// and UpSampling1D/2D/3D (nearest; UpSampling2D also bilinear and bicubic). All are pure op
// compositions (reshape, transpose, pad, slice, tile, gather), so their gradients come from those ops.
#include "../common/image_resize.hpp"
#include "../common/spatial_config.hpp"
#include "ksave/conformance.hpp"
#include "ksave/inference_folding.hpp"
#include "ksave/plugin.hpp"

namespace ksave::plugins {
namespace {

std::string object_name(const Layer& l, const char* cls) { return "layer '" + l.name() + "' (" + cls + ")"; }

void require_rank(const Layer& l, const char* cls, std::size_t rank, const Shape& s) {
  if (s.size() != rank)
    throw Error(object_name(l, cls) + " needs an input of rank " + std::to_string(rank) +
                ", found " + shape_to_string(s));
}

Dim product_or_unknown(const Shape& s, std::size_t from) {
  Dim p = 1;
  for (std::size_t i = from; i < s.size(); ++i) {
    if (s[i] < 0) return kUnknown;
    p *= s[i];
  }
  return p;
}

class Flatten : public Layer {
 public:
  explicit Flatten(const Json& config) : Layer(config, "Flatten") {
    data_format_ = spatial::data_format(ConfigReader(config, object_name(*this, "Flatten")));
  }
  std::string class_name() const override { return "Flatten"; }
  Json get_config() const override {
    Json c = Layer::get_config();
    c["data_format"] = data_format_;
    return c;
  }

 protected:
  Tensors call(const Tensors& inputs, const CallContext&) override {
    Tensor x = inputs.at(0);
    // channels_first: move the channel axis last first, so the flat order is channels_last's.
    if (data_format_ == "channels_first" && x.rank() > 2)
      x = ops::transpose(x, spatial::to_channels_last(x.rank()));
    if (x.rank() == 0) throw Error(object_name(*this, "Flatten") + " needs a batch axis");
    return {ops::reshape(x, {x.dim(0), x.rank() == 1 ? 1 : product_or_unknown(x.shape(), 1)})};
  }
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override {
    const Shape& in = shapes.at(0);
    return {{in.at(0), in.size() == 1 ? 1 : product_or_unknown(in, 1)}};
  }

 private:
  std::string data_format_;
};

class Reshape : public Layer {
 public:
  explicit Reshape(const Json& config) : Layer(config, "Reshape") {
    ConfigReader r(config, object_name(*this, "Reshape"));
    const Json target = r.require<Json>("target_shape", {"dims"});
    const auto refuse = [&] {
      throw Error(r.object() + ": config key 'target_shape' expected a list of positive integers and at most one -1 "
                  "or null, found " + target.dump());
    };
    if (!target.is_array()) refuse();
    for (const Json& d : target) {
      // null is Keras 3's spelling of the unknown entry.
      if (!d.is_null() && !d.is_number_integer()) refuse();
      const std::int64_t v = d.is_null() ? -1 : d.get<std::int64_t>();
      if (v < -1 || v == 0) refuse();
      target_.push_back(v);
    }
    if (std::count(target_.begin(), target_.end(), -1) > 1)
      throw Error(r.object() + ": target_shape may have one unknown (-1) entry only");
  }
  std::string class_name() const override { return "Reshape"; }
  Json get_config() const override {
    Json c = Layer::get_config();
    c["target_shape"] = spatial::ints_json(target_);
    return c;
  }

 protected:
  Tensors call(const Tensors& inputs, const CallContext&) override {
    const Tensor& x = inputs.at(0);
    Shape shape{x.dim(0)};
    shape.insert(shape.end(), target_.begin(), target_.end());
    return {ops::reshape(x, shape)};
  }
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override {
    const Shape& in = shapes.at(0);
    Shape out{in.at(0)};
    out.insert(out.end(), target_.begin(), target_.end());
    const Dim total = product_or_unknown(in, 1);
    for (auto& d : out)
      if (&d != &out[0] && d == -1) {
        Dim known = 1;
        for (std::size_t i = 1; i < out.size(); ++i)
          if (out[i] != -1) known *= out[i];
        d = total < 0 ? kUnknown : total / known;
      }
    return {out};
  }

 private:
  std::vector<std::int64_t> target_;
};

class Permute : public Layer {
 public:
  explicit Permute(const Json& config) : Layer(config, "Permute") {
    ConfigReader r(config, object_name(*this, "Permute"));
    dims_ = r.require<std::vector<std::int64_t>>("dims");
    std::vector<std::int64_t> sorted = dims_;
    std::sort(sorted.begin(), sorted.end());
    for (std::size_t i = 0; i < sorted.size(); ++i)
      if (sorted[i] != static_cast<std::int64_t>(i + 1))
        throw Error(r.object() + ": dims must be a permutation of 1.." + std::to_string(dims_.size()) +
                    ", found " + spatial::ints_json(dims_).dump());
  }
  std::string class_name() const override { return "Permute"; }
  Json get_config() const override {
    Json c = Layer::get_config();
    c["dims"] = spatial::ints_json(dims_);
    return c;
  }

 protected:
  Tensors call(const Tensors& inputs, const CallContext&) override {
    require_rank(*this, "Permute", dims_.size() + 1, inputs.at(0).shape());
    return {ops::transpose(inputs.at(0), perm())};
  }
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override {
    require_rank(*this, "Permute", dims_.size() + 1, shapes.at(0));
    return {spatial::permuted(shapes.at(0), perm())};
  }

 private:
  std::vector<std::int64_t> perm() const {
    std::vector<std::int64_t> p{0};
    p.insert(p.end(), dims_.begin(), dims_.end());
    return p;
  }
  std::vector<std::int64_t> dims_;
};

class RepeatVector : public Layer {
 public:
  explicit RepeatVector(const Json& config) : Layer(config, "RepeatVector") {
    ConfigReader r(config, object_name(*this, "RepeatVector"));
    n_ = r.require<std::int64_t>("n");
    if (n_ < 1) throw Error(r.object() + ": n must be positive, found " + std::to_string(n_));
  }
  std::string class_name() const override { return "RepeatVector"; }
  Json get_config() const override {
    Json c = Layer::get_config();
    c["n"] = n_;
    return c;
  }

 protected:
  Tensors call(const Tensors& inputs, const CallContext&) override {
    require_rank(*this, "RepeatVector", 2, inputs.at(0).shape());
    return {ops::tile(ops::expand_dims(inputs.at(0), 1), {1, n_, 1})};
  }
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override {
    require_rank(*this, "RepeatVector", 2, shapes.at(0));
    return {{shapes[0][0], n_, shapes[0][1]}};
  }

 private:
  std::int64_t n_ = 1;
};

// Per spatial axis {before, after} amounts of ZeroPadding and Cropping, from Keras's forms:
// an int (all sides), one int per axis (symmetric), or one pair per axis. 1-D layers keep a
// flat pair in their config.
std::vector<std::pair<std::int64_t, std::int64_t>> read_amounts(const Json& v, int rank,
                                                                const std::string& object,
                                                                const char* key) {
  auto fail = [&] {
    return Error(object + ": " + key + " must be an int, " + std::to_string(rank) +
                 " ints or pairs of non-negative ints, found " + v.dump());
  };
  std::vector<std::pair<std::int64_t, std::int64_t>> out;
  if (v.is_number_integer()) {
    out.assign(static_cast<std::size_t>(rank), {v.get<std::int64_t>(), v.get<std::int64_t>()});
  } else if (rank == 1 && v.is_array() && v.size() == 2 && v[0].is_number_integer()) {
    out.push_back({v[0].get<std::int64_t>(), v[1].get<std::int64_t>()});
  } else if (v.is_array() && static_cast<int>(v.size()) == rank) {
    for (const Json& e : v) {
      if (e.is_number_integer()) out.push_back({e.get<std::int64_t>(), e.get<std::int64_t>()});
      else if (e.is_array() && e.size() == 2) out.push_back({e[0].get<std::int64_t>(), e[1].get<std::int64_t>()});
      else throw fail();
    }
  } else {
    throw fail();
  }
  for (auto [a, b] : out)
    if (a < 0 || b < 0) throw fail();
  return out;
}

Json amounts_json(const std::vector<std::pair<std::int64_t, std::int64_t>>& amounts) {
  if (amounts.size() == 1) return Json::array({amounts[0].first, amounts[0].second});
  Json j = Json::array();
  for (auto [a, b] : amounts) j.push_back(Json::array({a, b}));
  return j;
}

// ZeroPadding and Cropping share their config and layout handling; `Grow` picks which.
template <int Rank, bool Grow>
class SpatialEdges : public Layer, public SpatialZeroPaddingLayer {
 public:
  static_assert(Rank >= 1 && Rank <= 3);
  static constexpr const char* kClass = Grow ? by_rank<Rank>("ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D")
                                             : by_rank<Rank>("Cropping1D", "Cropping2D", "Cropping3D");
  static constexpr const char* kKey = Grow ? "padding" : "cropping";

  explicit SpatialEdges(const Json& config) : Layer(config, kClass) {
    ConfigReader r(config, object_name(*this, kClass));
    // Keras's defaults: 1 on every side, except Cropping2D's 0.
    const Json fallback = Rank == 2 && !Grow ? Json(0) : Json(1);
    amounts_ = read_amounts(r.get<Json>(kKey, Rank == 1 && !Grow ? Json::array({1, 1}) : fallback),
                            Rank, r.object(), kKey);
    if constexpr (Rank >= 2) data_format_ = spatial::data_format(r);
  }
  std::string class_name() const override { return kClass; }
  Json get_config() const override {
    Json c = Layer::get_config();
    c[kKey] = amounts_json(amounts_);
    if constexpr (Rank >= 2) c["data_format"] = data_format_;
    return c;
  }

 protected:
  Tensors call(const Tensors& inputs, const CallContext&) override {
    const Tensor& x = inputs.at(0);
    require_rank(*this, kClass, Rank + 2, x.shape());
    const std::size_t first = first_spatial();
    if constexpr (Grow) {
      std::vector<std::pair<std::int64_t, std::int64_t>> pads(x.shape().size(), {0, 0});
      for (std::size_t i = 0; i < Rank; ++i) pads[first + i] = amounts_[i];
      return {ops::pad(x, pads)};
    } else {
      std::vector<std::int64_t> begin(x.shape().size(), 0), size(x.shape().size(), -1);
      for (std::size_t i = 0; i < Rank; ++i) {
        const Dim kept = x.dim(static_cast<int>(first + i)) - amounts_[i].first - amounts_[i].second;
        if (kept < 0)
          throw Error(object_name(*this, kClass) + ": cropping " + amounts_json(amounts_).dump() +
                      " is larger than the input " + shape_to_string(x.shape()));
        begin[first + i] = amounts_[i].first;
        size[first + i] = kept;
      }
      return {ops::slice(x, begin, size)};
    }
  }
  // Inference folding (ksave/inference_folding.hpp): a ZeroPadding's amounts become the padding
  // of a convolution reading only its output.
  std::vector<std::pair<Dim, Dim>> channels_last_zero_padding() const override {
    if (!Grow || first_spatial() != 1) return {};
    return amounts_;
  }

  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override {
    Shape out = shapes.at(0);
    require_rank(*this, kClass, Rank + 2, out);
    for (std::size_t i = 0; i < Rank; ++i) {
      Dim& d = out[first_spatial() + i];
      Dim change = 0, grown = 0;
      // Checked: padding or cropping of 2^62 from a hostile config must not wrap around.
      if (__builtin_add_overflow(amounts_[i].first, amounts_[i].second, &change) ||
          (Grow && d >= 0 && __builtin_add_overflow(d, change, &grown)))
        throw Error(std::string(kClass) + " '" + name() + "': padding or cropping " + std::to_string(amounts_[i].first) +
                    " and " + std::to_string(amounts_[i].second) + " is too large");
      if (d >= 0) d = Grow ? grown : std::max<Dim>(d - change, 0);
    }
    return {out};
  }

 private:
  std::size_t first_spatial() const { return data_format_ == "channels_first" ? 2 : 1; }
  std::vector<std::pair<std::int64_t, std::int64_t>> amounts_;
  std::string data_format_ = "channels_last";
};

// Nearest-neighbour upsampling: every row (and column) repeated `size` times. UpSampling2D's
// bilinear and bicubic are tf.image.resize to the multiplied size, as tf-keras and Keras 3 compute
// them (on NHWC images: channels_first is transposed there and back, as both Kerases do).
template <int Rank>
class UpSampling : public Layer {
 public:
  static_assert(Rank >= 1 && Rank <= 3);
  static constexpr const char* kClass = by_rank<Rank>("UpSampling1D", "UpSampling2D", "UpSampling3D");

  explicit UpSampling(const Json& config) : Layer(config, kClass) {
    ConfigReader r(config, object_name(*this, kClass));
    size_ = r.int_tuple("size", Rank, std::vector<std::int64_t>(Rank, 2), {"length"});
    spatial::require_positive(size_, r, "size");
    if constexpr (Rank >= 2) data_format_ = spatial::data_format(r);
    if constexpr (Rank == 2) {
      interpolation_ = r.get<std::string>("interpolation", "nearest");
      if (!image_resize::computes(interpolation_))
        throw Error(r.object() + ": interpolation '" + interpolation_ + "' is not supported by ksave's UpSampling2D (" +
                    image_resize::kMethods + ")");
    }
  }
  std::string class_name() const override { return kClass; }
  Json get_config() const override {
    Json c = Layer::get_config();
    if constexpr (Rank == 1) {
      c["size"] = size_[0];
    } else {
      c["size"] = spatial::ints_json(size_);
      c["data_format"] = data_format_;
      // UpSampling3D has no interpolation key: it is nearest only.
      if constexpr (Rank == 2) c["interpolation"] = interpolation_;
    }
    return c;
  }

 protected:
  Tensors call(const Tensors& inputs, const CallContext&) override {
    Tensor x = inputs.at(0);
    require_rank(*this, kClass, Rank + 2, x.shape());
    const int first = data_format_ == "channels_first" ? 2 : 1;
    if (interpolation_ != "nearest") return {resized(x)};
    for (int i = 0; i < Rank; ++i) x = repeat_axis(x, first + i, size_[static_cast<std::size_t>(i)]);
    return {x};
  }
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override {
    Shape out = shapes.at(0);
    require_rank(*this, kClass, Rank + 2, out);
    const std::size_t first = data_format_ == "channels_first" ? 2 : 1;
    for (std::size_t i = 0; i < Rank; ++i)
      // Checked: a size of 2^62 from a hostile config must not wrap around.
      if (out[first + i] >= 0 && __builtin_mul_overflow(out[first + i], size_[i], &out[first + i]))
        throw Error(std::string(kClass) + " '" + name() + "': size " + std::to_string(size_[i]) + " is too large");
    return {out};
  }

 private:
  // UpSampling2D's bilinear / bicubic: the images resized to size times their height and width.
  Tensor resized(const Tensor& x) const {
    const bool channels_first = data_format_ == "channels_first";
    const Tensor images = channels_first ? ops::transpose(x, {0, 2, 3, 1}) : x;
    const Tensor y = image_resize::resize(images, images.dim(1) * size_[0], images.dim(2) * size_[1], interpolation_);
    return channels_first ? ops::transpose(y, {0, 3, 1, 2}) : y;
  }
  // Each slice along `axis` repeated n times in place (TF's repeat_elements).
  static Tensor repeat_axis(const Tensor& x, int axis, std::int64_t n) {
    std::vector<std::int64_t> multiples(static_cast<std::size_t>(x.rank() + 1), 1);
    multiples[static_cast<std::size_t>(axis + 1)] = n;
    Shape shape = x.shape();
    shape[static_cast<std::size_t>(axis)] *= n;
    return ops::reshape(ops::tile(ops::expand_dims(x, axis + 1), multiples), shape);
  }
  std::vector<std::int64_t> size_;
  std::string data_format_ = "channels_last";
  std::string interpolation_ = "nearest";
};

void register_objects(PluginRegistrar& r) {
  r.layer<Flatten>("Flatten");
  r.layer<Reshape>("Reshape").keras3_form(Keras3Form().no_build_config());  // Keras 3's has no build()
  r.layer<Permute>("Permute");
  r.layer<RepeatVector>("RepeatVector");
  // Keras 3's ZeroPadding1D has a data_format, which tf-keras's lacks.
  r.layer<SpatialEdges<1, true>>("ZeroPadding1D")
      .keras3_form(Keras3Form()
                       .keys({"name", "trainable", "dtype", "padding", "data_format"})
                       .default_value("data_format", "channels_last"));
  r.layer<SpatialEdges<2, true>>("ZeroPadding2D");
  r.layer<SpatialEdges<1, false>>("Cropping1D");
  r.layer<SpatialEdges<2, false>>("Cropping2D");
  r.layer<UpSampling<1>>("UpSampling1D");
  r.layer<UpSampling<2>>("UpSampling2D");
  r.layer<SpatialEdges<3, true>>("ZeroPadding3D");
  r.layer<SpatialEdges<3, false>>("Cropping3D");
  r.layer<UpSampling<3>>("UpSampling3D");
}

}  // namespace
}  // namespace ksave::plugins

KSAVE_PLUGIN("reshaping", "0.1.0", ksave::plugins::register_objects)

// What the conformance kit (ksave conform) builds these classes from where {} builds nothing or
// the inputs are not one float tensor.
namespace {

ksave::Json conformance_samples() {
  return ksave::ConformanceSamples()
      .layer("Reshape", {{"target_shape", {2, 2}}})
      .layer("Permute", {{"dims", {2, 1}}}, {{.shape = {3, 4}}})
      .layer("RepeatVector", {{"n", 2}})
      .json();
}

}  // namespace

KSAVE_CONFORMANCE_SAMPLES(conformance_samples)
