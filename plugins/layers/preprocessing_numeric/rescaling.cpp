// Rescaling: y = x * scale + offset, scale and offset a number or one value per channel (last
// axis), as keras.layers.Rescaling; integer inputs (images as uint8) are cast to float first.
#include "layers.hpp"
#include "numeric_values.hpp"
#include "ksave/config.hpp"
#include "ksave/ops.hpp"

namespace ksave::plugins {
namespace {

class Rescaling : public Layer {
 public:
  explicit Rescaling(const Json& config) : Layer(config, "Rescaling") {
    ConfigReader r(config, describe());
    scale_json_ = r.require<Json>("scale");
    offset_json_ = r.get<Json>("offset", 0.0);
    scale_ = factor(scale_json_, "scale");
    offset_ = factor(offset_json_, "offset");
  }

  std::string class_name() const override { return "Rescaling"; }

  Json get_config() const override {
    Json c = Layer::get_config();
    c["scale"] = scale_json_;
    c["offset"] = offset_json_;
    return c;
  }

 protected:
  Tensors call(const Tensors& inputs, const CallContext&) override {
    return {ops::add(ops::mul(inputs.at(0).as_float(), scale_), offset_)};
  }

  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override { return {shapes.at(0)}; }

 private:
  std::string describe() const { return "layer '" + name() + "' (Rescaling)"; }

  // A scalar stays a scalar; a list is one value per position of the last axis.
  Tensor factor(const Json& value, const char* key) const {
    const std::vector<float> values = flatten_numbers(value, describe() + ": config key '" + key + "'");
    if (value.is_number()) return Tensor::scalar<float>(values[0]);
    return Tensor::from_vector<float>(values, {static_cast<std::int64_t>(values.size())});
  }

  Json scale_json_, offset_json_;
  Tensor scale_, offset_;
};

}  // namespace

void register_rescaling(PluginRegistrar& r) { r.layer<Rescaling>("Rescaling"); }

}  // namespace ksave::plugins
