// Keras 3 standalone weights files: `save_weights(model, "x.weights.h5")` writes plain HDF5 in
// the layout of a .keras archive's model.weights.h5 (Keras 3 requires that suffix), and
// load_weights reads such files, real ones extracted from Keras 3.1.1 and 3.10 archives
// included. Keras 2 HDF5 weights stay with the h5 format; damaged files fail with errors that
// name the file, the group and expected against found.
#define BOOST_TEST_MODULE format_keras_zip_weights_file
#include <boost/test/unit_test.hpp>

#include "keras_zip_test_checks.hpp"
#include "ksave/npy.hpp"
#include "ksave/registry.hpp"
#include "ksave/saving.hpp"
#include "ksave/serialization.hpp"
#include "support/compare.hpp"
#include "support/test_data.hpp"

namespace fs = std::filesystem;
using namespace ksave;
namespace kz = ksave::test::keras_zip;
using ksave::test::error_of;
using ksave::test::mentions;
using kz::nested_encoder_model;
using kz::same_weights;
using kz::wave;
using kz::write_bytes;

namespace {

// Input(4) → Dense(3, relu) → Dense(2).
ModelPtr two_dense() {
  return std::make_shared<Sequential>(
      std::vector<LayerPtr>{make_layer("InputLayer", {{"name", "in"}, {"batch_input_shape", Json::array({nullptr, 4})}}),
                            make_layer("Dense", {{"name", "hidden"}, {"units", 3}, {"activation", "relu"}}),
                            make_layer("Dense", {{"name", "out"}, {"units", 2}})},
      "mlp");
}

// Saves `model`'s weights to `path` (format from the name), loads them into a fresh clone and
// checks weights and predictions bit for bit; returns the file's layout.
std::map<std::string, std::string> round_trip(const ModelPtr& model, const Tensor& x, const fs::path& path) {
  Tensor before = model->predict(x);
  save_weights(*model, path);
  BOOST_TEST(detect_format(path)->name() == "keras");
  ModelPtr fresh = clone_model(*model);
  BOOST_TEST(!same_weights(*model, *fresh));  // fresh initial values, so the load is what makes them equal
  LoadStatus status = load_weights(*fresh, path);
  BOOST_TEST(status.unused_in_file.empty());
  BOOST_TEST(status.unmatched_in_model.empty());
  BOOST_TEST(same_weights(*model, *fresh));
  BOOST_TEST(kz::same_values(fresh->predict(x), before));
  return kz::weights_file_layout(path);
}

}  // namespace

BOOST_AUTO_TEST_CASE(sequential_dense_weights_round_trip_in_keras3_layout) {
  auto layout = round_trip(two_dense(), wave({5, 4}, 0.2f), test::scratch_dir("keras_weights_dense") / "mlp.weights.h5");
  // Exactly the archive's layout: each layer under its snake_case class name, kernel then bias.
  const std::map<std::string, std::string> expected = {{"layers/dense/vars/0", "float32 (4, 3)"},
                                                       {"layers/dense/vars/1", "float32 (3,)"},
                                                       {"layers/dense_1/vars/0", "float32 (3, 2)"},
                                                       {"layers/dense_1/vars/1", "float32 (2,)"}};
  BOOST_TEST((layout == expected));
}

BOOST_AUTO_TEST_CASE(functional_model_with_an_lstm_round_trips_with_cell_paths) {
  if (!Registry::global().resolve(Kind::Layer, "LSTM")) {
    BOOST_TEST_MESSAGE("SKIPPED: the lstm plugin is not built");
    return;
  }
  KerasTensor in = Input({5, 3}, "steps");
  KerasTensor h = (*make_layer("LSTM", {{"name", "memory"}, {"units", 4}}))(in);
  KerasTensor out = (*make_layer("Dense", {{"name", "head"}, {"units", 2}}))(h);
  auto model = std::make_shared<Functional>(KerasTensors{in}, KerasTensors{out}, "recurrent");
  auto layout = round_trip(model, wave({2, 5, 3}, 1.1f), test::scratch_dir("keras_weights_lstm") / "rnn.weights.h5");
  BOOST_TEST(layout.at("layers/lstm/cell/vars/0") == "float32 (3, 16)");
  BOOST_TEST(layout.at("layers/lstm/cell/vars/1") == "float32 (4, 16)");
  BOOST_TEST(layout.at("layers/lstm/cell/vars/2") == "float32 (16,)");
  BOOST_TEST(layout.at("layers/dense/vars/1") == "float32 (2,)");
  BOOST_TEST(layout.size() == 5u);
}

