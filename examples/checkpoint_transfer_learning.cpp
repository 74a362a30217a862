// Guide, "Exemple d'apprentissage de transfert": the weights of a pretrained sub-model (the
// functional MLP without its head) are saved with save_weights and loaded into a new model with
// the same first layers and a different head; the shared layers get the pretrained values.
#include "checkpoint_support.hpp"

int main() {
  return guide::run("checkpoint_transfer_learning", [] {
    const auto dir = guide::work_dir("checkpoint_transfer_learning");
    auto functional_model = guide::digits_mlp(10, "3_layer_mlp");
    // pretrained = keras.Model(functional_model.inputs, functional_model.layers[-1].input, name="pretrained_model")
    auto pretrained = std::make_shared<ksave::Functional>(functional_model->inputs(),
                                                          ksave::KerasTensors{functional_model->layers().back()->input()},
                                                          "pretrained_model");
    guide::randomize(*pretrained, 1);
    ksave::save_weights(*pretrained, dir / "pretrained_ckpt");
    guide::twin_tensors(dir, "pretrained_weights", pretrained->get_weights());
    pretrained->summary(std::cout);

    // A separate program where only 'pretrained_ckpt' exists: a new model with 5 outputs.
    auto model = guide::digits_mlp(5, "new_model");
    ksave::LoadStatus status = ksave::load_weights(*model, dir / "pretrained_ckpt");
    // for a, b in zip(pretrained.weights, model.weights): np.testing.assert_allclose(a, b)
    const auto a = pretrained->weights(), b = model->weights();
    for (std::size_t i = 0; i < a.size(); ++i)
      guide::check(guide::same_values(a[i]->value(), b[i]->value()), "pretrained weight " + std::to_string(i) + " loaded");
    // Only the new head is left without a value, and the status says which.
    guide::check(status.unused_in_file.empty(), "every value of the checkpoint was used");
    guide::check(status.unmatched_in_model.size() == 2, "the new head's kernel and bias are the only unmatched variables");
    for (const auto& name : status.unmatched_in_model)
      guide::check(guide::contains(name, "predictions"), "unmatched: " + name + " belongs to the new head");
    model->summary(std::cout);
  });
}
