#include "ksave/inference_folding.hpp"

#include "ksave/depthwise_stage.hpp"

#include <string>

namespace ksave {

// Out of line: one type identity per interface in libksave, which plugins cross-cast to.
ChannelAffineLayer::~ChannelAffineLayer() = default;
FusableActivationLayer::~FusableActivationLayer() = default;
NormalizationWithActivationLayer::~NormalizationWithActivationLayer() = default;
FoldableProductLayer::~FoldableProductLayer() = default;
SpatialZeroPaddingLayer::~SpatialZeroPaddingLayer() = default;
ElementwiseSumLayer::~ElementwiseSumLayer() = default;
DepthwiseStageLayer::~DepthwiseStageLayer() = default;
DepthwiseStageHost::~DepthwiseStageHost() = default;

namespace {

std::string describe(const ChannelAffineLayer& affine) {
  const auto* layer = dynamic_cast<const Layer*>(&affine);
  return layer ? "layer '" + layer->name() + "'" : std::string("a channel-affine layer");
}

}  // namespace

bool FoldedWeights::current(const Tensor& kernel, const VariablePtr& bias, const ChannelAffineLayer& affine) const {
  const std::span<const VariablePtr> variables = affine.affine_variables();
  if (sources_.size() != 2 + variables.size() || !sources_[0].matches(kernel.storage())) return false;
  if (!sources_[1].matches(bias ? bias->value().storage() : nullptr)) return false;
  for (std::size_t i = 0; i < variables.size(); ++i)
    if (!sources_[2 + i].matches(variables[i]->value().storage())) return false;
  return true;
}

FoldedWeights::Folded FoldedWeights::get(const Tensor& kernel, const VariablePtr& bias,
                                         const ChannelAffineLayer& affine) {
  const std::lock_guard lock(mutex_);
  if (current(kernel, bias, affine)) return folded_;
  const ChannelAffineLayer::Affine map = affine.channel_affine();
  const Dim channels = kernel.rank() > 0 ? kernel.dim(-1) : 0;
  if (map.scale.shape() != Shape{channels} || map.shift.shape() != Shape{channels})
    throw Error("folding " + describe(affine) + " into the product before it: its scale is " +
                shape_to_string(map.scale.shape()) + " and its shift " + shape_to_string(map.shift.shape()) +
                ", expected (" + std::to_string(channels) + ",), one value per output channel of kernel " +
                shape_to_string(kernel.shape()));
  const float* scale = map.scale.data<float>();
  const float* shift = map.shift.data<float>();
  Folded next{kernel.as_float().clone(), Tensor(DType::Float32, {channels})};
  float* w = next.kernel.data<float>();
  for (std::int64_t i = 0; i < next.kernel.size(); ++i) w[i] *= scale[i % channels];
  float* b = next.bias.data<float>();
  const Tensor bias_value = bias ? bias->value().as_float() : Tensor();
  for (Dim c = 0; c < channels; ++c) b[c] = (bias ? bias_value.data<float>()[c] * scale[c] : 0.0f) + shift[c];

  sources_.clear();
  sources_.emplace_back(kernel.storage());
  sources_.emplace_back(bias ? bias->value().storage() : nullptr);
  for (const VariablePtr& v : affine.affine_variables()) sources_.emplace_back(v->value().storage());
  folded_ = std::move(next);
  return folded_;
}

}  // namespace ksave
