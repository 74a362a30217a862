// Files ksave writes: save → load gives the same config, bit-identical weights and predictions;
// the layout matches a real tf.keras 2.x file of the same architecture; optimizer state survives
// so training resumes bit-identically; saving is atomic; weights-only files load by order and by
// name; tfjs (the oracle) reads our file with the same outputs.
#define BOOST_TEST_MODULE format_h5_round_trip
#include <boost/test/unit_test.hpp>

#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "h5_test_support.hpp"
#include "hdf5_handle.hpp"
#include "string_attributes.hpp"
#include "ksave/ops.hpp"
#include "ksave/optimizer.hpp"
#include "ksave/registry.hpp"
#include "ksave/saving.hpp"
#include "ksave/serialization.hpp"
#include "support/oracle_node.hpp"
#include "support/stderr_capture.hpp"
#include "support/user_layers.hpp"
#include "support/test_data.hpp"

namespace fs = std::filesystem;
using namespace ksave;
using ksave::test::StderrCapture;

namespace {

LayerPtr dense(const std::string& name, int units, const std::string& activation = "linear") {
  return make_layer("Dense", {{"name", name}, {"units", units}, {"activation", activation}});
}

LayerPtr input_layer(const std::string& name, Dim features) {
  return make_layer("InputLayer", {{"name", name}, {"batch_input_shape", Json::array({nullptr, features})}, {"dtype", "float32"}});
}

// The architecture of hls4ml_keras211_h5_named_dotkeras_mlp, built in C++.
ModelPtr hls4ml_mlp() {
  return std::make_shared<Sequential>(std::vector<LayerPtr>{input_layer("fc1_input", 8), dense("fc1", 4), make_layer("Activation", {{"name", "relu1"}, {"activation", "relu"}}),
                                                            dense("fc2", 2), make_layer("Activation", {{"name", "relu2"}, {"activation", "relu"}})},
                                      "sequential_1");
}

Tensor sample_input(Dim rows, Dim features) {
  std::vector<float> v(static_cast<std::size_t>(rows * features));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = std::sin(0.37f * static_cast<float>(i)) * 2.0f;
  return Tensor::from_vector(v, {rows, features});
}

bool bit_identical(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() && std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0;
}

void require_same_weights(const Model& a, const Model& b) {
  auto wa = a.weights(), wb = b.weights();
  BOOST_REQUIRE_EQUAL(wa.size(), wb.size());
  for (std::size_t i = 0; i < wa.size(); ++i) {
    BOOST_TEST(wa[i]->name() == wb[i]->name());
    BOOST_TEST(bit_identical(wa[i]->value(), wb[i]->value()), "weight " << wa[i]->name() << " differs");
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(sequential_round_trip_gives_identical_config_weights_and_predictions) {
  fs::path dir = test::scratch_dir("h5_round_trip");
  ModelPtr model = hls4ml_mlp();
  Tensor x = sample_input(5, 8);
  Tensor before = model->predict(x);
  save_model(*model, dir / "mlp.h5");
  ModelPtr loaded = load_model(dir / "mlp.h5");
  BOOST_TEST(serialize(*loaded).dump() == serialize(*model).dump());
  require_same_weights(*model, *loaded);
  BOOST_TEST(bit_identical(loaded->predict(x), before));
  // HDF5 under a .keras name (as tf.keras <= 2.12 could write it) is recognized by content on load.
  SaveOptions as_h5;
  as_h5.format = "h5";
  save_model(*model, dir / "mlp.keras", as_h5);
  BOOST_TEST(detect_format(dir / "mlp.keras")->name() == "h5");
  BOOST_TEST(bit_identical(load_model(dir / "mlp.keras")->predict(x), before));
}

BOOST_AUTO_TEST_CASE(functional_round_trip_keeps_input_layers_and_two_outputs) {
  fs::path dir = test::scratch_dir("h5_functional");
  KerasTensor in = Input({6}, "features");
  KerasTensor hidden = (*dense("hidden", 5, "tanh"))(in);
  KerasTensor a = (*dense("out_a", 3, "softmax"))(hidden);
  KerasTensor b = (*dense("out_b", 1))(hidden);
  auto model = std::make_shared<Functional>(KerasTensors{in}, KerasTensors{a, b}, "two_heads");
  Tensor x = sample_input(4, 6);
  Tensors before = model->predict(Tensors{x});
  save_model(*model, dir / "f.h5");
  auto layout = test::h5::file_layout(dir / "f.h5");
  BOOST_TEST(layout.count("/model_weights/features") == 1u);  // Functional lists its InputLayer
  ModelPtr loaded = load_model(dir / "f.h5");
  BOOST_TEST(serialize(*loaded).dump() == serialize(*model).dump());
  require_same_weights(*model, *loaded);
  Tensors after = loaded->predict(Tensors{x});
  BOOST_REQUIRE_EQUAL(after.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) BOOST_TEST(bit_identical(after[i], before[i]));
}

BOOST_AUTO_TEST_CASE(layout_matches_a_real_tf_keras_file_of_the_same_architecture) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  fs::path dir = test::scratch_dir("h5_layout");
  save_model(*hls4ml_mlp(), dir / "ours.h5");
  auto theirs = test::h5::file_layout(*real / "hls4ml_keras211_h5_named_dotkeras_mlp" / "keras_model.keras");
  auto ours = test::h5::file_layout(dir / "ours.h5");
  // The real model was compiled: its training_config and optimizer_weights have no counterpart
  // in our uncompiled save (compiled saves are checked below).
  for (auto it = theirs.begin(); it != theirs.end();)
    it = it->first == "/@training_config" || it->first.rfind("/optimizer_weights", 0) == 0 ? theirs.erase(it) : std::next(it);
  BOOST_TEST(ours == theirs, "layouts differ");
  for (const auto& [key, value] : theirs)
    if (!ours.count(key) || ours.at(key) != value) BOOST_TEST_MESSAGE("theirs " << key << ": " << value << " / ours: " << (ours.count(key) ? ours.at(key) : "absent"));
  for (const auto& [key, value] : ours)
    if (!theirs.count(key)) BOOST_TEST_MESSAGE("only ours " << key << ": " << value);
  // String storage as tf.keras writes it: version/backend vlen UTF-8, configs vlen ASCII.
  auto detailed = test::h5::file_layout(dir / "ours.h5", true);
  BOOST_TEST(detailed.at("/@keras_version") == "attribute string vlen utf8 scalar");
  BOOST_TEST(detailed.at("/@backend") == "attribute string vlen utf8 scalar");
  BOOST_TEST(detailed.at("/@model_config") == "attribute string vlen ascii scalar");
  BOOST_TEST(detailed.at("/model_weights@keras_version") == "attribute string vlen ascii scalar");
  BOOST_TEST(detailed.at("/model_weights@layer_names") == "attribute string fixed ascii 1-D");
}

namespace {

// A config without the keys tf-keras >= 2.13 added and 2.11/2.12 did not write: "module" and
// "registered_name" on nested objects (initializers, regularizers, constraints), an InputLayer's
// "optional". ksave writes tf-keras 2.21's form, which the interop suite compares with tf-keras
// 2.21 itself.
Json without_keys_added_after_2_12(Json config) {
  if (config.is_object()) {
    for (const char* key : {"module", "registered_name", "optional"}) config.erase(key);
    for (auto& [key, value] : config.items()) value = without_keys_added_after_2_12(value);
  } else if (config.is_array()) {
    for (auto& value : config) value = without_keys_added_after_2_12(value);
  }
  return config;
}

}  // namespace

// Real tf.keras 2.11 and 2.12 files (Sequential MLP, Conv1D + GRU, CNN; compiled), loaded and
// saved again by ksave: every group, attribute and dataset under the root and model_weights comes
// back with the same contents: bytes for the weights, the same name lists, the same configs (as
// JSON, key order included, the keys of tf-keras >= 2.13 aside; Python writes ", " and ": " between items, ksave no spaces). Not
// compared: keras_version (ksave writes its own, 2.15) and optimizer_weights, where tf.keras >= 2.11's
// new optimizers save only `iteration:0` while ksave saves every slot. Functional models are left
// to the interop suite (tf-keras 2.21's to_json): tf.keras 2.11 wrote their config without the
// `trainable` key that 2.13 added.
BOOST_AUTO_TEST_CASE(real_tf_keras_files_saved_again_have_the_same_contents) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  const auto compared = [](std::map<std::string, std::string> values) {
    for (auto it = values.begin(); it != values.end();) {
      const std::string& key = it->first;
      if (key.rfind("/optimizer_weights", 0) == 0 || key.ends_with("@keras_version")) {
        it = values.erase(it);
        continue;
      }
      if (key == "/@model_config" || key == "/@training_config") it->second = without_keys_added_after_2_12(Json::parse(it->second)).dump();
      ++it;
    }
    return values;
  };
  for (const char* file : {"hls4ml_keras211_h5_named_dotkeras_mlp/keras_model.keras",
                           "hls4ml_keras211_h5_named_dotkeras_conv1d_gru/keras_model.keras",
                           "linchenn_keras212_h5_named_dotkeras/model.keras"}) {
    BOOST_TEST_CONTEXT(file) {
      const fs::path original = *real / file;
      const fs::path again = test::scratch_dir("h5_same_contents") / "again.h5";
      save_model(*load_model(original), again);
      const auto theirs = compared(test::h5::file_values(original)), ours = compared(test::h5::file_values(again));
      BOOST_TEST(theirs.size() > 10u);
      for (const auto& [key, value] : theirs) {
        const auto found = ours.find(key);
        BOOST_TEST((found != ours.end()), key << " is missing");
        if (found != ours.end()) BOOST_TEST((found->second == value), key << ": ours\n" << found->second << "\ntheirs\n" << value);
      }
      for (const auto& [key, value] : ours) BOOST_TEST(theirs.count(key) == 1u, key << " is not in the original");
    }
  }
}

BOOST_AUTO_TEST_CASE(long_layer_name_lists_are_split_like_keras_and_read_back) {
  fs::path dir = test::scratch_dir("h5_chunked");
  std::vector<LayerPtr> layers{input_layer("in", 2)};
  for (int i = 0; i < 300; ++i) layers.push_back(dense("layer_" + std::to_string(i) + "_" + std::string(240, 'x'), 2));
  auto model = std::make_shared<Sequential>(layers, "long_names");
  save_model(*model, dir / "long.h5");
  auto layout = test::h5::file_layout(dir / "long.h5");
  // 300 names of 250 bytes = 75000 bytes > 64512: numpy.array_split into 2 pieces of 150.
  BOOST_TEST(layout.count("/model_weights@layer_names0") == 1u);
  BOOST_TEST(layout.count("/model_weights@layer_names1") == 1u);
  BOOST_TEST(layout.count("/model_weights@layer_names2") == 0u);
  BOOST_TEST(layout.count("/model_weights@layer_names") == 0u);
  ModelPtr loaded = load_model(dir / "long.h5");
  require_same_weights(*model, *loaded);
}

BOOST_AUTO_TEST_CASE(compiled_model_keeps_training_config_and_resumes_training_bit_identically) {
  fs::path dir = test::scratch_dir("h5_resume");
  Tensor x = sample_input(16, 8);
  Tensor y = sample_input(16, 2);
  ModelPtr model = std::make_shared<Sequential>(std::vector<LayerPtr>{input_layer("in", 8), dense("d1", 6, "tanh"), dense("d2", 2)}, "resume");
  model->compile(Json("adam"), Json("mse"));
  FitOptions fit;
  fit.batch_size = 4;
  fit.epochs = 2;
  fit.shuffle = false;
  fit.verbose = 0;
  model->fit({x}, {y}, fit);
  save_model(*model, dir / "trained.h5");
  auto layout = test::h5::file_layout(dir / "trained.h5");
  BOOST_TEST(layout.count("/@training_config") == 1u);
  BOOST_TEST(layout.count("/optimizer_weights@weight_names") == 1u);
  // "adam" is tf-keras 2.21's new-generation Adam: its h5 layout (measured), iteration first.
  BOOST_TEST(layout.at("/optimizer_weights/iteration:0") == "dataset int64 ()");
  BOOST_TEST(layout.at("/optimizer_weights/Adam/m/d1/kernel:0") == "dataset float32 (8, 6)");

  ModelPtr reloaded = load_model(dir / "trained.h5");
  BOOST_REQUIRE(reloaded->compiled());
  auto ours = model->optimizer()->variables(), theirs = reloaded->optimizer()->variables();
  BOOST_REQUIRE_EQUAL(ours.size(), theirs.size());
  for (std::size_t i = 0; i < ours.size(); ++i) BOOST_TEST(bit_identical(ours[i]->value(), theirs[i]->value()), ours[i]->name());

  fit.epochs = 1;
  model->fit({x}, {y}, fit);
  reloaded->fit({x}, {y}, fit);
  require_same_weights(*model, *reloaded);

  // include_optimizer=false: no training_config, no optimizer_weights.
  SaveOptions without;
  without.include_optimizer = false;
  save_model(*model, dir / "bare.h5", without);
  auto bare = test::h5::file_layout(dir / "bare.h5");
  BOOST_TEST(bare.count("/@training_config") == 0u);
  BOOST_TEST(bare.count("/optimizer_weights") == 0u);
  BOOST_TEST(!load_model(dir / "bare.h5")->compiled());
}

BOOST_AUTO_TEST_CASE(other_generations_optimizer_weights_are_skipped_with_one_warning) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  // tf.keras 2.11's new optimizer saved only iteration:0: it cannot fill RMSprop's slots.
  StderrCapture capture;
  ModelPtr model = load_model(*real / "hls4ml_keras211_h5_named_dotkeras_mlp" / "keras_model.keras");
  std::string warnings = capture.text.str();
  BOOST_TEST_MESSAGE("warnings: " << warnings);
  if (!model->compiled()) return;  // the training engine could not compile this config
  BOOST_TEST(warnings.find("only the iteration counter iteration:0") != std::string::npos);
  BOOST_TEST(warnings.find("ksave: warning:") == warnings.rfind("ksave: warning:"));  // one warning
}

