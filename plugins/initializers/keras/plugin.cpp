// Registers the initializers under their class names, with the names Keras also resolves:
// tf.keras's function-style aliases ("glorot_uniform"), the "...V2" compatibility names tf.keras
// 2.x keeps, and Keras 3's export names (OrthogonalInitializer, ...).
#include "initializers.hpp"
#include "ksave/plugin.hpp"

namespace {

using ksave::Keras3Form;

// Keras 3's forms: the seed first, and the axes of its fan computation, null unless given.
Keras3Form keras3_fan_form(std::vector<std::string> keys) {
  keys.insert(keys.end(), {"input_axes", "output_axes"});
  return Keras3Form().keys(std::move(keys)).default_value("input_axes", nullptr).default_value("output_axes", nullptr);
}

void register_initializers(ksave::PluginRegistrar& r) {
  using namespace ksave::initializers;
  const Keras3Form fan_scaled = keras3_fan_form({"seed"});
  const Keras3Form distribution = Keras3Form().keys({"seed", "mean", "stddev"});
  r.initializer<Zeros>("Zeros", {"zeros", "zero", "ZerosV2"});
  r.initializer<Ones>("Ones", {"ones", "one", "OnesV2"});
  r.initializer<Constant>("Constant", {"constant", "ConstantV2"});
  r.initializer<RandomUniform>("RandomUniform", {"random_uniform", "uniform", "RandomUniformV2"})
      .keras3_form(Keras3Form().keys({"seed", "minval", "maxval"}));
  r.initializer<RandomNormal>("RandomNormal", {"random_normal", "normal", "RandomNormalV2"}).keras3_form(distribution);
  r.initializer<TruncatedNormal>("TruncatedNormal", {"truncated_normal", "TruncatedNormalV2"}).keras3_form(distribution);
  r.initializer<VarianceScaling>("VarianceScaling", {"variance_scaling", "VarianceScalingV2"})
      .keras3_form(keras3_fan_form({"seed", "scale", "mode", "distribution"}));
  r.initializer<GlorotUniform>("GlorotUniform", {"glorot_uniform", "GlorotUniformV2", "glorot_uniformV2"})
      .keras3_form(fan_scaled);
  r.initializer<GlorotNormal>("GlorotNormal", {"glorot_normal", "GlorotNormalV2", "glorot_normalV2"}).keras3_form(fan_scaled);
  r.initializer<HeUniform>("HeUniform", {"he_uniform", "HeUniformV2", "he_uniformV2"}).keras3_form(fan_scaled);
  r.initializer<HeNormal>("HeNormal", {"he_normal", "HeNormalV2", "he_normalV2"}).keras3_form(fan_scaled);
  r.initializer<LecunUniform>("LecunUniform", {"lecun_uniform", "LecunUniformV2", "lecun_uniformV2"}).keras3_form(fan_scaled);
  r.initializer<LecunNormal>("LecunNormal", {"lecun_normal", "LecunNormalV2", "lecun_normalV2"}).keras3_form(fan_scaled);
  r.initializer<Orthogonal>("Orthogonal", {"orthogonal", "OrthogonalV2", "OrthogonalInitializer",
                                           "orthogonal_initializer"})
      .keras3_form(Keras3Form().keys({"seed", "gain"}));
  r.initializer<Identity>("Identity", {"identity", "IdentityV2", "IdentityInitializer",
                                       "identity_initializer"});
}

}  // namespace

KSAVE_PLUGIN("initializers", "0.1.0", register_initializers)
