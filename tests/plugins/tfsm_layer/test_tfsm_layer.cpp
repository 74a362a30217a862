// Keras 3's TFSMLayer over a SavedModel ksave wrote: it calls the signature (the numbers of the
// model that was saved, and of load_functions), its weights are the signature's variables and
// assigning them changes its calls, a `.keras` archive keeps assigned (fine-tuned) values, and a
// missing SavedModel, an unknown endpoint, a training endpoint, training and ONNX are refused by
// name. Real Keras 3.15 (tf-keras SavedModels, Keras 3 exports, its .keras archives both ways) is
// in the interop suite (tests/interop/test_keras3.py, test_tfsm_layer_*).
#define BOOST_TEST_MODULE tfsm_layer plugin
#include <boost/test/unit_test.hpp>

#include "layer_checks/layer_checks.hpp"
#include "ksave/autodiff.hpp"
#include "ksave/loaded_functions.hpp"
#include "support/error_checks.hpp"
#include "support/small_saved_model.hpp"

using namespace ksave;
using ksave::test::error_of;
using ksave::test::layer_from;
using ksave::test::ramp;
namespace fs = std::filesystem;

namespace {

Json tfsm_config(const fs::path& folder, const std::string& endpoint = "serving_default") {
  return {{"name", "tfsm"}, {"filepath", folder.string()}, {"call_endpoint", endpoint}, {"call_training_endpoint", nullptr}};
}

// What the signature itself gives for x.
Tensor served(const fs::path& folder, const Tensor& x) {
  const LoadedFunctionsPtr functions = load_functions(folder);
  const SignatureFunction& f = functions->signature("serving_default");
  return f({{f.inputs.begin()->first, x}}).at(f.outputs.begin()->first);
}

ModelPtr model_around(const LayerPtr& layer) {
  const KerasTensor x = Input({4}, "x");
  return std::make_shared<Functional>(KerasTensors{x}, KerasTensors{(*layer)(x)}, "outer");
}

}  // namespace

BOOST_AUTO_TEST_CASE(calls_the_signature_with_its_variables_as_weights) {
  const fs::path folder = test::small_saved_model();
  const LayerPtr layer = layer_from("TFSMLayer", tfsm_config(folder));
  const Tensor x = ramp({5, 4});
  const Tensor y = (*layer)(x);
  BOOST_TEST(y.shape() == (Shape{5, 3}));
  BOOST_TEST(allclose(y, served(folder, x), 0.0, 0.0));
  // The Dense kernel and bias, trainable, in capture order.
  const auto weights = layer->weights();
  BOOST_TEST_REQUIRE(weights.size() == 2u);
  BOOST_TEST(weights[0]->shape() == (Shape{4, 3}));
  BOOST_TEST(weights[1]->shape() == (Shape{3}));
  BOOST_TEST(layer->trainable_weights().size() == 2u);
  // The weights are the signature's own variables: assigning one changes the call (Keras's too).
  weights[1]->assign(Tensor::from_vector<float>({0.f, 0.f, 0.f}, {3}));
  BOOST_TEST(!allclose((*layer)(x), y, 1e-3, 1e-3));
  ksave::test::config_round_trips(layer);
  BOOST_TEST(layer->get_config()["filepath"] == Json(folder.string()));
}

BOOST_AUTO_TEST_CASE(a_keras_archive_keeps_fine_tuned_values) {
  const fs::path folder = test::small_saved_model();
  const LayerPtr layer = layer_from("TFSMLayer", tfsm_config(folder));
  const ModelPtr model = model_around(layer);
  const Tensor x = ramp({2, 4});
  const Tensor before = model->predict(x);
  layer->weights()[0]->assign(ops::add(layer->weights()[0]->value(), Tensor::scalar(0.5f)));
  const Tensor tuned = model->predict(x);
  BOOST_TEST(!allclose(tuned, before, 1e-3, 1e-3));
  const fs::path archive = test::scratch_dir("tfsm_archive") / "m.keras";
  save_model(*model, archive);
  // A fresh load reads the SavedModel's values, then the archive's, which the call uses.
  BOOST_TEST(allclose(load_model(archive)->predict(x), tuned, 0.0, 0.0));
  BOOST_TEST(allclose((*layer_from("TFSMLayer", tfsm_config(folder)))(x), before, 0.0, 0.0));
}

BOOST_AUTO_TEST_CASE(refusals_name_the_layer_and_the_reason) {
  const fs::path folder = test::small_saved_model();
  const std::string missing = error_of([&] { layer_from("TFSMLayer", tfsm_config(folder.parent_path() / "nowhere")); });
  BOOST_TEST(missing.find("'tfsm' (TFSMLayer)") != std::string::npos, missing);
  BOOST_TEST(missing.find("no SavedModel at filepath '" + (folder.parent_path() / "nowhere").string() + "'") != std::string::npos, missing);
  const std::string relative = error_of([&] { layer_from("TFSMLayer", tfsm_config("not/here")); });
  BOOST_TEST(relative.find("resolved against the working directory") != std::string::npos, relative);
  const std::string endpoint = error_of([&] { layer_from("TFSMLayer", tfsm_config(folder, "serve")); });
  BOOST_TEST((endpoint.find("names signature 'serve', which the SavedModel at") != std::string::npos &&
              endpoint.find("(its signatures: 'serving_default')") != std::string::npos),
             endpoint);
  Json training = tfsm_config(folder);
  training["call_training_endpoint"] = "serving_default";
  const std::string training_endpoint = error_of([&] { layer_from("TFSMLayer", training); });
  BOOST_TEST(training_endpoint.find("call_training_endpoint is not supported") != std::string::npos, training_endpoint);
  const std::string no_path = error_of([&] { layer_from("TFSMLayer", Json{{"name", "tfsm"}}); });
  BOOST_TEST(no_path.find("'filepath'") != std::string::npos, no_path);
  // Under a gradient tape the graph would run unseen: refused, not silently constant.
  const LayerPtr layer = layer_from("TFSMLayer", tfsm_config(folder));
  const std::string taped = error_of([&] {
    GradientTape tape;
    (*layer)(ramp({2, 4}));
  });
  BOOST_TEST(taped.find("training through a TFSMLayer is not supported") != std::string::npos, taped);
  const std::string onnx = error_of([&] { save_model(*model_around(layer), test::scratch_dir("tfsm_onnx") / "m.onnx"); });
  BOOST_TEST(onnx.find("TFSMLayer runs a SavedModel's TensorFlow graph") != std::string::npos, onnx);
}
