// Guide, "Format de point de contrôle TF": save_weights("ckpt") on a Sequential model writes a
// TensorFlow checkpoint (any path without .h5), load_weights reads it back, and the status's
// assert_consumed confirms every value was restored.
#include "checkpoint_support.hpp"

int main() {
  return guide::run("checkpoint_save_load_weights", [] {
    const auto dir = guide::work_dir("checkpoint_save_load_weights");
    // sequential_model = keras.Sequential([keras.Input(shape=(784,), name="digits"),
    //     Dense(64, relu, "dense_1"), Dense(64, relu, "dense_2"), Dense(10, name="predictions")])
    auto sequential_model = std::make_shared<ksave::Sequential>(std::vector<ksave::LayerPtr>{
        ksave::Input({784}, "digits").layer(), guide::dense(64, "dense_1", "relu"), guide::dense(64, "dense_2", "relu"),
        guide::dense(10, "predictions")});
    const auto ckpt = dir / "ckpt";
    ksave::save_weights(*sequential_model, ckpt);
    guide::twin_tensors(dir, "sequential_weights", sequential_model->get_weights());
    guide::check(std::filesystem::exists(dir / "ckpt.index") && std::filesystem::exists(dir / "ckpt.data-00000-of-00001"),
                 "save_weights(\"ckpt\") writes ckpt.index and ckpt.data-00000-of-00001");
    guide::check(std::filesystem::exists(dir / "checkpoint"), "and the `checkpoint` state file");

    // A second model of the same architecture takes the values.
    auto other = std::make_shared<ksave::Sequential>(std::vector<ksave::LayerPtr>{
        ksave::Input({784}, "digits").layer(), guide::dense(64, "dense_1", "relu"), guide::dense(64, "dense_2", "relu"),
        guide::dense(10, "predictions")});
    ksave::LoadStatus load_status = ksave::load_weights(*other, ckpt);
    load_status.assert_consumed();
    for (std::size_t i = 0; i < other->weights().size(); ++i)
      guide::check(guide::same_values(other->weights()[i]->value(), sequential_model->weights()[i]->value()),
                   "weight " + std::to_string(i) + " restored");

    // The keys are TensorFlow's: layer_with_weights-N/<attribute>/.ATTRIBUTES/VARIABLE_VALUE.
    ksave::tf::CheckpointReader reader(ckpt);
    const auto shapes = reader.variable_to_shape_map();
    guide::check(shapes.count("layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE") &&
                     shapes.at("layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE") == ksave::Shape{784, 64},
                 "dense_1's kernel is layer_with_weights-0/kernel, shape (784, 64)");
    guide::check(shapes.count("layer_with_weights-2/bias/.ATTRIBUTES/VARIABLE_VALUE") == 1, "predictions' bias is stored");
    guide::check(shapes.count("_CHECKPOINTABLE_OBJECT_GRAPH") == 1, "the object graph is stored");
  });
}
