// A plugin whose registration throws after staging one entry: the loader must refuse it and
// register nothing.
#include <stdexcept>

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
  registrar.layer<SdkIdentity>("SdkThrowsStaged");
  throw std::runtime_error("sdk test plugin: registration fails on purpose");
}

}  // namespace

KSAVE_PLUGIN("sdk_registration_throws", "1.0.0", register_objects)
