// Guide, "Format Keras H5": a compiled, trained model saved to one HDF5 file
// (model.save("my_h5_model.h5")), reloaded with load_model, predicts the same, and — being
// compiled with its optimizer state — resumes training exactly where it stopped. The same with a
// .keras name, which Keras >= 2.13 (and ksave) write as the Keras 3 zip archive.
#include "guide_support.hpp"

int main() {
  return guide::run("h5_whole_model", [] {
    const auto dir = guide::work_dir("h5_whole_model");
    // def get_model(): inputs = keras.Input(shape=(32,)); outputs = keras.layers.Dense(1)(inputs)
    //   model = keras.Model(inputs, outputs); model.compile(optimizer="adam", loss="mean_squared_error")
    auto model = guide::get_regression_model();
    const ksave::Tensor test_input = guide::random_array({128, 32}, 1), test_target = guide::random_array({128, 1}, 2);
    guide::twin_tensors(dir, "data", {test_input, test_target});
    guide::twin_tensors(dir, "initial_weights", model->get_weights());
    ksave::FitOptions fit;
    fit.shuffle = false;  // so that the resumed and the uninterrupted runs see the same batches
    model->fit({test_input}, {test_target}, fit);  // 4/4 [====...] - loss: ...
    guide::twin_tensors(dir, "trained_weights", model->get_weights());
    guide::twin_tensor(dir, "prediction", model->predict(test_input));

    for (const auto& [name, format] : {std::pair{"my_h5_model.h5", "h5"}, std::pair{"my_keras_model.keras", "keras"}}) {
      const auto path = dir / name;
      ksave::save_model(*model, path);  // the format from the name: .h5 → HDF5, .keras → Keras 3 archive
      guide::check(ksave::detect_format(path)->name() == format, std::string(name) + " is saved as " + format);
      auto reconstructed_model = ksave::load_model(path);
      guide::check(ksave::allclose(model->predict(test_input), reconstructed_model->predict(test_input)),
                   "the reconstructed model predicts the same");
      guide::check(reconstructed_model->compiled(), "the reconstructed model is already compiled");

      // Training resumes: one more epoch on the reloaded model equals one more epoch on the
      // original, bit for bit (weights and optimizer state were both restored).
      auto original = ksave::load_model(path);
      reconstructed_model->fit({test_input}, {test_target}, fit);
      original->fit({test_input}, {test_target}, fit);
      for (std::size_t i = 0; i < original->weights().size(); ++i)
        guide::check(ksave::max_abs_difference(original->weights()[i]->value(), reconstructed_model->weights()[i]->value()) == 0,
                     "resumed training is identical for weight " + original->weights()[i]->name());
    }
    // And it continues the original run: the reloaded model's next epoch equals the original's.
    auto reloaded = ksave::load_model(dir / "my_h5_model.h5");
    reloaded->fit({test_input}, {test_target}, fit);
    model->fit({test_input}, {test_target}, fit);
    for (std::size_t i = 0; i < model->weights().size(); ++i)
      guide::check(ksave::max_abs_difference(model->weights()[i]->value(), reloaded->weights()[i]->value()) == 0,
                   "the reloaded model continues exactly where the original stopped");
    guide::twin_tensors(dir, "resumed_weights", model->get_weights());
  });
}
