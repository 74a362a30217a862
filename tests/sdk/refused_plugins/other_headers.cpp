// A plugin built against other SDK headers (its include path finds another sdk_fingerprint.hpp
// first, see CMakeLists.txt): the loader must refuse it, naming both fingerprints and the
// compiler, before calling anything in it.
#include "ksave/plugin.hpp"

namespace {

class SdkOtherHeadersLayer : public ksave::Layer {
 public:
  explicit SdkOtherHeadersLayer(const ksave::Json& config) : Layer(config, "SdkOtherHeadersLayer") {}
  std::string class_name() const override { return "SdkOtherHeadersLayer"; }

 protected:
  ksave::Tensors call(const ksave::Tensors& inputs, const ksave::CallContext&) override { return inputs; }
};

void register_objects(ksave::PluginRegistrar& registrar) { registrar.layer<SdkOtherHeadersLayer>("SdkOtherHeadersLayer"); }

}  // namespace

KSAVE_PLUGIN("sdk_other_headers", "1.0.0", register_objects)
