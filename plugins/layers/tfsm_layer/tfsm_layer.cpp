// Keras 3's TFSMLayer: a TensorFlow SavedModel's signature called as a layer
// (keras.layers.TFSMLayer). It loads the SavedModel at `filepath` when it is made, as Keras does,
// through ksave's SavedModel runtime (ksave::load_functions), and runs the signature named by
// `call_endpoint` on its one input. Its weights are the variables that signature captures,
// trainable ones first, then the others, each in capture order (Keras's
// _list_variables_used_by_fns), and they are the signature's own: values loaded from a
// `.keras` archive (Keras 3 stores them at layers/tfsm_layer/vars/0..) are what later calls use,
// so a fine-tuned TFSMLayer keeps its values.
//
// Measured with Keras 3.15: a relative filepath is resolved against the working directory of the
// process (tf.saved_model.load's rule), not against the archive's folder; the config is the base
// keys plus filepath, call_endpoint and call_training_endpoint; Keras reloads its own `.keras` of
// such a model only with safe_mode=False.
#include <algorithm>
#include <filesystem>
#include <set>

#include "ksave/config.hpp"
#include "ksave/conformance.hpp"
#include "ksave/loaded_functions.hpp"
#include "ksave/plugin.hpp"
#include "loader/graph_loader.hpp"

namespace ksave::plugins {
namespace {
namespace fs = std::filesystem;

// "'a', 'b'" for messages.
std::string listed(const std::map<std::string, TensorSpec>& specs) {
  std::string out;
  for (const auto& [key, spec] : specs) out += (out.empty() ? "'" : ", '") + key + "'";
  return out.empty() ? "none" : out;
}

class TFSMLayer : public Layer {
 public:
  explicit TFSMLayer(const Json& config) : Layer(config, "TFSMLayer") {
    const ConfigReader r(config, describe());
    filepath_ = r.require<std::string>("filepath");
    call_endpoint_ = r.get<std::string>("call_endpoint", "serve");
    // A training endpoint would only matter for training, which ksave does not do through this
    // layer (see call): refused rather than ignored.
    if (const Json training = r.get<Json>("call_training_endpoint", nullptr); !training.is_null())
      throw Error(describe() + ": call_training_endpoint is not supported (ksave does not train through a TFSMLayer), found " +
                  training.dump().substr(0, 200));
    savedmodel::SavedModelFunctions loaded = savedmodel::load_saved_model_with_variables(saved_model_folder());
    functions_ = loaded.functions;
    const std::vector<std::string> names = functions_->signature_names();
    if (std::find(names.begin(), names.end(), call_endpoint_) == names.end()) {
      std::string known;
      for (const auto& n : names) known += (known.empty() ? "'" : ", '") + n + "'";
      throw Error(describe() + ": config key 'call_endpoint' names signature '" + call_endpoint_ + "', which the SavedModel at '" +
                  filepath_ + "' does not have (its signatures: " + (known.empty() ? "none" : known) +
                  "); ksave calls signatures, not other functions the SavedModel holds as attributes");
    }
    signature_ = &functions_->signature(call_endpoint_);
    if (signature_->inputs.size() != 1 || signature_->outputs.size() != 1)
      throw Error(describe() + ": signature '" + call_endpoint_ + "' of '" + filepath_ + "' takes inputs " +
                  listed(signature_->inputs) + " and gives outputs " + listed(signature_->outputs) +
                  "; ksave supports one input and one output only");
    const auto variables = loaded.captured_variables.find(call_endpoint_);
    if (variables == loaded.captured_variables.end())
      throw Error(describe() + ": signature '" + call_endpoint_ + "' of '" + filepath_ +
                  "' has no variables ksave can give the layer: it is a TF1 graph (which binds its variables by name), "
                  "or ksave cannot run it (`ksave predict` on the SavedModel says why)");
    track_signature_variables(variables->second());
    set_built(true);  // as Keras's _build_at_init: the SavedModel fixes every shape
  }

