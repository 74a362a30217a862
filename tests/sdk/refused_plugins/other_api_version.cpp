// A plugin built for another plugin API version (999): the loader must refuse it before
// calling anything in it, so its layer never gets registered.
#include "ksave/plugin.hpp"

namespace {

class SdkOtherApiLayer : public ksave::Layer {
 public:
  explicit SdkOtherApiLayer(const ksave::Json& config) : Layer(config, "SdkOtherApiLayer") {}
  std::string class_name() const override { return "SdkOtherApiLayer"; }

 protected:
  ksave::Tensors call(const ksave::Tensors& inputs, const ksave::CallContext&) override { return inputs; }
};

void register_objects(ksave::PluginRegistrar& registrar) { registrar.layer<SdkOtherApiLayer>("SdkOtherApiLayer"); }

}  // namespace

KSAVE_PLUGIN_WITH_API("sdk_other_api", "1.0.0", register_objects, 999)
