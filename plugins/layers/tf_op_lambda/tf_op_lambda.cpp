// TFOpLambda and SlicingOpLambda: what tf.keras 2.4+ writes when a functional model applies a
// TensorFlow function to a Keras tensor (`x + y`, tf.concat, tf.nn.relu6, `x[:, 1:]`). The
// config names the function ("math.multiply"); its arguments are in the call's kwargs. The
// function is looked up in ksave's op table when the layer is created, so an unknown one is
// refused at load time with its name; nothing from the file is executed.
#include <numeric>

#include "getitem.hpp"
#include "ksave/config.hpp"
#include "ksave/conformance.hpp"
#include "ksave/keras3_operations.hpp"
#include "ksave/plugin.hpp"
#include "ksave/serialization.hpp"
#include "op_table.hpp"

namespace ksave::plugins {
namespace {

class TFOpLambda : public Layer {
 public:
  explicit TFOpLambda(const Json& config) : TFOpLambda(config, "TFOpLambda") {}
  std::string class_name() const override { return class_name_; }
  Json get_config() const override {
    // Keras 3's operations without a TensorFlow function (HardSigmoid, Einsum, ...) run under
    // ksave's own names, which tf-keras's formats cannot hold: refused there by name.
    const ConfigDialect dialect = current_config_dialect();
    if (dialect == ConfigDialect::HDF5 || dialect == ConfigDialect::SavedModel)
      if (const std::string why = keras3_operations::tf_keras_refusal(function_); !why.empty())
        throw Error("layer '" + name() + "' (" + class_name_ + ", " + function_ + "): tf-keras's " +
                    (dialect == ConfigDialect::HDF5 ? "HDF5" : "SavedModel") + " format cannot hold it; " + why +
                    ". Save it as .keras (Keras 3's form)");
    Json c = Layer::get_config();
    c["function"] = function_;
    return c;
  }

 protected:
  TFOpLambda(const Json& config, const char* class_name) : Layer(config, class_name), class_name_(class_name) {
    ConfigReader r(config, "layer '" + name() + "' (" + class_name + ")");
    function_ = r.require<std::string>("function");
    op_ = function_ == "__operators__.getitem" ? tf_op::getitem : tf_op::find_op(function_);
    if (!op_) {
      const auto names = tf_op::supported_ops();
      std::string list = std::accumulate(names.begin(), names.end(), std::string(),
                                         [](std::string a, const std::string& b) { return a.empty() ? "tf." + b : a + ", tf." + b; });
      throw Error(r.object() + ": the TensorFlow function 'tf." + function_ +
                  "' has no ksave equivalent; supported: " + list + ", tf.__operators__.getitem");
    }
  }
  Tensors call(const Tensors& inputs, const CallContext& ctx) override {
    Tensors out = op_(tf_op::OpArguments(inputs, ctx.kwargs, "layer '" + name() + "' (" + class_name_ + ", tf." + function_ + ")"));
    if (!out.empty()) last_output_dtype_ = out[0].dtype();
    return out;
  }
  // tf.cast and tf.math.argmax change the dtype: the symbolic call's dry run tells which.
  DType output_dtype(const std::vector<DType>&) const override { return last_output_dtype_.value_or(dtype()); }

 private:
  std::string class_name_;
  std::string function_;
  tf_op::OpFunction op_ = nullptr;
  std::optional<DType> last_output_dtype_;
};

// The same layer for `__getitem__`; tf.keras gives it its own class name.
class SlicingOpLambda : public TFOpLambda {
 public:
  explicit SlicingOpLambda(const Json& config) : TFOpLambda(config, "SlicingOpLambda") {}
};

void register_objects(PluginRegistrar& r) {
  r.layer<TFOpLambda>("TFOpLambda");
  r.layer<SlicingOpLambda>("SlicingOpLambda");
}

}  // namespace
}  // namespace ksave::plugins

KSAVE_PLUGIN("tf_op_lambda", "0.1.0", ksave::plugins::register_objects)

// What the conformance kit (ksave conform) builds these classes from where {} builds nothing or
// the inputs are not one float tensor.
namespace {

ksave::Json conformance_samples() {
  return ksave::ConformanceSamples()
      .layer("TFOpLambda", {{"function", "math.abs"}})
      // Its own function, __operators__.getitem, takes the slice from the call's kwargs, which
      // the kit does not give: the same layer with another function.
      .layer("SlicingOpLambda", {{"function", "math.abs"}})
      .json();
}

}  // namespace

KSAVE_CONFORMANCE_SAMPLES(conformance_samples)
