// Registers the initializers under their class names, with the names Keras also resolves:
// tf.keras's function-style aliases ("glorot_uniform"), the "...V2" compatibility names tf.keras
// 2.x keeps, and Keras 3's export names (OrthogonalInitializer, ...).
#include "initializers.hpp"
#include "ksave/plugin.hpp"

namespace {

void register_initializers(ksave::PluginRegistrar& r) {
  using namespace ksave::initializers;
  r.initializer<Zeros>("Zeros", {"zeros", "zero", "ZerosV2"});
  r.initializer<Ones>("Ones", {"ones", "one", "OnesV2"});
  r.initializer<Constant>("Constant", {"constant", "ConstantV2"});
  r.initializer<RandomUniform>("RandomUniform", {"random_uniform", "uniform", "RandomUniformV2"});
  r.initializer<RandomNormal>("RandomNormal", {"random_normal", "normal", "RandomNormalV2"});
  r.initializer<TruncatedNormal>("TruncatedNormal", {"truncated_normal", "TruncatedNormalV2"});
  r.initializer<VarianceScaling>("VarianceScaling", {"variance_scaling", "VarianceScalingV2"});
  r.initializer<GlorotUniform>("GlorotUniform",
                               {"glorot_uniform", "GlorotUniformV2", "glorot_uniformV2"});
  r.initializer<GlorotNormal>("GlorotNormal", {"glorot_normal", "GlorotNormalV2", "glorot_normalV2"});
  r.initializer<HeUniform>("HeUniform", {"he_uniform", "HeUniformV2", "he_uniformV2"});
  r.initializer<HeNormal>("HeNormal", {"he_normal", "HeNormalV2", "he_normalV2"});
  r.initializer<LecunUniform>("LecunUniform", {"lecun_uniform", "LecunUniformV2", "lecun_uniformV2"});
  r.initializer<LecunNormal>("LecunNormal", {"lecun_normal", "LecunNormalV2", "lecun_normalV2"});
  r.initializer<Orthogonal>("Orthogonal", {"orthogonal", "OrthogonalV2", "OrthogonalInitializer",
                                           "orthogonal_initializer"});
  r.initializer<Identity>("Identity", {"identity", "IdentityV2", "IdentityInitializer",
                                       "identity_initializer"});
}

}  // namespace

KSAVE_PLUGIN("initializers", "0.1.0", register_initializers)