  std::string class_name() const override { return "TFSMLayer"; }

  Json get_config() const override {
    Json c = Layer::get_config();
    c["filepath"] = filepath_;
    c["call_endpoint"] = call_endpoint_;
    c["call_training_endpoint"] = nullptr;
    return c;
  }

 protected:
  void build_impl(const std::vector<Shape>&) override {}

  Tensors call(const Tensors& inputs, const CallContext&) override {
    // The signature runs on ksave's graph runtime, outside the ops a tape or tracer sees: a
    // gradient would silently miss this layer, and a traced function would freeze its output.
    if (ops_recorded())
      throw Error(describe() + ": its SavedModel's graph runs outside ksave's gradient tape, so training through a "
                               "TFSMLayer is not supported");
    if (!fused_ops_allowed())
      throw Error(describe() + ": its SavedModel's graph cannot be traced into another SavedModel's functions; "
                               "save as .keras or .h5");
    if (inputs.size() != 1)
      throw Error(describe() + ": takes one tensor, found " + std::to_string(inputs.size()) + " tensors");
    const std::string& key = signature_->inputs.begin()->first;
    const NamedTensors outputs = (*signature_)({{key, inputs[0]}});
    return {outputs.at(signature_->outputs.begin()->first)};
  }

  DType output_dtype(const std::vector<DType>&) const override { return signature_->outputs.begin()->second.dtype; }

 private:
  // Keras's filepath as tf.saved_model.load takes it: a relative one from the working directory.
  fs::path saved_model_folder() const {
    const fs::path folder(filepath_);
    std::error_code ec;
    if (!fs::is_regular_file(folder / "saved_model.pb", ec))
      throw Error(describe() + ": no SavedModel at filepath '" + filepath_ + "': " + (folder / "saved_model.pb").string() +
                  " does not exist" +
                  (folder.is_relative() ? " (a relative filepath is resolved against the working directory, " +
                                              fs::current_path(ec).string() + ", as Keras does)"
                                        : std::string()));
    return folder;
  }

  // Keras's order: the trainable variables, then the rest. Each is tracked under its name with
  // '/' made '_' (Keras 3's variable names cannot hold slashes), numbered when names repeat.
  void track_signature_variables(const std::vector<VariablePtr>& captured) {
    std::set<std::string> used;
    for (bool trainable : {true, false})
      for (const VariablePtr& v : captured) {
        if (v->trainable() != trainable) continue;
        std::string base = v->name();
        std::replace(base.begin(), base.end(), '/', '_');
        std::string attribute = base;
        for (int n = 1; !used.insert(attribute).second; ++n) attribute = base + "_" + std::to_string(n);
        track_variable(attribute, v);
      }
  }

  std::string describe() const { return "layer '" + name() + "' (TFSMLayer)"; }
  std::string filepath_, call_endpoint_;
  LoadedFunctionsPtr functions_;
  const SignatureFunction* signature_ = nullptr;  // owned by functions_
};

void register_objects(PluginRegistrar& r) {
  // Keras 3 records training=False (its call's default) on each call.
  r.layer<TFSMLayer>("TFSMLayer").keras3_form(Keras3Form().call_kwarg("training", false));
}

}  // namespace
}  // namespace ksave::plugins

KSAVE_PLUGIN("tfsm_layer", "0.1.0", ksave::plugins::register_objects)

// The conformance kit cannot carry a SavedModel for filepath to name: the class is listed as
// refusing its samples (made from {}, it throws for the missing filepath).
namespace {

ksave::Json conformance_samples() {
  return ksave::ConformanceSamples()
      .refused("layer", "TFSMLayer", "loads the SavedModel its filepath names, which a conformance sample cannot carry")
      .json();
}

}  // namespace

KSAVE_CONFORMANCE_SAMPLES(conformance_samples)
