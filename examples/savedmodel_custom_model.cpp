// Guide, "How SavedModel handles custom objects": the SavedModel stores each layer's traced call
// function, so a model whose custom layer class is not available still loads and behaves as the
// original ("loaded_2", a revived class); with the class given in custom_objects it is rebuilt
// from its config ("loaded_1"). With save_traces=False the traces are not stored and only the
// class can load it, which the error says.
#include "guide_support.hpp"

namespace {

// inputs = keras.Input((32,)); x = CustomLayer(32)(inputs); outputs = keras.layers.Dense(10)(x)
ksave::ModelPtr make_model() {
  auto inputs = ksave::Input({32});
  auto x = (*std::make_shared<guide::CustomLayer>(ksave::Json{{"units", 32}}))(inputs);
  auto outputs = (*ksave::make_layer("Dense", {{"units", 10}}))(x);
  return std::make_shared<ksave::Functional>(ksave::KerasTensors{inputs}, ksave::KerasTensors{outputs});
}

}  // namespace

int main() {
  return guide::run("savedmodel_custom_model", [] {
    const auto dir = guide::work_dir("savedmodel_custom_model");
    auto model = make_model();
    // input_arr = tf.random.uniform((1, 32)); outputs = model(input_arr); model.save("my_model")
    ksave::Tensor input_arr(ksave::DType::Float32, {1, 32});
    for (std::int64_t i = 0; i < input_arr.size(); ++i) input_arr.data<float>()[i] = static_cast<float>(i % 7) / 7.f;
    const ksave::Tensor outputs = model->predict(input_arr);
    ksave::save_model(*model, dir / "my_model");
    guide::twin_tensors(dir, "call", {input_arr, outputs});

    // Option 1: load with the custom_object argument.
    ksave::LoadOptions with_class;
    with_class.custom_objects = {{"CustomLayer", ksave::layer_class<guide::CustomLayer>("CustomLayer")}};
    auto loaded_1 = ksave::load_model(dir / "my_model", with_class);
    // Option 2: load without the CustomLayer class: it is revived from its traced call.
    auto loaded_2 = ksave::load_model(dir / "my_model");
    guide::check(ksave::allclose(loaded_1->predict(input_arr), outputs), "loaded_1 predicts as the original");
    guide::check(ksave::allclose(loaded_2->predict(input_arr), outputs), "loaded_2 predicts as the original");
    std::cout << "Model loaded with custom objects: " << loaded_1->layers().at(1)->class_name() << "\n"
              << "Model loaded without the custom object class: " << loaded_2->layers().at(1)->class_name() << " (revived)\n";

    // save_traces=False: smaller, and loading now needs the class.
    ksave::SaveOptions no_traces;
    no_traces.save_traces = false;
    ksave::save_model(*model, dir / "my_model_no_traces", no_traces);
    guide::check(ksave::allclose(ksave::load_model(dir / "my_model_no_traces", with_class)->predict(input_arr), outputs),
                 "without traces, the model loads with its class");
    const std::string error = guide::error_of([&] { ksave::load_model(dir / "my_model_no_traces"); }, "loading without the class");
    std::cout << "without traces and without the class: " << error << "\n";
    guide::check(guide::contains(error, "CustomLayer") && guide::contains(error, "save_traces"),
                 "the error names the class and says the traces were not saved");
  });
}