namespace {

// A layer whose weight HDF5 cannot store: saving fails midway, after other layers were written.
class StringWeightLayer : public Layer {
 public:
  StringWeightLayer() : Layer(Json{{"name", "labels"}}, "StringWeightLayer") {}
  std::string class_name() const override { return "StringWeightLayer"; }

 protected:
  void build_impl(const std::vector<Shape>&) override {
    add_weight({"names", {2}, DType::String, nullptr, nullptr, nullptr, false});
  }
  Tensors call(const Tensors& inputs, const CallContext&) override { return inputs; }
};

}  // namespace

BOOST_AUTO_TEST_CASE(a_failed_save_leaves_the_previous_file_intact) {
  fs::path dir = test::scratch_dir("h5_atomic");
  ModelPtr good = hls4ml_mlp();
  save_model(*good, dir / "model.h5");
  std::ifstream in(dir / "model.h5", std::ios::binary);
  std::string before((std::istreambuf_iterator<char>(in)), {});
  auto bad = std::make_shared<Sequential>(std::vector<LayerPtr>{input_layer("in", 3), dense("d", 2), std::make_shared<StringWeightLayer>()}, "bad");
  BOOST_CHECK_EXCEPTION(save_model(*bad, dir / "model.h5"), Error, [](const Error& e) {
    BOOST_TEST_MESSAGE("save error: " << e.what());
    return std::string(e.what()).find("string") != std::string::npos;
  });
  std::ifstream again(dir / "model.h5", std::ios::binary);
  std::string after((std::istreambuf_iterator<char>(again)), {});
  BOOST_TEST((before == after), "the previous file changed");
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++entries;
  BOOST_TEST(entries == 1u);  // no temporary left behind
  BOOST_CHECK_THROW(save_model(*good, dir / "missing_folder" / "m.h5"), Error);
}

