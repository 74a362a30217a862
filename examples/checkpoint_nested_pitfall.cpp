// Guide, the warning after "Example 2: Sequential model": with the pretrained model nested as
// the first layer of a Sequential, `model.load_weights('pretrained_ckpt')` does not load the
// pretrained weights. The guide says it loads nothing without an error; TensorFlow 2.21 raises
// one (the checkpoint's second layer meets the new head: incompatible shapes), and so does ksave,
// naming the nested sub-model to load into. `pretrained_model.load_weights(...)` is the right call.
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
      guide::twin_tensors(dir, "pretrained_weights", pretrained->get_weights());
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

    // The pitfall: loading into the outer model fails, changes nothing, and says where to load.
    const std::string error = guide::error_of([&] { ksave::load_weights(*model, dir / "pretrained_ckpt"); },
                                              "load_weights into the outer model");
    std::cout << "error: " << error << "\n";
    guide::check(guide::contains(error, "(64,)") && guide::contains(error, "(5,)"), "the error gives both shapes");
    guide::check(guide::contains(error, "nothing in the checkpoint matched") && guide::contains(error, "'pretrained'"),
                 "the error names the nested model 'pretrained' to load into");
    const auto after = pretrained_model->get_weights();
    for (std::size_t i = 0; i < before.size(); ++i)
      guide::check(guide::same_values(before[i], after[i]), "no weight changed by the wrong load");

    // The right call: pretrained_model.load_weights("pretrained_ckpt").
    ksave::LoadStatus right = ksave::load_weights(*pretrained_model, dir / "pretrained_ckpt");
    right.assert_consumed();
    guide::check(!guide::same_values(before[0], pretrained_model->get_weights()[0]), "the pretrained weights are loaded");
  });
}
