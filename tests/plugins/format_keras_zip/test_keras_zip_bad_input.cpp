// Damaged and foreign input: every failure is a ksave::Error naming the file, the object and
// what was expected against what was found; nothing crashes or allocates a size read from the
// file.
#define BOOST_TEST_MODULE format_keras_zip_bad_input
#include <boost/test/unit_test.hpp>

#include <fstream>

#include "keras_zip_test_checks.hpp"
#include "ksave/optimizer.hpp"
#include "ksave/saving.hpp"
#include "ksave/serialization.hpp"
#include "support/test_data.hpp"

namespace fs = std::filesystem;
using namespace ksave;
namespace kz = ksave::test::keras_zip;
using ksave::test::error_of;
using ksave::test::mentions;
using kz::write_bytes;

namespace {

std::string load_error(const fs::path& path) {
  return error_of([&] { get_format("keras")->load_model(path, LoadOptions{}); });
}

std::vector<char> file_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<char>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A saved archive to damage: Dense(inputs -> hidden) -> Dense(2), at dir/file.
fs::path saved_archive(const fs::path& dir, int inputs, int hidden, const std::string& file) {
  auto model = std::make_shared<Sequential>(
      std::vector<LayerPtr>{make_layer("InputLayer", {{"name", "in"}, {"batch_input_shape", Json::array({nullptr, inputs})}}),
                            make_layer("Dense", {{"name", "hidden"}, {"units", hidden}}), make_layer("Dense", {{"name", "out"}, {"units", 2}})},
      "victim");
  const fs::path path = dir / file;
  save_model(*model, path, SaveOptions{.format = "keras"});
  return path;
}

// A small one: Dense(4 -> 3) -> Dense(2).
fs::path saved_archive(const fs::path& dir) { return saved_archive(dir, 4, 3, "good.keras"); }

}  // namespace

BOOST_AUTO_TEST_CASE(a_file_that_is_not_a_zip_is_refused_by_name) {
  const fs::path dir = test::scratch_dir("keras_zip_not_zip");
  write_bytes(dir / "text.keras", kz::bytes_of("just some text, not an archive"));
  BOOST_TEST(!get_format("keras")->sniff(dir / "text.keras"));
  BOOST_TEST(mentions(load_error(dir / "text.keras"), {"text.keras", "not a zip archive"}));
  BOOST_TEST(mentions(error_of([&] { load_model(dir / "text.keras"); }), {"text.keras", "no format recognizes"}));
  BOOST_TEST(mentions(load_error(dir / "absent.keras"), {"absent.keras", "no such file"}));
}

BOOST_AUTO_TEST_CASE(an_archive_without_config_json_names_what_it_holds) {
  const fs::path dir = test::scratch_dir("keras_zip_no_config");
  kz::write_archive(dir / "other.keras", {{"readme.txt", kz::bytes_of("hello")}});
  BOOST_TEST(get_format("keras")->sniff(dir / "other.keras"));
  BOOST_TEST(mentions(load_error(dir / "other.keras"), {"other.keras", "config.json", "readme.txt"}));
  // config.json that is not JSON, or holds no model.
  kz::write_archive(dir / "broken.keras", {{"config.json", kz::bytes_of("{not json")}});
  BOOST_TEST(mentions(load_error(dir / "broken.keras"), {"broken.keras", "config.json", "not valid JSON"}));
  kz::write_archive(dir / "empty.keras", {{"config.json", kz::bytes_of("{}")}});
  BOOST_TEST(mentions(load_error(dir / "empty.keras"), {"empty.keras", "config.json", "class_name"}));
}

BOOST_AUTO_TEST_CASE(a_truncated_archive_fails_cleanly) {
  const fs::path dir = test::scratch_dir("keras_zip_truncated");
  const fs::path good = saved_archive(dir);
  std::vector<char> bytes = file_bytes(good);
  for (std::size_t keep : {bytes.size() / 2, bytes.size() - 10, std::size_t{30}}) {
    write_bytes(dir / "cut.keras", std::vector<char>(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(keep)));
    BOOST_TEST(mentions(load_error(dir / "cut.keras"), {"cut.keras"}), "kept " << keep << " bytes");
  }
  // The directory intact, a stored byte of model.weights.h5 changed: the entry's CRC says so.
  std::vector<char> flipped = bytes;
  flipped[bytes.size() / 2] = static_cast<char>(~flipped[bytes.size() / 2]);
  write_bytes(dir / "flipped.keras", flipped);
  BOOST_TEST(mentions(load_error(dir / "flipped.keras"), {"flipped.keras", "model.weights.h5"}));
}

