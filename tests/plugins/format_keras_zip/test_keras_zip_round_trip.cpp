// Archives ksave writes: Keras 3's layout (metadata.json, config.json with module /
// registered_name / compile_config, model.weights.h5 with layers/<name>/vars/N and
// optimizer/vars/N), entries stored; save → load gives the same config, weights and
// predictions; compile config and optimizer state survive so training resumes bit-identically;
// saving is atomic.
#define BOOST_TEST_MODULE format_keras_zip_round_trip
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <fstream>
#include <map>

#include "keras_zip_test_checks.hpp"
#include "ksave/optimizer.hpp"
#include "ksave/registry.hpp"
#include "ksave/saving.hpp"
#include "ksave/serialization.hpp"
#include "support/test_data.hpp"

namespace fs = std::filesystem;
using namespace ksave;
namespace kz = ksave::test::keras_zip;
using kz::quiet_fit;
using kz::nested_encoder_model;
using kz::same_weights;
using kz::wave;

namespace {

const SaveOptions kAsKeras3{.format = "keras"};

// Input(4, 4, 2) → Conv2D → BatchNormalization → Flatten → Dense(3, softmax): trainable and
// non-trainable variables, and weightless layers.
ModelPtr small_cnn() {
  return std::make_shared<Sequential>(
      std::vector<LayerPtr>{make_layer("InputLayer", {{"name", "pixels"}, {"batch_input_shape", Json::array({nullptr, 4, 4, 2})}}),
                            make_layer("Conv2D", {{"name", "conv"}, {"filters", 3}, {"kernel_size", 2}, {"activation", "relu"}}),
                            make_layer("BatchNormalization", {{"name", "norm"}}), make_layer("Flatten", {{"name", "flat"}}),
                            make_layer("Dense", {{"name", "scores"}, {"units", 3}, {"activation", "softmax"}})},
      "small_cnn");
}

// Saves `model` as a Keras 3 archive at `path`, loads it back and checks the config, the
// weights and the predictions on `x`; returns the layout of the archive's model.weights.h5.
std::map<std::string, std::string> save_and_reload(const ModelPtr& model, const Tensor& x, const fs::path& path) {
  Tensor before = model->predict(x);
  save_model(*model, path, kAsKeras3);
  BOOST_TEST(detect_format(path)->name() == "keras");
  ModelPtr loaded = load_model(path);
  BOOST_TEST(loaded->to_json() == model->to_json());
  BOOST_TEST(same_weights(*model, *loaded));
  BOOST_TEST(kz::same_values(loaded->predict(x), before));
  BOOST_TEST(!loaded->compiled());
  return kz::weights_layout(path);
}

}  // namespace

BOOST_AUTO_TEST_CASE(sequential_round_trip_gives_identical_config_weights_and_predictions) {
  save_and_reload(small_cnn(), wave({5, 4, 4, 2}, 0.3f), test::scratch_dir("keras_zip_round_trip") / "cnn.keras");
}

BOOST_AUTO_TEST_CASE(archive_has_keras3_layout_with_stored_entries) {
  const fs::path path = test::scratch_dir("keras_zip_layout") / "cnn.keras";
  ModelPtr model = small_cnn();
  save_model(*model, path, kAsKeras3);
  auto entries = kz::entry_methods(path);
  BOOST_REQUIRE_EQUAL(entries.size(), 3u);
  BOOST_TEST(entries[0].first == "metadata.json");
  BOOST_TEST(entries[1].first == "config.json");
  BOOST_TEST(entries[2].first == "model.weights.h5");
  for (const auto& [name, method] : entries) BOOST_TEST(method == 0, name << " is not stored");

  Json metadata = kz::read_json_entry(path, "metadata.json");
  BOOST_TEST(metadata["keras_version"].get<std::string>().rfind("3.", 0) == 0u);
  BOOST_TEST(metadata["date_saved"].get<std::string>().find('@') != std::string::npos);

  Json config = kz::read_json_entry(path, "config.json");
  BOOST_TEST(config["module"] == "keras");
  BOOST_TEST(config["class_name"] == "Sequential");
  BOOST_TEST(config["registered_name"].is_null());
  const Json& layers = config["config"]["layers"];
  BOOST_TEST(layers[0]["class_name"] == "InputLayer");
  BOOST_TEST(layers[0]["config"].contains("batch_shape"));
  BOOST_TEST(layers[1]["module"] == "keras.layers");
  BOOST_TEST(layers[1]["config"]["kernel_initializer"]["module"] == "keras.initializers");
  // Keras 3.15 writes an uncompiled model's compile_config as {} (Trainer.get_compile_config).
  BOOST_TEST(config["compile_config"] == Json::object());
  // Keras 3's forms: layers carry a DTypePolicy and their build shapes, initializers 3.15's keys.
  BOOST_TEST(layers[0]["config"]["dtype"] == "float32");
  BOOST_TEST(layers[1]["config"]["dtype"]["class_name"] == "DTypePolicy");
  BOOST_TEST(layers[1]["config"]["dtype"]["config"]["name"] == "float32");
  BOOST_TEST(layers[1].contains("build_config"));
  BOOST_TEST(layers[1]["config"]["kernel_initializer"]["config"].contains("input_axes"));

  auto layout = kz::weights_layout(path);
  // Sequential's layers exclude the InputLayer; each is filed under its class's snake_case name
  // (not its own name), with its own variables in Keras 3's order.
  BOOST_TEST(layout.at("layers/conv2d/vars/0") == "float32 (2, 2, 2, 3)");
  BOOST_TEST(layout.at("layers/conv2d/vars/1") == "float32 (3,)");
  BOOST_TEST(layout.at("layers/batch_normalization/vars/0") == "float32 (3,)");  // gamma, beta, moving_mean, moving_variance
  BOOST_TEST(layout.count("layers/batch_normalization/vars/3") == 1u);
  BOOST_TEST(layout.at("layers/dense/vars/0") == "float32 (27, 3)");
  BOOST_TEST(layout.size() == 8u);
  BOOST_TEST(kz::same_values(kz::read_weights_dataset(path, "layers/batch_normalization/vars/3"),
                             model->get_layer("norm")->weights()[3]->value()));
}

