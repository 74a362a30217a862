// Guide, "Whole-model saving & loading" with the SavedModel format: model.save("my_model") writes
// a folder holding assets/, keras_metadata.pb, saved_model.pb and variables/; load_model
// reconstructs a model that predicts the same and, compiled with its optimizer state, resumes
// training. "SavedModel configuration": save_traces=False leaves the traced call functions out,
// which makes the folder smaller; custom objects then load only through their classes. The folder
// also loads as a plain graph (tf.saved_model.load), whose serving signature runs the model.
#include "guide_support.hpp"
#include "ksave/loaded_functions.hpp"

namespace {

std::uintmax_t folder_size(const std::filesystem::path& folder) {
  std::uintmax_t total = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(folder))
    if (entry.is_regular_file()) total += entry.file_size();
  return total;
}

}  // namespace

int main() {
  return guide::run("savedmodel_whole_model", [] {
    const auto dir = guide::work_dir("savedmodel_whole_model");
    auto model = guide::get_regression_model();
    const ksave::Tensor test_input = guide::random_array({128, 32}, 1), test_target = guide::random_array({128, 1}, 2);
    guide::twin_tensors(dir, "data", {test_input, test_target});
    guide::twin_tensors(dir, "initial_weights", model->get_weights());
    ksave::FitOptions fit;
    fit.shuffle = false;  // so that the resumed and the uninterrupted runs see the same batches
    model->fit({test_input}, {test_target}, fit);
    guide::twin_tensors(dir, "trained_weights", model->get_weights());
    guide::twin_tensor(dir, "prediction", model->predict(test_input));

    // Calling save("my_model") creates a SavedModel folder my_model.
    const auto path = dir / "my_model";
    ksave::save_model(*model, path);
    // ls my_model → assets  keras_metadata.pb  saved_model.pb  variables
    for (const char* entry : {"assets", "keras_metadata.pb", "saved_model.pb", "variables"})
      guide::check(std::filesystem::exists(path / entry), std::string("my_model holds ") + entry);
    guide::check(ksave::detect_format(path)->name() == "savedmodel", "my_model is a SavedModel");

    // It can be used to reconstruct the model identically.
    auto reconstructed_model = ksave::load_model(path);
    guide::check(ksave::allclose(model->predict(test_input), reconstructed_model->predict(test_input)),
                 "the reconstructed model predicts the same");
    // The reconstructed model is already compiled and has retained the optimizer state, so
    // training can resume: its next epoch equals the original's, bit for bit.
    guide::check(reconstructed_model->compiled(), "the reconstructed model is already compiled");
    reconstructed_model->fit({test_input}, {test_target}, fit);
    model->fit({test_input}, {test_target}, fit);
    for (std::size_t i = 0; i < model->weights().size(); ++i)
      guide::check(ksave::max_abs_difference(model->weights()[i]->value(), reconstructed_model->weights()[i]->value()) == 0,
                   "resumed training is identical for weight " + model->weights()[i]->name());
    guide::twin_tensors(dir, "resumed_weights", model->get_weights());

    // Like tf.saved_model.load("my_model"): the graph alone, without Keras; its serving_default
    // signature (the traced model) runs on named inputs and gives what predict gives.
    const auto loaded = ksave::load_functions(path);
    const ksave::SignatureFunction& serving = loaded->signature("serving_default");
    const std::string input_name = serving.inputs.begin()->first, output_name = serving.outputs.begin()->first;
    const ksave::NamedTensors served = serving({{input_name, test_input}});
    guide::check(ksave::allclose(served.at(output_name), ksave::load_model(path)->predict(test_input)),
                 "the raw graph's serving_default computes what the saved model predicts");

    // save_traces=False: no traced functions, a smaller folder, the same model from its config.
    ksave::SaveOptions no_traces;
    no_traces.save_traces = false;
    const auto small = dir / "my_model_no_traces";
    ksave::save_model(*model, small, no_traces);
    std::cout << "my_model: " << folder_size(path) << " bytes with traces, " << folder_size(small) << " bytes without\n";
    guide::check(folder_size(small) < folder_size(path), "save_traces=False makes the SavedModel smaller");
    guide::check(ksave::allclose(model->predict(test_input), ksave::load_model(small)->predict(test_input)),
                 "the model saved without traces loads from its config and predicts the same");

    // With custom objects and save_traces=False, loading needs the classes (custom_objects).
    auto custom = guide::make_custom_model();
    const auto custom_path = dir / "custom_no_traces";
    ksave::save_model(*custom, custom_path, no_traces);
    ksave::LoadOptions with_classes;
    with_classes.custom_objects = guide::custom_objects();
    const ksave::Tensor x = guide::random_array({4, 32}, 3);
    guide::twin_tensors(dir, "custom", {x, custom->predict(x)});
    guide::check(ksave::allclose(custom->predict(x), ksave::load_model(custom_path, with_classes)->predict(x)),
                 "the custom model saved without traces loads with its classes");
    const std::string error = guide::error_of([&] { ksave::load_model(custom_path); }, "loading without the custom classes");
    std::cout << "without the classes: " << error << "\n";
    guide::check(guide::contains(error, "custom_activation") && guide::contains(error, "custom_objects"),
                 "the error names the missing object and how to provide it");
  });
}