namespace {

// A saved archive whose model.weights.h5 (9 MiB) is past the size up to which its CRC-32 is
// checked before reading: a load checks it from its own reads, after them.
fs::path large_saved_archive(const fs::path& dir) { return saved_archive(dir, 1500, 1500, "large.keras"); }

// Cuts at, and changed bytes in, `places` places spread over the archive at `good` (headers,
// JSON, HDF5, central directory). A cut archive has no central directory left: every one is
// refused, with a ksave::Error naming the file. A changed byte is refused the same way, or (in a
// field nothing reads: a time stamp, a version) loads the very model that was saved: the entries'
// CRCs leave no room for a change that loads as another model.
void sweep_damage(const fs::path& good, std::size_t places) {
  const fs::path damaged_path = good.parent_path() / "damaged.keras";
  const std::vector<char> bytes = file_bytes(good);
  const ModelPtr original = get_format("keras")->load_model(good, LoadOptions{});
  std::size_t cuts_refused = 0, changes_refused = 0, changes_harmless = 0;
  const auto load_damaged = [&](const std::vector<char>& damaged) -> ModelPtr {
    write_bytes(damaged_path, damaged);
    try {
      return get_format("keras")->load_model(damaged_path, LoadOptions{});
    } catch (const Error& e) {
      BOOST_TEST(std::string(e.what()).find("damaged.keras") != std::string::npos, e.what());
      return nullptr;
    }
  };
  for (std::size_t i = 0; i < places; ++i) {
    const std::size_t at = i * bytes.size() / places;
    BOOST_TEST_CONTEXT("byte " << at << " of " << bytes.size()) {
      const ModelPtr cut = load_damaged(std::vector<char>(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(at)));
      BOOST_TEST(!cut, "an archive cut at this byte loaded");
      if (!cut) ++cuts_refused;
      std::vector<char> changed = bytes;
      changed[at] = static_cast<char>(changed[at] ^ 0x5a);
      const ModelPtr loaded = load_damaged(changed);
      if (!loaded) {
        ++changes_refused;
        continue;
      }
      BOOST_TEST(loaded->to_json() == original->to_json(), "a changed byte loaded another architecture");
      const auto a = original->get_weights(), b = loaded->get_weights();
      BOOST_TEST_REQUIRE(a.size() == b.size());
      bool same = true;
      for (std::size_t k = 0; k < a.size(); ++k) same = same && kz::same_values(a[k], b[k]);
      BOOST_TEST(same, "a changed byte loaded other weights");
      ++changes_harmless;
    }
  }
  BOOST_TEST_MESSAGE(good.filename() << " damage sweep: " << cuts_refused << " cuts refused; changed bytes: " << changes_refused
                                     << " refused, " << changes_harmless << " loaded the same model");
  BOOST_TEST(cuts_refused == places);
  BOOST_TEST(changes_refused + changes_harmless == places);
  // Most of an archive is entry data under a CRC: most changes must be refused.
  BOOST_TEST(changes_refused >= places / 2);
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_truncation_fails_and_every_byte_change_fails_or_changes_nothing) {
  sweep_damage(saved_archive(test::scratch_dir("keras_zip_damage_sweep")), 97);
}

BOOST_AUTO_TEST_CASE(a_large_entry_checked_from_the_loads_reads_refuses_every_damage_too) {
  sweep_damage(large_saved_archive(test::scratch_dir("keras_zip_large_damage_sweep")), 41);
}

BOOST_AUTO_TEST_CASE(a_large_entrys_damaged_weight_is_reported_as_the_damage_and_leaves_load_weights_target_alone) {
  const fs::path dir = test::scratch_dir("keras_zip_large_damage");
  const fs::path good = large_saved_archive(dir);
  const ModelPtr original = get_format("keras")->load_model(good, LoadOptions{});
  std::vector<char> bytes = file_bytes(good);
  // The middle of the archive lies inside the 1500x1500 kernel's bytes: libhdf5 reads it without
  // complaint, and the CRC-32 made from the reads refuses it.
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x01);
  write_bytes(dir / "one_bit.keras", bytes);
  BOOST_TEST(mentions(load_error(dir / "one_bit.keras"), {"one_bit.keras", "model.weights.h5", "damaged", "CRC-32"}));
  // load_weights changes the caller's model: its check comes before any variable changes.
  const auto before = original->get_weights();
  BOOST_TEST(mentions(error_of([&] { load_weights(*original, dir / "one_bit.keras"); }), {"one_bit.keras", "model.weights.h5", "damaged"}));
  const auto after = original->get_weights();
  for (std::size_t k = 0; k < before.size(); ++k) BOOST_TEST(kz::same_values(before[k], after[k]), "variable " << k);
}

