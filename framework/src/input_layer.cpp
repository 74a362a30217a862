// InputLayer: the entry point of a graph. It computes nothing; it holds the input's shape and
// dtype, and its own node is where the graph's tensors start.
#include "input_layer.hpp"

#include "ksave/config.hpp"

namespace ksave::detail {
namespace {

// Keras names inputs "input_1", "input_2", ... (one-based, unlike other layers).
Json with_default_name(const Json& config) {
  // Checked here, before the name is read, not only by ConfigReader after it (a config that is an
  // array or a number from a damaged file must be a ksave::Error, found by fuzz_model_json).
  if (!config.is_null() && !config.is_object())
    throw Error("InputLayer: config must be a JSON object, found " + config.dump().substr(0, 100));
  Json c = config.is_null() ? Json::object() : config;
  if (!c.contains("name") || c["name"].is_null() || c["name"] == "") c["name"] = unique_layer_name("input", false);
  return c;
}

class InputLayer : public Layer {
 public:
  explicit InputLayer(const Json& config) : Layer(with_default_name(config), "InputLayer") {
    ConfigReader r(config, "InputLayer '" + name() + "'");
    if (!batch_input_shape())
      throw Error("InputLayer '" + name() + "': config has no 'batch_input_shape' (or 'input_shape' / 'batch_shape')");
    sparse_ = r.get<bool>("sparse", false);
    ragged_ = r.get<bool>("ragged", false);
    optional_ = r.get<bool>("optional", false);  // tf-keras >= 2.13: the input may be None
    if (sparse_ || ragged_)
      throw Error("InputLayer '" + name() + "': sparse and ragged inputs are not supported");
    set_built(true);
  }

  std::string class_name() const override { return "InputLayer"; }

  Json get_config() const override {
    Json c = Json::object();
    c["batch_input_shape"] = shape_to_json(*batch_input_shape());
    c["dtype"] = std::string(dtype_name(dtype()));
    c["sparse"] = sparse_;
    c["ragged"] = ragged_;
    c["name"] = name();
    c["optional"] = optional_;
    return c;
  }

 protected:
  Tensors call(const Tensors& inputs, const CallContext&) override { return inputs; }
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override { return shapes; }

  void create_own_nodes() override { add_own_node({}, {*batch_input_shape()}, {dtype()}); }

 private:
  bool sparse_ = false;
  bool optional_ = false;
  bool ragged_ = false;
};

}  // namespace

LayerPtr make_input_layer(const Json& config) { return std::make_shared<InputLayer>(config); }

ClassEntry input_layer_entry() {
  ClassEntry entry;
  entry.kind = Kind::Layer;
  entry.class_name = "InputLayer";
  entry.factory = LayerFactory(make_input_layer);
  // Keras 3's InputLayer takes batch_shape, keeps its dtype a plain name and has no build().
  entry.keras3_form = Keras3Form()
                          .keys({"batch_shape", "dtype", "sparse", "ragged", "name", "optional"})
                          .renamed("batch_input_shape", "batch_shape")
                          .plain_dtype()
                          .no_build_config();
  return entry;
}

}  // namespace ksave::detail