BOOST_AUTO_TEST_CASE(functional_model_with_a_recurrent_layer_keeps_sublayer_paths) {
  if (!Registry::global().resolve(Kind::Layer, "LSTM")) {
    BOOST_TEST_MESSAGE("SKIPPED: the lstm plugin is not built");
    return;
  }
  const fs::path path = test::scratch_dir("keras_zip_functional") / "rnn.keras";
  KerasTensor in = Input({5, 3}, "steps");
  KerasTensor h = (*make_layer("LSTM", {{"name", "memory"}, {"units", 4}}))(in);
  KerasTensor out = (*make_layer("Dense", {{"name", "head"}, {"units", 2}}))(h);
  auto model = std::make_shared<Functional>(KerasTensors{in}, KerasTensors{out}, "recurrent");
  auto layout = save_and_reload(model, wave({2, 5, 3}, 1.1f), path);
  // Keras 3 keeps an LSTM's variables on its cell: layers/lstm/cell/vars.
  BOOST_TEST(layout.at("layers/lstm/cell/vars/0") == "float32 (3, 16)");
  BOOST_TEST(layout.at("layers/lstm/cell/vars/1") == "float32 (4, 16)");
  BOOST_TEST(layout.at("layers/lstm/cell/vars/2") == "float32 (16,)");
  BOOST_TEST(layout.at("layers/dense/vars/0") == "float32 (4, 2)");
  // Keras 3's spellings: Functional is registered by its own name; recurrent layers have no time_major.
  Json config = kz::read_json_entry(path, "config.json");
  BOOST_TEST(config["registered_name"] == "Functional");
  BOOST_TEST(config["module"] == "keras.src.models.functional");
  BOOST_TEST(!config["config"]["layers"][1]["config"].contains("time_major"));
}

BOOST_AUTO_TEST_CASE(a_nested_model_keeps_its_layers_below_its_own_path) {
  const fs::path path = test::scratch_dir("keras_zip_nested") / "nested.keras";
  auto [model, inner] = nested_encoder_model();
  auto layout = save_and_reload(model, wave({3, 3}, 0.4f), path);
  // The Functional model's layers: input_layer, sequential, dense; the Sequential's own below it.
  BOOST_TEST(layout.at("layers/sequential/layers/dense/vars/0") == "float32 (3, 4)");
  BOOST_TEST(layout.at("layers/sequential/layers/batch_normalization/vars/3") == "float32 (4,)");
  BOOST_TEST(layout.at("layers/dense/vars/0") == "float32 (4, 2)");
}

namespace {

// class TwoStep(keras.Model): two Dense layers held as attributes, its own call.
class TwoStep : public Model {
 public:
  TwoStep() : Model(Json::object(), "TwoStep") {
    first_ = track("first", make_layer("Dense", {{"name", "d_a"}, {"units", 3}, {"activation", "relu"}}));
    second_ = track("second", make_layer("Dense", {{"name", "d_b"}, {"units", 2}}));
  }
  std::string class_name() const override { return "TwoStep"; }
  Json get_config() const override { return {{"name", name()}}; }

