// A plugin that registers a fresh name and one already taken (the built-in Dense): the loader
// must refuse the whole plugin, registering neither.
#include "ksave/plugin.hpp"

namespace {

class SdkIdentity : public ksave::Layer {
 public:
  explicit SdkIdentity(const ksave::Json& config) : Layer(config, "SdkIdentity") {}
  std::string class_name() const override { return "SdkIdentity"; }

 protected:
  ksave::Tensors call(const ksave::Tensors& inputs, const ksave::CallContext&) override { return inputs; }
};

void register_objects(ksave::PluginRegistrar& registrar) {
  registrar.layer<SdkIdentity>("SdkNameTakenFresh");
  registrar.layer<SdkIdentity>("Dense");
}

}  // namespace

KSAVE_PLUGIN("sdk_name_taken", "1.0.0", register_objects)
