// A ksave model saved as a SavedModel folder (the default format for paths without an HDF5 or
// JSON extension) has TensorFlow's layout, reloads with identical predictions, and when compiled
// resumes training identically; include_optimizer=false leaves the optimizer out.
#define BOOST_TEST_MODULE format_savedmodel_round_trip
#include <boost/test/unit_test.hpp>

#include <cstring>

#include "ksave/ksave.hpp"
#include "ksave/saving.hpp"
#include "ksave/serialization.hpp"
#include "ksave/tf/bundle.hpp"
#include "support/test_data.hpp"

namespace fs = std::filesystem;
using namespace ksave;

namespace {

std::shared_ptr<Sequential> small_model() {
  auto model = std::make_shared<Sequential>(std::vector<LayerPtr>{
      make_layer("Dense", {{"units", 4}, {"activation", "relu"}, {"name", "hidden"}, {"batch_input_shape", {nullptr, 3}}}),
      make_layer("Dense", {{"units", 1}, {"activation", "sigmoid"}, {"name", "out"}})});
  model->compile(Json("adam"), Json("binary_crossentropy"));
  return model;
}

Tensor batch() { return Tensor::from_vector<float>({0.1f, -0.2f, 0.3f, 0.5f, 0.4f, -0.9f}, Shape{2, 3}); }
Tensor targets() { return Tensor::from_vector<float>({1.f, 0.f}, Shape{2, 1}); }

bool bitwise_equal(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() && std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_compiled_model_round_trips_and_resumes_training_identically) {
  auto model = small_model();
  model->train_on_batch({batch()}, {targets()});  // optimizer state to carry over
  const fs::path folder = test::scratch_dir("savedmodel_round_trip") / "model";
  save_model(*model, folder);
  for (const char* entry : {"saved_model.pb", "keras_metadata.pb", "fingerprint.pb", "variables/variables.index",
                            "variables/variables.data-00000-of-00001", "assets"})
    BOOST_TEST(fs::exists(folder / entry), entry);
  BOOST_TEST(detect_format(folder)->name() == "savedmodel");

  ModelPtr loaded = load_model(folder);
  BOOST_TEST(loaded->compiled());
  BOOST_TEST(bitwise_equal(loaded->predict(batch()), model->predict(batch())));
  // The variables/ keys are those of a TF checkpoint of the model.
  const tf::BundleReader bundle(folder / "variables" / "variables");
  BOOST_TEST(bundle.contains("layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE"));
  // "adam" is tf-keras 2.21's new Adam: its counter is _iterations (OptimizerV2's was iter).
  BOOST_TEST(bundle.contains("optimizer/_iterations/.ATTRIBUTES/VARIABLE_VALUE"));

  model->train_on_batch({batch()}, {targets()});
  loaded->train_on_batch({batch()}, {targets()});
  const auto a = model->weights(), b = loaded->weights();
  BOOST_TEST_REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) BOOST_TEST(bitwise_equal(a[i]->value(), b[i]->value()), a[i]->name());
}

BOOST_AUTO_TEST_CASE(inspect_of_our_folder_shows_the_serving_signature) {
  auto model = small_model();
  const fs::path folder = test::scratch_dir("savedmodel_inspect") / "model";
  save_model(*model, folder);
  const Json info = get_format("savedmodel")->inspect(folder);
  const Json& serving = info["meta_graphs"][0]["signatures"]["serving_default"];
  BOOST_TEST_MESSAGE(serving.dump());
  BOOST_TEST(serving["inputs"].size() == 1u);
  BOOST_TEST(serving["inputs"].begin().value()["shape"] == Json::array({-1, 3}));
  BOOST_TEST(serving["outputs"]["out"]["shape"] == Json::array({-1, 1}));
  BOOST_TEST(info["keras"]["identifier"] == "_tf_keras_sequential");
  BOOST_TEST(info["keras"]["compiled"] == true);
}

BOOST_AUTO_TEST_CASE(without_the_optimizer_the_folder_loads_uncompiled_with_the_same_predictions) {
  auto model = small_model();
  const fs::path folder = test::scratch_dir("savedmodel_no_optimizer") / "model";
  SaveOptions options;
  options.include_optimizer = false;
  save_model(*model, folder, options);
  const tf::BundleReader bundle(folder / "variables" / "variables");
  for (const auto& key : bundle.keys()) BOOST_TEST(key.find("optimizer") == std::string::npos, key);
  ModelPtr loaded = load_model(folder);
  BOOST_TEST(!loaded->compiled());
  BOOST_TEST(bitwise_equal(loaded->predict(batch()), model->predict(batch())));
}