BOOST_AUTO_TEST_CASE(weights_only_files_load_by_order_by_name_and_with_skip_mismatch) {
  fs::path dir = test::scratch_dir("h5_weights");
  ModelPtr source = hls4ml_mlp();
  save_weights(*source, dir / "w.h5");
  auto layout = test::h5::file_layout(dir / "w.h5");
  BOOST_TEST(layout.count("/@layer_names") == 1u);  // save_weights layout: names at the root
  BOOST_TEST(layout.count("/@model_config") == 0u);

  // By order: layer names do not matter.
  auto renamed = std::make_shared<Sequential>(std::vector<LayerPtr>{input_layer("x", 8), dense("a", 4), dense("b", 2)}, "renamed");
  LoadStatus status = load_weights(*renamed, dir / "w.h5");
  BOOST_TEST(status.warnings.empty());
  BOOST_TEST(bit_identical(renamed->get_layer("a")->weights()[0]->value(), source->get_layer("fc1")->weights()[0]->value()));

  // By name: only fc1 matches; the file's fc2 has no layer in the model (a warning).
  auto partial = std::make_shared<Sequential>(std::vector<LayerPtr>{input_layer("x", 8), dense("fc1", 4), dense("other", 2)}, "partial");
  LoadOptions by_name;
  by_name.by_name = true;
  {
    StderrCapture capture;
    status = load_weights(*partial, dir / "w.h5", by_name);
  }
  BOOST_TEST(bit_identical(partial->get_layer("fc1")->weights()[0]->value(), source->get_layer("fc1")->weights()[0]->value()));
  BOOST_REQUIRE_EQUAL(status.warnings.size(), 1u);
  BOOST_TEST(status.warnings[0].find("fc2") != std::string::npos);
  BOOST_TEST(status.unmatched_in_model.size() == 2u);  // other/kernel, other/bias
  BOOST_CHECK_THROW(status.assert_consumed(), Error);

  // A shape mismatch names the layer, the weight and both shapes ...
  auto wider = std::make_shared<Sequential>(std::vector<LayerPtr>{input_layer("x", 8), dense("fc1", 5), dense("fc2", 2)}, "wider");
  BOOST_CHECK_EXCEPTION(load_weights(*wider, dir / "w.h5", by_name), Error, [](const Error& e) {
    std::string m = e.what();
    BOOST_TEST_MESSAGE(m);
    return m.find("fc1") != std::string::npos && m.find("kernel") != std::string::npos && m.find("(8, 4)") != std::string::npos &&
           m.find("(8, 5)") != std::string::npos;
  });
  // ... and nothing was changed by the failed load.
  Tensor untouched = wider->get_layer("fc2")->weights()[0]->value().clone();
  BOOST_CHECK_THROW(load_weights(*wider, dir / "w.h5", by_name), Error);
  BOOST_TEST(bit_identical(wider->get_layer("fc2")->weights()[0]->value(), untouched));
  // ... or, with skip_mismatch, a warning and the other weights loaded.
  by_name.skip_mismatch = true;
  {
    StderrCapture capture;
    status = load_weights(*wider, dir / "w.h5", by_name);
  }
  BOOST_TEST(!status.warnings.empty());
  BOOST_TEST(status.unmatched_in_model.size() == 3u);  // fc1/kernel, fc1/bias, fc2/kernel
  BOOST_TEST(bit_identical(wider->get_layer("fc2")->weights()[1]->value(), source->get_layer("fc2")->weights()[1]->value()));

  // Weights from a whole-model file (its model_weights group).
  save_model(*source, dir / "whole.h5");
  auto fresh = hls4ml_mlp();
  load_weights(*fresh, dir / "whole.h5");
  require_same_weights(*source, *fresh);
  // A layer-count mismatch by order is an error naming both sides.
  auto shorter = std::make_shared<Sequential>(std::vector<LayerPtr>{input_layer("x", 8), dense("fc1", 4)}, "shorter");
  BOOST_CHECK_EXCEPTION(load_weights(*shorter, dir / "w.h5"), Error, [](const Error& e) {
    return std::string(e.what()).find("layer count mismatch") != std::string::npos;
  });
}

