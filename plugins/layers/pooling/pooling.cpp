// MaxPooling1D/2D/3D and AveragePooling1D/2D/3D through the MaxPool/AvgPool ops (TensorFlow's
// window rules: SAME padding never wins a max and is not counted in an average). 1-D pooling runs
// on an inserted height axis of 1; 3-D pooling as two 2-D passes (common/conv3d.hpp). Keras 1 spellings: pool_length, stride, border_mode, dim_ordering.
#include "../common/conv3d.hpp"
#include "../common/spatial_config.hpp"
#include "adaptive_pooling.hpp"
#include "ksave/plugin.hpp"

namespace ksave::plugins {
namespace {

enum class Reduce { Max, Average };

template <int Rank, Reduce Kind>
class Pooling : public Layer {
  static_assert(Rank >= 1 && Rank <= 3);

 public:
  static constexpr const char* kClass =
      Kind == Reduce::Max ? by_rank<Rank>("MaxPooling1D", "MaxPooling2D", "MaxPooling3D")
                          : by_rank<Rank>("AveragePooling1D", "AveragePooling2D", "AveragePooling3D");

  explicit Pooling(const Json& config) : Layer(config, kClass) {
    ConfigReader r(config, "layer '" + name() + "' (" + kClass + ")");
    pool_size_ = r.int_tuple("pool_size", Rank, std::vector<std::int64_t>(Rank, 2), {"pool_length"});
    // Keras: strides default to the pool size.
    strides_ = r.int_tuple("strides", Rank, pool_size_, {"stride"});
    padding_ = spatial::padding(r, {"valid", "same"});
    data_format_ = spatial::data_format(r);
    spatial::require_positive(pool_size_, r, "pool_size");
    spatial::require_positive(strides_, r, "strides");
  }

  std::string class_name() const override { return kClass; }

  Json get_config() const override {
    Json c = Layer::get_config();
    // tf.keras 2.x orders Pooling1D's keys strides first, Pooling2D's and 3D's pool_size first.
    if constexpr (Rank == 1) c["strides"] = spatial::ints_json(strides_);
    c["pool_size"] = spatial::ints_json(pool_size_);
    c["padding"] = padding_;
    if constexpr (Rank != 1) c["strides"] = spatial::ints_json(strides_);
    c["data_format"] = data_format_;
    return c;
  }

 protected:
  Tensors call(const Tensors& inputs, const CallContext&) override {
    const Tensor x = inputs.at(0).as_float();
    if (x.rank() != Rank + 2)
      throw Error("layer '" + name() + "' (" + kClass + ") needs an input of rank " +
                  std::to_string(Rank + 2) + ", found " + shape_to_string(x.shape()));
    return {spatial::in_channels_last(x, data_format_ == "channels_first",
                                      [&](const Tensor& t) { return pool(t); })};
  }

  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override {
    Shape out = shapes.at(0);
    if (out.size() != Rank + 2)
      throw Error("layer '" + name() + "' (" + kClass + ") needs an input of rank " +
                  std::to_string(Rank + 2) + ", found " + shape_to_string(out));
    const std::size_t first = data_format_ == "channels_first" ? 2 : 1;
    for (std::size_t i = 0; i < Rank; ++i)
      out[first + i] = spatial::output_length(out[first + i], pool_size_[i], padding_, strides_[i]);
    return {out};
  }

 private:
  Tensor pool(const Tensor& x) const {
    if constexpr (Rank == 3) {
      return spatial::pool3d(x, pool_size_, strides_, padding_, Kind == Reduce::Max);
    } else if constexpr (Rank == 2) {
      return apply(x, pool_size_[0], pool_size_[1],
                   spatial::window(padding_, strides_[0], strides_[1]));
    } else {
      const Tensor y = apply(ops::expand_dims(x, 1), 1, pool_size_[0],
                             spatial::window(padding_, 1, strides_[0]));
      return ops::squeeze(y, {1});
    }
  }
  static Tensor apply(const Tensor& x, std::int64_t h, std::int64_t w, const ops::Window2D& win) {
    return Kind == Reduce::Max ? ops::max_pool(x, h, w, win) : ops::avg_pool(x, h, w, win);
  }

  std::vector<std::int64_t> pool_size_, strides_;
  std::string padding_, data_format_;
};

void register_objects(PluginRegistrar& r) {
  // Keras 3's pooling layers have no build() of their own; their keys come in this order.
  const Keras3Form form =
      Keras3Form().keys({"name", "trainable", "dtype", "pool_size", "padding", "strides", "data_format"}).no_build_config();
  r.layer<Pooling<1, Reduce::Max>>("MaxPooling1D", {"MaxPool1D"}).keras3_form(form);
  r.layer<Pooling<2, Reduce::Max>>("MaxPooling2D", {"MaxPool2D"}).keras3_form(form);
  r.layer<Pooling<1, Reduce::Average>>("AveragePooling1D", {"AvgPool1D"}).keras3_form(form);
  r.layer<Pooling<2, Reduce::Average>>("AveragePooling2D", {"AvgPool2D"}).keras3_form(form);
  r.layer<Pooling<3, Reduce::Max>>("MaxPooling3D", {"MaxPool3D"}).keras3_form(form);
  r.layer<Pooling<3, Reduce::Average>>("AveragePooling3D", {"AvgPool3D"}).keras3_form(form);
  register_adaptive_pooling(r);
}

}  // namespace
}  // namespace ksave::plugins

KSAVE_PLUGIN("pooling", "0.1.0", ksave::plugins::register_objects)