 protected:
  Tensors call(const Tensors& inputs, const CallContext& ctx) override { return (*second_)((*first_)(inputs, ctx), ctx); }

 private:
  LayerPtr first_, second_;
};

}  // namespace

BOOST_AUTO_TEST_CASE(a_subclassed_model_files_its_layers_under_their_attributes) {
  const fs::path path = test::scratch_dir("keras_zip_subclassed") / "two_step.keras";
  Tensor x = wave({2, 4}, 0.8f);
  auto model = std::make_shared<TwoStep>();
  model->predict(x);  // builds the layers
  save_model(*model, path, kAsKeras3);
  auto layout = kz::weights_layout(path);
  BOOST_TEST(layout.at("first/vars/0") == "float32 (4, 3)");
  BOOST_TEST(layout.at("second/vars/1") == "float32 (2,)");
  // Loading the class needs its plugin; its weights load into a fresh instance by path.
  auto fresh = std::make_shared<TwoStep>();
  fresh->predict(x);
  LoadStatus status = load_weights(*fresh, path);
  BOOST_TEST(status.unused_in_file.empty());
  BOOST_REQUIRE_EQUAL(fresh->weights().size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) BOOST_TEST(kz::same_values(model->weights()[i]->value(), fresh->weights()[i]->value()));
}

BOOST_AUTO_TEST_CASE(tf_keras_2_13_layer_segment_is_read_as_keras_3_reads_it) {
  // tf.keras 2.13 filed a model's layers under _layer_checkpoint_dependencies, not layers.
  const fs::path dir = test::scratch_dir("keras_zip_tf_keras_213");
  ModelPtr model = small_cnn();
  save_model(*model, dir / "keras3.keras", kAsKeras3);
  auto renamed = kz::edited_weights(dir / "keras3.keras", [](std::map<std::string, Tensor>& datasets) {
    std::map<std::string, Tensor> out;
    for (auto& [path, value] : datasets)
      out[path.rfind("layers/", 0) == 0 ? "_layer_checkpoint_dependencies/" + path.substr(7) : path] = value;
    datasets.swap(out);
  });
  kz::write_archive(dir / "tf_keras.keras", {{"metadata.json", kz::bytes_of(R"({"keras_version": "2.13.1", "date_saved": "2023-07-05@10:00:00"})")},
                                             {"config.json", kz::read_entry(dir / "keras3.keras", "config.json")},
                                             {"model.weights.h5", renamed}});
  BOOST_TEST(kz::weights_layout(dir / "tf_keras.keras").count("_layer_checkpoint_dependencies/conv2d/vars/0") == 1u);
  BOOST_TEST(same_weights(*model, *load_model(dir / "tf_keras.keras")));
}

BOOST_AUTO_TEST_CASE(compiled_model_keeps_compile_config_and_resumes_training_bit_identically) {
  const fs::path dir = test::scratch_dir("keras_zip_resume");
  Tensor x = wave({8, 4, 4, 2}, 0.7f);
  Tensor y = Tensor::from_vector(std::vector<float>{1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0}, {8, 3});
  ModelPtr model = small_cnn();
  model->compile(Json("adam"), Json("categorical_crossentropy"), Json::array({"accuracy"}));
  model->fit({x}, {y}, quiet_fit(2));
  save_model(*model, dir / "trained.keras", kAsKeras3);

  Json compile = kz::read_json_entry(dir / "trained.keras", "config.json")["compile_config"];
  BOOST_TEST(compile["optimizer"]["class_name"] == "Adam");
  BOOST_TEST(compile["optimizer"]["module"] == "keras.optimizers");
  BOOST_TEST(compile["loss"] == "categorical_crossentropy");
  auto layout = kz::weights_layout(dir / "trained.keras");
  // iteration, learning_rate, then (momentum, velocity) per trainable variable: 6 of them.
  BOOST_TEST(layout.at("optimizer/vars/0") == "int64 ()");
  BOOST_TEST(layout.at("optimizer/vars/1") == "float32 ()");
  BOOST_TEST(layout.at("optimizer/vars/2") == "float32 (2, 2, 2, 3)");
  BOOST_TEST(layout.at("optimizer/vars/3") == "float32 (2, 2, 2, 3)");
  BOOST_TEST(layout.count("optimizer/vars/13") == 1u);
  BOOST_TEST(layout.count("optimizer/vars/14") == 0u);
  BOOST_TEST(kz::read_weights_dataset(dir / "trained.keras", "optimizer/vars/0").cast(DType::Int64).data<std::int64_t>()[0] == 4);

  ModelPtr reloaded = load_model(dir / "trained.keras");
  BOOST_REQUIRE(reloaded->compiled());
  auto ours = model->optimizer()->variables(), theirs = reloaded->optimizer()->variables();
  BOOST_REQUIRE_EQUAL(ours.size(), theirs.size());
  for (std::size_t i = 0; i < ours.size(); ++i) BOOST_TEST(kz::same_values(ours[i]->value(), theirs[i]->value()), ours[i]->name());
  model->fit({x}, {y}, quiet_fit(1));
  reloaded->fit({x}, {y}, quiet_fit(1));
  BOOST_TEST(same_weights(*model, *reloaded));

  // include_optimizer=false: an empty compile_config (Keras 3's form of "not compiled"), no
  // optimizer variables.
  SaveOptions without = kAsKeras3;
  without.include_optimizer = false;
  save_model(*model, dir / "bare.keras", without);
  BOOST_TEST(kz::read_json_entry(dir / "bare.keras", "config.json")["compile_config"] == Json::object());
  BOOST_TEST(kz::weights_layout(dir / "bare.keras").count("optimizer/vars/0") == 0u);
  BOOST_TEST(!load_model(dir / "bare.keras")->compiled());

  // Compiled but never trained: the compile config is saved, no optimizer variables, and the
  // reloaded model is compiled with a fresh optimizer.
  ModelPtr untrained = small_cnn();
  untrained->compile(Json("sgd"), Json("mse"));
  save_model(*untrained, dir / "untrained.keras", kAsKeras3);
  BOOST_TEST(kz::read_json_entry(dir / "untrained.keras", "config.json")["compile_config"]["optimizer"]["class_name"] == "SGD");
  BOOST_TEST(kz::weights_layout(dir / "untrained.keras").count("optimizer/vars/0") == 0u);
  BOOST_TEST(load_model(dir / "untrained.keras")->compiled());
}