BOOST_AUTO_TEST_CASE(inspect_describes_a_real_file) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  Json info = get_format("h5")->inspect(*real / "dl4j_keras122_lstm_full_weights_json_io" / "simple_lstm_tf_keras_1_model.h5");
  BOOST_TEST_MESSAGE(info.dump(1));
  BOOST_TEST(info.at("keras_version") == "1.2.2");
  BOOST_TEST(info.at("model_class") == "Sequential");
  BOOST_TEST(info.at("optimizer_weights") == 14);
  BOOST_TEST(info.at("optimizer_weights_generation").get<std::string>().find("Keras 1") != std::string::npos);
  BOOST_TEST(info.at("layers").at(0).at("weights").size() == 12u);
  BOOST_TEST(info.at("training_config").at("loss") == "mse");
}

BOOST_AUTO_TEST_CASE(keras1_lstm_weights_are_converted) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  fs::path dir = *real / "dl4j_keras122_lstm_full_weights_json_io";
  LoadOptions options;
  options.compile = false;
  ModelPtr model = load_model(dir / "simple_lstm_tf_keras_1_model.h5", options);
  auto w = model->layers().at(0)->weights();
  BOOST_REQUIRE_EQUAL(w.size(), 3u);
  BOOST_TEST(w[0]->shape() == (Shape{1, 200}));
  BOOST_TEST(w[1]->shape() == (Shape{50, 200}));
  BOOST_TEST(w[2]->shape() == (Shape{200}));
}

