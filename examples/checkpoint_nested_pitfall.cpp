// Guide, the warning after "Example 2: Sequential model": with the pretrained model nested as
// the first layer of a Sequential, `model.load_weights('pretrained_ckpt')` loads nothing (Keras
// does not even say so). Here the status says nothing matched and its warning names the nested
// sub-model to load into; `pretrained_model.load_weights(...)` is the right call.
#include "checkpoint_support.hpp"

int main() {
  return guide::run("checkpoint_nested_pitfall", [] {
    const auto dir = guide::work_dir("checkpoint_nested_pitfall");
    {
      auto functional_model = guide::digits_mlp(10, "3_layer_mlp");
      auto pretrained = std::make_shared<ksave::Functional>(functional_model->inputs(),
                                                            ksave::KerasTensors{functional_model->layers().back()->input()},
                                                            "pretrained_model");
      guide::randomize(*pretrained, 2);
      ksave::save_weights(*pretrained, dir / "pretrained_ckpt");
    }
    // inputs = keras.Input(shape=(784,), name="digits"); dense_1, dense_2;
    // pretrained_model = keras.Model(inputs, x, name="pretrained")
    auto inputs = ksave::Input({784}, "digits");
    auto x = (*guide::dense(64, "dense_1", "relu"))(inputs);
    x = (*guide::dense(64, "dense_2", "relu"))(x);
    auto pretrained_model = std::make_shared<ksave::Functional>(ksave::KerasTensors{inputs}, ksave::KerasTensors{x}, "pretrained");
    // model = keras.Sequential([pretrained_model, keras.layers.Dense(5, name="predictions")])
    auto model = std::make_shared<ksave::Sequential>(std::vector<ksave::LayerPtr>{pretrained_model, guide::dense(5, "predictions")});
    model->summary(std::cout);
    const auto before = pretrained_model->get_weights();

    // The pitfall: loading into the outer model.
    ksave::LoadStatus wrong = ksave::load_weights(*model, dir / "pretrained_ckpt");
    for (const auto& w : wrong.warnings) std::cout << "warning: " << w << "\n";
    guide::check(!wrong.unused_in_file.empty() && !wrong.unmatched_in_model.empty(), "the status shows nothing matched");
    bool names_submodel = false;
    for (const auto& w : wrong.warnings) names_submodel |= guide::contains(w, "nothing in the checkpoint matched") &&
                                                         guide::contains(w, "'pretrained'");
    guide::check(names_submodel, "a warning names the nested model 'pretrained' to load into");
    const auto after = pretrained_model->get_weights();
    for (std::size_t i = 0; i < before.size(); ++i)
      guide::check(guide::same_values(before[i], after[i]), "no weight changed by the wrong load");
    guide::error_of([&] { wrong.assert_consumed(); }, "assert_consumed after the wrong load");

    // The right call: pretrained_model.load_weights("pretrained_ckpt").
    ksave::LoadStatus right = ksave::load_weights(*pretrained_model, dir / "pretrained_ckpt");
    right.assert_consumed();
    guide::check(!guide::same_values(before[0], pretrained_model->get_weights()[0]), "the pretrained weights are loaded");
  });
}