BOOST_AUTO_TEST_CASE(a_nested_model_round_trips_below_its_own_path) {
  auto [model, inner] = nested_encoder_model();
  // Non-default moving statistics, so that the non-trainable variables are checked too.
  inner->get_layer("inner_norm")->weights()[2]->assign(wave({4}, 0.9f));
  auto layout = round_trip(model, wave({3, 3}, 0.4f), test::scratch_dir("keras_weights_nested") / "nested.weights.h5");
  BOOST_TEST(layout.at("layers/sequential/layers/dense/vars/0") == "float32 (3, 4)");
  BOOST_TEST(layout.at("layers/sequential/layers/batch_normalization/vars/3") == "float32 (4,)");
  BOOST_TEST(layout.at("layers/dense/vars/0") == "float32 (4, 2)");
}

BOOST_AUTO_TEST_CASE(a_trained_model_saves_its_optimizer_state_as_keras3_does) {
  const fs::path path = test::scratch_dir("keras_weights_optimizer") / "trained.weights.h5";
  ModelPtr model = two_dense();
  model->compile(Json("adam"), Json("mse"));
  model->fit({wave({8, 4}, 0.1f)}, {wave({8, 2}, 0.7f)}, kz::quiet_fit(1));
  save_weights(*model, path);
  auto layout = kz::weights_file_layout(path);
  BOOST_TEST(layout.at("optimizer/vars/0") == "int64 ()");  // iterations
  // iterations, learning_rate, then momentum and velocity for each of the 4 variables.
  BOOST_TEST(layout.at("optimizer/vars/2") == "float32 (4, 3)");
  BOOST_TEST(layout.count("optimizer/vars/9") == 1u);
  BOOST_TEST(layout.count("optimizer/vars/10") == 0u);
  // An uncompiled model takes the layers' variables; the optimizer's are not counted unused.
  ModelPtr fresh = two_dense();
  LoadStatus status = load_weights(*fresh, path);
  BOOST_TEST(status.unused_in_file.empty());
  BOOST_TEST(same_weights(*model, *fresh));
  // inspect describes the file without a model.
  Json description = get_format("keras")->inspect(path);
  BOOST_TEST(description["kind"] == "weights");
  BOOST_TEST(description["parameters"] == 4 * 3 + 3 + 3 * 2 + 2);
}

BOOST_AUTO_TEST_CASE(keras3_requires_the_weights_h5_suffix_and_other_names_stay_hdf5) {
  const fs::path dir = test::scratch_dir("keras_weights_suffix");
  ModelPtr model = two_dense();
  BOOST_TEST(mentions(error_of([&] { save_weights(*model, dir / "mlp.h5", SaveOptions{.format = "keras"}); }), {"mlp.h5", ".weights.h5"}));
  BOOST_TEST(!fs::exists(dir / "mlp.h5"));
  // Without an explicit format, `.h5` alone is Keras 2's HDF5 weights, as before.
  save_weights(*model, dir / "mlp.h5");
  BOOST_TEST(detect_format(dir / "mlp.h5")->name() == "h5");
  // Keras 2 weights under a `.weights.h5` name (tf.keras 2 allows any name) are still the h5 format's.
  save_weights(*model, dir / "keras2.weights.h5", SaveOptions{.format = "h5"});
  BOOST_TEST(detect_format(dir / "keras2.weights.h5")->name() == "h5");
  ModelPtr fresh = two_dense();
  load_weights(*fresh, dir / "keras2.weights.h5");
  BOOST_TEST(same_weights(*model, *fresh));
}

BOOST_AUTO_TEST_CASE(saving_respects_overwrite_and_leaves_no_temporary) {
  const fs::path dir = test::scratch_dir("keras_weights_atomic");
  const fs::path path = dir / "mlp.weights.h5";
  save_weights(*two_dense(), path);
  const auto size = fs::file_size(path);
  SaveOptions keep;
  keep.overwrite = false;
  BOOST_CHECK_THROW(save_weights(*two_dense(), path, keep), Error);
  BOOST_TEST(fs::file_size(path) == size);
  save_weights(*two_dense(), path);
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir)) ++files;
  BOOST_TEST(files == 1u);
}