BOOST_AUTO_TEST_CASE(sgd_rmsprop_and_amsgrad_state_resume_bit_identically) {
  const fs::path dir = test::scratch_dir("keras_zip_optimizers");
  Tensor x = wave({8, 4, 4, 2}, 0.2f);
  Tensor y = wave({8, 3}, 1.9f);
  struct Case {
    Json optimizer;
    std::size_t stored;  // optimizer/vars: iteration, learning_rate, slots of the 6 trainable variables
  };
  const Case cases[] = {
      {Json{{"class_name", "SGD"}, {"config", {{"momentum", 0.9}}}}, 2 + 6},
      {Json{{"class_name", "RMSprop"}, {"config", {{"momentum", 0.5}, {"centered", true}}}}, 2 + 3 * 6},
      {Json{{"class_name", "Adam"}, {"config", {{"amsgrad", true}}}}, 2 + 3 * 6},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.optimizer.dump()) {
      ModelPtr model = small_cnn();
      model->compile(c.optimizer, Json("mse"));
      model->fit({x}, {y}, quiet_fit(1));
      save_model(*model, dir / "m.keras", kAsKeras3);
      auto layout = kz::weights_layout(dir / "m.keras");
      std::size_t stored = 0;
      while (layout.count("optimizer/vars/" + std::to_string(stored))) ++stored;
      BOOST_TEST(stored == c.stored);
      ModelPtr reloaded = load_model(dir / "m.keras");
      model->fit({x}, {y}, quiet_fit(1));
      reloaded->fit({x}, {y}, quiet_fit(1));
      BOOST_TEST(same_weights(*model, *reloaded));
    }
  }
}

