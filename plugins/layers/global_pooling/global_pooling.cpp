// GlobalMaxPooling1D/2D/3D and GlobalAveragePooling1D/2D/3D: the max or mean over every spatial axis,
// keepdims as tf.keras >= 2.6 (older configs, without the key, read as false).
#include "../common/spatial_config.hpp"
#include "ksave/plugin.hpp"

namespace ksave::plugins {
namespace {

enum class Reduce { Max, Average };

template <int Rank, Reduce Kind>
class GlobalPooling : public Layer {
 public:
  static constexpr const char* kClass =
      Kind == Reduce::Max ? by_rank<Rank>("GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D")
                          : by_rank<Rank>("GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D");

  explicit GlobalPooling(const Json& config) : Layer(config, kClass) {
    ConfigReader r(config, "layer '" + name() + "' (" + kClass + ")");
    data_format_ = spatial::data_format(r);
    keepdims_ = r.get<bool>("keepdims", false);
  }

  std::string class_name() const override { return kClass; }

  Json get_config() const override {
    Json c = Layer::get_config();
    c["data_format"] = data_format_;
    c["keepdims"] = keepdims_;
    return c;
  }

 protected:
  Tensors call(const Tensors& inputs, const CallContext&) override {
    const Tensor x = inputs.at(0).as_float();
    if (x.rank() != Rank + 2)
      throw Error("layer '" + name() + "' (" + kClass + ") needs an input of rank " +
                  std::to_string(Rank + 2) + ", found " + shape_to_string(x.shape()));
    const auto axes = spatial_axes();
    return {Kind == Reduce::Max ? ops::max(x, axes, keepdims_) : ops::mean(x, axes, keepdims_)};
  }

  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override {
    const Shape& in = shapes.at(0);
    if (in.size() != Rank + 2)
      throw Error("layer '" + name() + "' (" + kClass + ") needs an input of rank " +
                  std::to_string(Rank + 2) + ", found " + shape_to_string(in));
    Shape out;
    const auto axes = spatial_axes();
    for (std::size_t i = 0; i < in.size(); ++i) {
      const bool spatial = std::find(axes.begin(), axes.end(), static_cast<std::int64_t>(i)) != axes.end();
      if (!spatial) out.push_back(in[i]);
      else if (keepdims_) out.push_back(1);
    }
    return {out};
  }

 private:
  std::vector<std::int64_t> spatial_axes() const {
    std::vector<std::int64_t> axes;
    const std::int64_t first = data_format_ == "channels_first" ? 2 : 1;
    for (std::int64_t i = 0; i < Rank; ++i) axes.push_back(first + i);
    return axes;
  }

  std::string data_format_;
  bool keepdims_ = false;
};

void register_objects(PluginRegistrar& r) {
  // Keras 3's global pooling layers have no build() of their own.
  const Keras3Form form = Keras3Form().no_build_config();
  r.layer<GlobalPooling<1, Reduce::Max>>("GlobalMaxPooling1D", {"GlobalMaxPool1D"}).keras3_form(form);
  r.layer<GlobalPooling<2, Reduce::Max>>("GlobalMaxPooling2D", {"GlobalMaxPool2D"}).keras3_form(form);
  r.layer<GlobalPooling<1, Reduce::Average>>("GlobalAveragePooling1D", {"GlobalAvgPool1D"}).keras3_form(form);
  r.layer<GlobalPooling<2, Reduce::Average>>("GlobalAveragePooling2D", {"GlobalAvgPool2D"}).keras3_form(form);
  r.layer<GlobalPooling<3, Reduce::Max>>("GlobalMaxPooling3D", {"GlobalMaxPool3D"}).keras3_form(form);
  r.layer<GlobalPooling<3, Reduce::Average>>("GlobalAveragePooling3D", {"GlobalAvgPool3D"}).keras3_form(form);
}

}  // namespace
}  // namespace ksave::plugins

KSAVE_PLUGIN("global_pooling", "0.1.0", ksave::plugins::register_objects)