BOOST_AUTO_TEST_CASE(real_keras3_weights_load_into_the_model_of_their_archive) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  struct Case {
    const char* folder;
    const char* expected_output;
  };
  const fs::path scratch = test::scratch_dir("keras_weights_real");
  for (const Case& c : {Case{"moonflower_keras311_cnn_h5_and_zip", "keras_zip_output_0.npy"}, Case{"divya_keras310_mlp_zip", "output_0.npy"}}) {
    BOOST_TEST_CONTEXT(c.folder) {
      const fs::path dir = *real / c.folder;
      const fs::path archive = dir / "mnist_model.keras";
      // What Keras 3's model.save_weights writes is the archive's model.weights.h5 as a file.
      const fs::path weights = scratch / (std::string(c.folder) + ".weights.h5");
      kz::extract_weights(archive, weights);
      BOOST_TEST(detect_format(weights)->name() == "keras");
      ModelPtr model = model_from_config(kz::read_json_entry(archive, "config.json"));
      LoadStatus status = load_weights(*model, weights);
      status.assert_existing_objects_matched();
      BOOST_TEST(status.unused_in_file.empty());  // the file's Adam state aside
      Tensor input = read_npy(dir / "expected" / "input_0.npy");
      Tensor expected = read_npy(dir / "expected" / c.expected_output);
      BOOST_TEST(test::close(model->predict(input), expected, {.rtol = 1e-4, .atol = 1e-5}), c.folder);
    }
  }
}

BOOST_AUTO_TEST_CASE(missing_variables_and_wrong_shapes_name_the_group_and_expected_against_found) {
  const fs::path dir = test::scratch_dir("keras_weights_bad");
  // edited_weights rewrites an archive's model.weights.h5: the same layout a weights file has.
  const fs::path archive = dir / "source.keras";
  save_model(*two_dense(), archive, SaveOptions{.format = "keras"});
  const fs::path missing = dir / "missing.weights.h5";
  write_bytes(missing, kz::edited_weights(archive, [](auto& d) { d.erase("layers/dense_1/vars/1"); }));
  BOOST_TEST(detect_format(missing)->name() == "keras");
  ModelPtr target = two_dense();
  const auto untouched = target->get_weights();
  BOOST_TEST(mentions(error_of([&] { load_weights(*target, missing); }),
                      {"missing.weights.h5", "layer 'out' (Dense)", "layers/dense_1/vars", "2 variables", "holds 1"}));
  for (std::size_t i = 0; i < untouched.size(); ++i) BOOST_TEST(kz::same_values(target->get_weights()[i], untouched[i]));

  const fs::path shape = dir / "shape.weights.h5";
  write_bytes(shape, kz::edited_weights(archive, [](auto& d) { d["layers/dense/vars/0"] = Tensor::zeros(DType::Float32, {5, 3}); }));
  BOOST_TEST(mentions(error_of([&] { load_weights(*target, shape); }), {"shape.weights.h5", "layers/dense/vars/0", "(5, 3)", "expected (4, 3)", "kernel"}));
  // skip_mismatch: the layer that does not fit keeps its values, the others load.
  LoadOptions skip;
  skip.skip_mismatch = true;
  LoadStatus status = load_weights(*target, shape, skip);
  BOOST_TEST(status.unmatched_in_model.size() == 2u);
  BOOST_TEST(status.warnings.size() == 1u);
  BOOST_TEST(kz::same_values(target->get_weights()[0], untouched[0]));
  // by_name has no meaning for a layout matched by path.
  LoadOptions by_name;
  by_name.by_name = true;
  BOOST_TEST(mentions(error_of([&] { load_weights(*target, missing, by_name); }), {"by_name"}));
}

// Keras 2.15 on Windows named the weights groups with os.path.join: "layers\dense/vars/0" (one
// group whose name holds a backslash). Keras reads such archives and weights files; so does ksave.
BOOST_AUTO_TEST_CASE(windows_backslash_group_names_load) {
  const fs::path dir = test::scratch_dir("keras_weights_windows");
  const fs::path archive = dir / "source.keras";
  ModelPtr source = two_dense();
  save_model(*source, archive, SaveOptions{.format = "keras"});
  const auto windows = kz::edited_weights(archive, [](std::map<std::string, Tensor>& d) {
    std::map<std::string, Tensor> renamed;
    for (auto& [path, value] : d) {
      std::string name = path;
      if (name.rfind("layers/", 0) == 0) name[6] = '\\';  // "layers\dense_1/vars/0"
      renamed[name] = value;
    }
    d = renamed;
  });
  const fs::path weights = dir / "windows.weights.h5";
  write_bytes(weights, windows);
  BOOST_TEST(kz::weights_file_layout(weights).count("layers\\dense/vars/0") == 1u);
  ModelPtr target = two_dense();
  const LoadStatus status = load_weights(*target, weights);
  BOOST_TEST(status.unused_in_file.empty());
  BOOST_TEST(same_weights(*source, *target));

  const fs::path windows_archive = dir / "windows.keras";
  kz::write_archive(windows_archive, {{"metadata.json", kz::read_entry(archive, "metadata.json")},
                                      {"config.json", kz::read_entry(archive, "config.json")},
                                      {"model.weights.h5", windows}});
  BOOST_TEST(same_weights(*source, *load_model(windows_archive)));
}
