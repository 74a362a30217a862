// Guide, "Format HDF5" (weights only): save_weights("weights.h5") / load_weights on the
// guide's Sequential model, and the HDF5 transfer-learning example: load pretrained weights into
// the original architecture, then build a new model from its layers with a new head.
#include "guide_support.hpp"

int main() {
  return guide::run("h5_weights", [] {
    const auto dir = guide::work_dir("h5_weights");
    auto make_sequential = [] {
      return std::make_shared<ksave::Sequential>(std::vector<ksave::LayerPtr>{
          ksave::Input({784}, "digits").layer(), guide::dense(64, "dense_1", "relu"),
          guide::dense(64, "dense_2", "relu"), guide::dense(10, "predictions")});
    };
    auto sequential_model = make_sequential();
    sequential_model->compile("sgd", "mse");
    ksave::save_weights(*sequential_model, dir / "weights.h5");  // .h5 → HDF5, not a TF checkpoint
    guide::twin_tensors(dir, "sequential_weights", sequential_model->get_weights());
    guide::check(ksave::detect_format(dir / "weights.h5")->name() == "h5", "weights.h5 is an HDF5 file");
    auto other = make_sequential();
    ksave::load_weights(*other, dir / "weights.h5");
    for (std::size_t i = 0; i < other->weights().size(); ++i)
      guide::check(ksave::max_abs_difference(other->weights()[i]->value(), sequential_model->weights()[i]->value()) == 0,
                   "weight " + other->weights()[i]->name() + " loaded");

    // functional_model = create_functional_model(); functional_model.save_weights("pretrained_weights.h5")
    auto functional_model = guide::digits_mlp(10, "3_layer_mlp");
    ksave::save_weights(*functional_model, dir / "pretrained_weights.h5");
    guide::twin_tensors(dir, "functional_weights", functional_model->get_weights());
    // In a separate program: pretrained_model = create_functional_model(); load_weights(...)
    auto pretrained_model = guide::digits_mlp(10, "3_layer_mlp");
    ksave::load_weights(*pretrained_model, dir / "pretrained_weights.h5");
    // extracted_layers = pretrained_model.layers[:-1]; extracted_layers.append(Dense(5, name="dense_3"))
    auto layers = pretrained_model->layers();
    std::vector<ksave::LayerPtr> extracted(layers.begin(), layers.end() - 1);
    extracted.push_back(guide::dense(5, "dense_3"));
    auto model = std::make_shared<ksave::Sequential>(extracted, "sequential_6");
    const std::string summary = model->summary();
    guide::check(guide::contains(summary, "dense_3 (Dense)") && guide::contains(summary, "Total params: 54,725"),
                 "the new model has the pretrained layers and a new head (54,725 parameters):\n" + summary);
    for (std::size_t i = 0; i < 4; ++i)
      guide::check(ksave::max_abs_difference(model->weights()[i]->value(), functional_model->weights()[i]->value()) == 0,
                   "pretrained weight " + std::to_string(i) + " carried into the new model");
  });
}
