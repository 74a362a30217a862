// Guide, "Détails du format": a checkpoint key is named after the attribute that holds the
// variable in its parent, not after the variable's name. CustomLayer keeps tf.Variable(a,
// name="var_a") in `self.var`, so tf.train.Checkpoint(layer=layer).save("custom_layer") stores
// 'layer/var/.ATTRIBUTES/VARIABLE_VALUE' (int32), plus save_counter and the object graph.
#include "checkpoint_support.hpp"

namespace {

// class CustomLayer(keras.layers.Layer):
//     def __init__(self, a): self.var = tf.Variable(a, name="var_a")
class CustomLayer : public ksave::Layer {
 public:
  explicit CustomLayer(std::int32_t a) : Layer(ksave::Json::object(), "CustomLayer") {
    track_variable("var", std::make_shared<ksave::Variable>("var_a:0", ksave::Tensor::scalar<std::int32_t>(a)));
  }
  std::string class_name() const override { return "CustomLayer"; }

 protected:
  ksave::Tensors call(const ksave::Tensors& inputs, const ksave::CallContext&) override { return inputs; }
};

}  // namespace

int main() {
  return guide::run("checkpoint_custom_layer_key", [] {
    const auto dir = guide::work_dir("checkpoint_custom_layer_key");
    auto layer = std::make_shared<CustomLayer>(5);
    auto checkpoint = std::make_shared<ksave::tf::Checkpoint>(ksave::tf::Checkpoint::Objects{{"layer", layer}});
    const std::string layer_ckpt = checkpoint->save(dir / "custom_layer");
    guide::check(layer_ckpt == (dir / "custom_layer-1").string(), "save() numbers the checkpoint: custom_layer-1");

    // ckpt_reader = tf.train.load_checkpoint(layer_ckpt); ckpt_reader.get_variable_to_dtype_map()
    ksave::tf::CheckpointReader ckpt_reader(layer_ckpt);
    const std::map<std::string, std::string> expected{{"save_counter/.ATTRIBUTES/VARIABLE_VALUE", "int64"},
                                                      {"_CHECKPOINTABLE_OBJECT_GRAPH", "string"},
                                                      {"layer/var/.ATTRIBUTES/VARIABLE_VALUE", "int32"}};
    const auto dtypes = ckpt_reader.variable_to_dtype_map();
    for (const auto& [key, dtype] : dtypes) std::cout << "  " << key << ": " << dtype << "\n";
    guide::check(dtypes == expected, "the keys are save_counter, the object graph and layer/var (not var_a)");
    guide::check(ckpt_reader.get_tensor("layer/var/.ATTRIBUTES/VARIABLE_VALUE").item() == 5, "layer/var holds 5");
  });
}