BOOST_AUTO_TEST_CASE(the_tfjs_oracle_reads_our_file_with_the_same_outputs) {
  auto oracle = test::oracle_dir();
  KSAVE_REQUIRE_DATA(oracle, "oracle");
  fs::path dir = test::scratch_dir("h5_oracle");
  ModelPtr model = hls4ml_mlp();
  Tensor x = sample_input(6, 8);
  Tensor y = model->predict(x);
  save_model(*model, dir / "ours.h5");
  auto write_bin = [](const fs::path& p, const Tensor& t) {
    std::ofstream out(p, std::ios::binary);
    out.write(static_cast<const char*>(t.raw_data()), static_cast<std::streamsize>(t.nbytes()));
  };
  write_bin(dir / "x.bin", x);
  write_bin(dir / "ours.bin", y);
  const auto run = test::run_oracle_script("predict.mjs", {"--h5", (dir / "ours.h5").string(), "--input", (dir / "x.bin").string(),
                                                          "--out", (dir / "y.bin").string(), "--compare", (dir / "ours.bin").string()});
  BOOST_TEST_MESSAGE("oracle: " << run.output);
  BOOST_TEST(run.status == 0, "tfjs could not read our file or gave other outputs: " << run.output);
}

BOOST_AUTO_TEST_CASE(a_nested_model_is_one_layer_group_holding_all_its_weights) {
  fs::path dir = test::scratch_dir("h5_nested");
  auto inner = std::make_shared<Sequential>(std::vector<LayerPtr>{input_layer("inner_in", 4), dense("inner_a", 3, "relu"), dense("inner_b", 2)}, "encoder");
  KerasTensor in = Input({4}, "outer_in");
  KerasTensor out = (*dense("head", 1))((*inner)(in));
  auto model = std::make_shared<Functional>(KerasTensors{in}, KerasTensors{out}, "outer");
  Tensor x = sample_input(3, 4);
  Tensor before = model->predict(x);
  save_model(*model, dir / "nested.h5");
  auto layout = test::h5::file_layout(dir / "nested.h5");
  BOOST_TEST(layout.count("/model_weights/encoder@weight_names") == 1u);
  ModelPtr loaded = load_model(dir / "nested.h5");
  require_same_weights(*model, *loaded);
  BOOST_TEST(bit_identical(loaded->predict(x), before));
}