BOOST_AUTO_TEST_CASE(an_archive_without_weights_says_so) {
  const fs::path dir = test::scratch_dir("keras_zip_no_weights");
  const fs::path good = saved_archive(dir);
  kz::write_archive(dir / "config_only.keras", {{"config.json", kz::read_entry(good, "config.json")}});
  BOOST_TEST(mentions(load_error(dir / "config_only.keras"), {"config_only.keras", "model.weights.h5"}));
  kz::write_archive(dir / "not_hdf5.keras", {{"config.json", kz::read_entry(good, "config.json")},
                                             {"model.weights.h5", kz::bytes_of("not hdf5 at all")}});
  BOOST_TEST(mentions(load_error(dir / "not_hdf5.keras"), {"not_hdf5.keras", "model.weights.h5", "not an HDF5 file"}));
}

BOOST_AUTO_TEST_CASE(missing_variables_name_the_layer_group_and_counts) {
  const fs::path dir = test::scratch_dir("keras_zip_missing_vars");
  const fs::path good = saved_archive(dir);
  auto config = kz::read_entry(good, "config.json");
  kz::write_archive(dir / "one_missing.keras",
                    {{"config.json", config}, {"model.weights.h5", kz::edited_weights(good, [](auto& d) { d.erase("layers/dense_1/vars/1"); })}});
  BOOST_TEST(mentions(load_error(dir / "one_missing.keras"),
                      {"one_missing.keras", "layer 'out' (Dense)", "layers/dense_1/vars", "2 variables", "holds 1"}));
  kz::write_archive(dir / "layer_missing.keras",
                    {{"config.json", config}, {"model.weights.h5", kz::edited_weights(good, [](auto& d) {
                                                 d.erase("layers/dense/vars/0");
                                                 d.erase("layers/dense/vars/1");
                                               })}});
  BOOST_TEST(mentions(load_error(dir / "layer_missing.keras"), {"layer_missing.keras", "layer 'hidden'", "layers/dense/vars", "missing"}));
}

BOOST_AUTO_TEST_CASE(wrong_shapes_and_types_name_expected_and_found) {
  const fs::path dir = test::scratch_dir("keras_zip_wrong_shape");
  const fs::path good = saved_archive(dir);
  auto config = kz::read_entry(good, "config.json");
  kz::write_archive(dir / "shape.keras", {{"config.json", config}, {"model.weights.h5", kz::edited_weights(good, [](auto& d) {
                                                                        d["layers/dense/vars/0"] = Tensor::zeros(DType::Float32, {5, 3});
                                                                      })}});
  BOOST_TEST(mentions(load_error(dir / "shape.keras"), {"shape.keras", "layers/dense/vars/0", "(5, 3)", "expected (4, 3)", "kernel"}));
  // Every object that does not fit is named in the one error.
  kz::write_archive(dir / "two.keras", {{"config.json", config}, {"model.weights.h5", kz::edited_weights(good, [](auto& d) {
                                                                      d["layers/dense/vars/1"] = Tensor::zeros(DType::Float32, {7});
                                                                      d.erase("layers/dense_1/vars/0");
                                                                    })}});
  BOOST_TEST(mentions(load_error(dir / "two.keras"), {"2 objects", "layers/dense/vars/1", "(7,)", "layer 'out'", "layers/dense_1/vars"}));
}

