// Masking: a timestep whose features all equal mask_value is masked. The output is the input with
// those timesteps zeroed, and the mask (one bool per sample and timestep) goes on to the layers
// downstream, as Keras's compute_mask: an RNN then carries its state and last output across them.
#include <algorithm>

#include "ksave/config.hpp"
#include "ksave/ops.hpp"
#include "ksave/plugin.hpp"

namespace ksave::plugins {
namespace {

class Masking : public Layer {
 public:
  explicit Masking(const Json& config) : Layer(config, "Masking") {
    mask_value_ = ConfigReader(config, "layer '" + name() + "' (Masking)").get<double>("mask_value", 0.0);
    set_supports_masking(true);
  }
  std::string class_name() const override { return "Masking"; }
  Json get_config() const override {
    Json c = Layer::get_config();
    c["mask_value"] = mask_value_;
    return c;
  }

  // A step is kept when any of its features differs from mask_value (Keras's
  // ops.any(ops.not_equal(inputs, mask_value), axis=-1), compared in the input's float32),
  // computed with ops so that a SavedModel's traces compute the mask from the input.
  Tensors compute_mask(const Tensors& inputs, const Tensors&, std::size_t output_count) const override {
    Tensors masks(output_count);
    if (inputs.empty() || inputs[0].rank() < 2) return masks;
    const Tensor x = ops::cast(inputs[0], DType::Float32);
    const Tensor differs = ops::add(ops::mul(ops::equal(x, ops::constant(mask_value_)), -1.0), 1.0);
    masks[0] = ops::cast(ops::max(differs, {-1}), DType::Bool);
    return masks;
  }

 protected:
  Tensors call(const Tensors& inputs, const CallContext&) override {
    const Tensor x = inputs.at(0).as_float();
    if (x.rank() < 2)
      throw Error("layer '" + name() + "' (Masking) needs an input of rank 2 or more, found " + shape_to_string(x.shape()));
    // 1 where some feature differs from mask_value, else 0 (Keras: x * any(x != mask_value)).
    const Tensor differs = ops::max(ops::abs(ops::add(x, -mask_value_)), {-1}, true);
    return {ops::mul(x, ops::greater(differs, Tensor::scalar(0.0f)))};
  }
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override { return shapes; }

 private:
  double mask_value_ = 0.0;
};

void register_objects(PluginRegistrar& r) {
  r.layer<Masking>("Masking").keras3_form(Keras3Form().no_build_config());  // Keras 3's has no build()
}

}  // namespace
}  // namespace ksave::plugins

KSAVE_PLUGIN("masking", "0.1.0", ksave::plugins::register_objects)