BOOST_AUTO_TEST_CASE(custom_classes_are_saved_by_name_with_a_warning_and_load_when_registered) {
  ClassEntry entry;
  entry.kind = Kind::Layer;
  entry.class_name = "Scale";
  entry.package = "H5Tests";
  // A user layer registered under a package, as register_keras_serializable("H5Tests") does.
  entry.factory = LayerFactory([](const Json& c) -> LayerPtr { return std::make_shared<test::ScaleLayer>(c); });
  Registry::global().add(entry);
  fs::path dir = test::scratch_dir("h5_custom");
  auto model = std::make_shared<Sequential>(std::vector<LayerPtr>{input_layer("in", 3), make_layer("H5Tests>Scale", {{"name", "scale"}})}, "custom");
  std::string warnings;
  {
    StderrCapture capture;
    save_model(*model, dir / "custom.h5");
    warnings = capture.text.str();
  }
  BOOST_TEST_MESSAGE(warnings);
  BOOST_TEST(warnings.find("H5Tests>Scale") != std::string::npos);
  BOOST_TEST(warnings.find("not their code") != std::string::npos);
  ModelPtr loaded = load_model(dir / "custom.h5");
  require_same_weights(*model, *loaded);
}

BOOST_AUTO_TEST_CASE(tf_keras_2_4_adam_state_is_restored_from_a_real_file) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  fs::path path = *real / "dl4j_keras240_functional_embedding_conv1d_adam" / "issue_9349.hdf5";
  StderrCapture capture;
  ModelPtr model = load_model(path);
  BOOST_TEST(capture.text.str().find("optimizer weights") == std::string::npos, capture.text.str());
  BOOST_REQUIRE(model->compiled());
  auto variables = model->optimizer()->variables();
  BOOST_REQUIRE_EQUAL(variables.size(), 11u);  // Adam/iter:0 and m, v for 5 trainable weights
  BOOST_TEST(variables[0]->value().item() == 12.0);  // the file's Adam/iter:0
  auto lock = plugins::h5::hdf5_lock();
  plugins::h5::File file = plugins::h5::File::open(path);
  auto names = *plugins::h5::read_string_list(file.group("optimizer_weights"), "weight_names");
  for (std::size_t i = 0; i < names.size(); ++i) {
    Tensor stored = file.group("optimizer_weights").dataset(names[i]).read_as(variables[i]->dtype());
    BOOST_TEST(bit_identical(stored, variables[i]->value()), names[i] << " vs " << variables[i]->name());
  }
}