BOOST_AUTO_TEST_CASE(an_unknown_custom_layer_is_named_with_its_registered_name) {
  const fs::path dir = test::scratch_dir("keras_zip_custom_class");
  const fs::path good = saved_archive(dir);
  Json config = kz::read_json_entry(good, "config.json");
  // What Keras 3 writes for a layer class registered with register_keras_serializable("MyPkg").
  Json& hidden = config["config"]["layers"][1];
  hidden["module"] = "my_project.layers";
  hidden["class_name"] = "Scaler";
  hidden["registered_name"] = "MyPkg>Scaler";
  kz::write_archive(dir / "custom.keras", {{"config.json", kz::bytes_of(config.dump())}, {"model.weights.h5", kz::read_entry(good, "model.weights.h5")}});
  BOOST_TEST(mentions(load_error(dir / "custom.keras"), {"custom.keras/config.json", "MyPkg>Scaler"}));
}

// tf-keras's hard_sigmoid (clip(0.2 x + 0.5, 0, 1)) has no name in Keras 3, whose "hard_sigmoid"
// is relu6(x + 3) / 6: an archive naming it would load in Keras 3 with other numbers, so saving
// is refused, naming the file, the layer and both functions, and nothing is written. Keras 3's
// own function (ksave's hard_sigmoid_keras3) is written under Keras 3's name and read back as it.
BOOST_AUTO_TEST_CASE(tf_keras_hard_sigmoid_is_refused_and_keras3_hard_sigmoid_is_named_as_keras3_names_it) {
  const fs::path dir = test::scratch_dir("keras_zip_hard_sigmoid");
  auto model_with = [](const std::string& activation) {
    return std::make_shared<Sequential>(
        std::vector<LayerPtr>{make_layer("Dense", {{"name", "gate"}, {"units", 2}, {"activation", activation}, {"batch_input_shape", Json::array({nullptr, 3})}})},
        "gated");
  };
  const std::string refused = error_of([&] { save_model(*model_with("hard_sigmoid"), dir / "tf_keras.keras", SaveOptions{.format = "keras"}); });
  BOOST_TEST(mentions(refused, {"tf_keras.keras", "layer 'gate'", "0.2 x + 0.5", "relu6(x + 3) / 6"}), refused);
  BOOST_TEST(!fs::exists(dir / "tf_keras.keras"));

  auto keras3 = model_with("hard_sigmoid_keras3");
  save_model(*keras3, dir / "keras3.keras", SaveOptions{.format = "keras"});
  BOOST_TEST(kz::read_json_entry(dir / "keras3.keras", "config.json")["config"]["layers"].back()["config"]["activation"] == "hard_sigmoid");
  const ModelPtr back = load_model(dir / "keras3.keras");
  BOOST_TEST(back->layers()[0]->get_config()["activation"] == "hard_sigmoid_keras3");
}

BOOST_AUTO_TEST_CASE(optimizer_state_that_does_not_fit_is_skipped_with_a_warning) {
  const fs::path dir = test::scratch_dir("keras_zip_bad_optimizer");
  auto model = std::make_shared<Sequential>(
      std::vector<LayerPtr>{make_layer("InputLayer", {{"name", "in"}, {"batch_input_shape", Json::array({nullptr, 2})}}),
                            make_layer("Dense", {{"name", "d"}, {"units", 1}})},
      "tiny");
  model->compile(Json("adam"), Json("mse"));
  model->optimizer()->build(model->trainable_weights());
  model->optimizer()->iterations()->assign(Tensor::scalar<std::int64_t>(7));
  const fs::path good = dir / "compiled.keras";
  save_model(*model, good, SaveOptions{.format = "keras"});
  kz::write_archive(dir / "short_optimizer.keras",
                    {{"config.json", kz::read_entry(good, "config.json")},
                     {"model.weights.h5", kz::edited_weights(good, [](auto& d) { d.erase("optimizer/vars/5"); })}});
  ModelPtr loaded = load_model(dir / "short_optimizer.keras");  // warns, does not throw
  BOOST_TEST(loaded->compiled());
  BOOST_TEST(loaded->optimizer()->iterations()->value().cast(DType::Int64).data<std::int64_t>()[0] == 0);
}