BOOST_AUTO_TEST_CASE(keras3_serialized_optimizer_loss_and_metric_dicts_compile) {
  // A compile_config as Keras 3 writes it for objects given as instances (module /
  // registered_name dicts with Keras 3's config keys).
  const fs::path dir = test::scratch_dir("keras_zip_compile_dicts");
  save_model(*small_cnn(), dir / "plain.keras", kAsKeras3);
  Json config = kz::read_json_entry(dir / "plain.keras", "config.json");
  config["compile_config"] = Json::parse(R"({
    "optimizer": {"module": "keras.optimizers", "class_name": "SGD", "config": {"name": "SGD", "learning_rate": 0.01,
      "weight_decay": null, "clipnorm": null, "global_clipnorm": null, "clipvalue": null, "use_ema": false,
      "ema_momentum": 0.99, "ema_overwrite_frequency": null, "loss_scale_factor": null,
      "gradient_accumulation_steps": null, "momentum": 0.0, "nesterov": false}, "registered_name": null},
    "loss": {"module": "keras.losses", "class_name": "CategoricalCrossentropy", "config": {"name": "categorical_crossentropy",
      "reduction": "sum_over_batch_size", "from_logits": false, "label_smoothing": 0.0, "axis": -1}, "registered_name": null},
    "loss_weights": null,
    "metrics": [{"module": "keras.metrics", "class_name": "CategoricalAccuracy", "config": {"name": "categorical_accuracy",
      "dtype": "float32"}, "registered_name": null}],
    "weighted_metrics": null, "run_eagerly": false, "steps_per_execution": 1, "jit_compile": false})");
  kz::write_archive(dir / "dicts.keras", {{"metadata.json", kz::read_entry(dir / "plain.keras", "metadata.json")},
                                          {"config.json", kz::bytes_of(config.dump())},
                                          {"model.weights.h5", kz::read_entry(dir / "plain.keras", "model.weights.h5")}});
  ModelPtr model = load_model(dir / "dicts.keras");
  BOOST_REQUIRE(model->compiled());
  BOOST_TEST(model->optimizer()->class_name() == "SGD");
  Logs logs = model->evaluate({wave({4, 4, 4, 2}, 0.5f)}, {Tensor::from_vector(std::vector<float>{1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0}, {4, 3})});
  BOOST_TEST(logs.count("loss") == 1u);
  BOOST_TEST(logs.count("categorical_accuracy") == 1u);
}

namespace {

ModelPtr two_dense(int hidden_units, bool with_output_layer) {
  std::vector<LayerPtr> layers{make_layer("InputLayer", {{"name", "in"}, {"batch_input_shape", Json::array({nullptr, 4})}}),
                               make_layer("Dense", {{"name", "hidden"}, {"units", hidden_units}})};
  if (with_output_layer) layers.push_back(make_layer("Dense", {{"name", "out"}, {"units", 2}}));
  return std::make_shared<Sequential>(layers, "two_dense");
}

}  // namespace

BOOST_AUTO_TEST_CASE(load_weights_matches_by_structure_and_reports_what_does_not_fit) {
  const fs::path path = test::scratch_dir("keras_zip_load_weights") / "source.keras";
  ModelPtr source = two_dense(3, true);
  save_model(*source, path, kAsKeras3);
  // The same architecture: every variable restored.
  ModelPtr same = two_dense(3, true);
  LoadStatus status = load_weights(*same, path);
  BOOST_TEST(status.unmatched_in_model.empty());
  BOOST_TEST(status.unused_in_file.empty());
  BOOST_TEST(same_weights(*source, *same));
  // Without the output layer: its variables are unused in the file.
  ModelPtr shorter = two_dense(3, false);
  status = load_weights(*shorter, path);
  BOOST_REQUIRE_EQUAL(status.unused_in_file.size(), 1u);
  BOOST_TEST(status.unused_in_file[0] == "layers/dense_1/vars");
  // Another hidden width: an error naming the layer, or with skip_mismatch that layer (and the
  // output layer, whose kernel shape follows) keeps its values.
  ModelPtr wider = two_dense(5, true);
  BOOST_CHECK_EXCEPTION(load_weights(*wider, path), Error, [](const Error& e) {
    return std::string(e.what()).find("layer 'hidden' (Dense)") != std::string::npos;
  });
  LoadOptions skip;
  skip.skip_mismatch = true;
  status = load_weights(*wider, path, skip);
  BOOST_TEST(status.unmatched_in_model.size() == 4u);
  BOOST_TEST(status.warnings.size() == 2u);
}

BOOST_AUTO_TEST_CASE(saving_replaces_the_file_atomically_and_respects_overwrite) {
  const fs::path dir = test::scratch_dir("keras_zip_atomic");
  const fs::path path = dir / "model.keras";
  ModelPtr first = small_cnn();
  save_model(*first, path, kAsKeras3);
  // A refused save (overwrite off) leaves the file as it was.
  auto before = kz::read_entry(path, "model.weights.h5");
  SaveOptions keep = kAsKeras3;
  keep.overwrite = false;
  BOOST_CHECK_THROW(save_model(*small_cnn(), path, keep), Error);
  BOOST_TEST((kz::read_entry(path, "model.weights.h5") == before));
  // A save that fails (the folder is gone) leaves nothing behind.
  BOOST_CHECK_THROW(save_model(*first, dir / "missing" / "model.keras", kAsKeras3), Error);
  // Overwriting replaces the archive in one rename: no temporary sibling remains.
  ModelPtr second = small_cnn();
  save_model(*second, path, kAsKeras3);
  BOOST_TEST(same_weights(*second, *load_model(path)));
  std::size_t files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) files += entry.is_regular_file() ? 1 : 0;
  BOOST_TEST(files == 1u);
}
