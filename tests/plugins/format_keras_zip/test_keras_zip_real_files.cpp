// Real Keras 3 `.keras` archives (../shared/fixtures/real) load, reproduce their expected
// outputs, and come back compiled with the optimizer state Keras saved.
#define BOOST_TEST_MODULE format_keras_zip_real_files
#include <boost/test/unit_test.hpp>

#include <fstream>

#include "keras_zip_test_support.hpp"
#include "zip_archive.hpp"
#include "ksave/npy.hpp"
#include "ksave/optimizer.hpp"
#include "ksave/saving.hpp"
#include "support/compare.hpp"
#include "support/test_data.hpp"

namespace fs = std::filesystem;
using namespace ksave;
namespace tt = boost::test_tools;

namespace {

struct RealArchive {
  const char* folder;
  const char* expected_output;  // in expected/
  std::int64_t iterations;      // optimizer/vars/0 of the file
};

const RealArchive kArchives[] = {
    {"moonflower_keras311_cnn_h5_and_zip", "keras_zip_output_0.npy", 6330},
    {"divya_keras310_mlp_zip", "output_0.npy", 15000},
};

void check_outputs(const fs::path& dir, Model& model, const char* expected_output) {
  Tensor input = read_npy(dir / "expected" / "input_0.npy");
  Tensor expected = read_npy(dir / "expected" / expected_output);
  BOOST_TEST(test::close(model.predict(input), expected, {.rtol = 1e-4, .atol = 1e-5}), dir.filename().string());
}

double min_of(const Tensor& t) {
  Tensor f = t.cast(DType::Float64);
  double m = f.data<double>()[0];
  for (std::int64_t i = 0; i < f.size(); ++i) m = std::min(m, f.data<double>()[i]);
  return m;
}

}  // namespace

BOOST_AUTO_TEST_CASE(real_keras3_archives_are_recognized_by_content) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  for (const auto& a : kArchives) BOOST_TEST(detect_format(*real / a.folder / "mnist_model.keras")->name() == "keras");
  // The HDF5 file of the same Keras 3.1.1 model stays with the h5 format.
  BOOST_TEST(detect_format(*real / "moonflower_keras311_cnn_h5_and_zip" / "mnist_model.h5")->name() == "h5");
}

BOOST_AUTO_TEST_CASE(real_keras3_archives_reproduce_their_expected_outputs) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  for (const auto& a : kArchives) {
    BOOST_TEST_CONTEXT(a.folder) {
      LoadOptions options;
      options.compile = false;
      ModelPtr model = load_model(*real / a.folder / "mnist_model.keras", options);
      BOOST_TEST(!model->compiled());
      check_outputs(*real / a.folder, *model, a.expected_output);
    }
  }
}

BOOST_AUTO_TEST_CASE(real_keras3_archives_restore_compile_config_and_adam_state) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  for (const auto& a : kArchives) {
    BOOST_TEST_CONTEXT(a.folder) {
      const fs::path path = *real / a.folder / "mnist_model.keras";
      ModelPtr model = load_model(path);
      BOOST_TEST_REQUIRE(model->compiled());
      auto optimizer = model->optimizer();
      BOOST_TEST(optimizer->class_name() == "Adam");
      BOOST_TEST(optimizer->iterations()->value().cast(DType::Int64).data<std::int64_t>()[0] == a.iterations);
      // Keras 3 interleaves momentum and velocity per variable: optimizer/vars/2 is the first
      // kernel's momentum (signed), vars/3 its velocity (an average of squares, never negative).
      auto kernel = model->trainable_weights().front();
      auto slots = optimizer->slots(*kernel);
      BOOST_TEST_REQUIRE(slots.size() == 2u);
      BOOST_TEST(test::keras_zip::same_values(slots[0].second->value(), test::keras_zip::read_weights_dataset(path, "optimizer/vars/2")));
      BOOST_TEST(test::keras_zip::same_values(slots[1].second->value(), test::keras_zip::read_weights_dataset(path, "optimizer/vars/3")));
      BOOST_TEST(min_of(slots[0].second->value()) < 0.0);
      for (const auto& v : model->trainable_weights()) BOOST_TEST(min_of(optimizer->slots(*v)[1].second->value()) >= 0.0);
      // The compiled model still predicts what Keras computed.
      check_outputs(*real / a.folder, *model, a.expected_output);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_real_archive_rezipped_with_deflate_loads_the_same) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  const fs::path original = *real / "divya_keras310_mlp_zip" / "mnist_model.keras";
  const fs::path deflated = test::scratch_dir("keras_zip_deflated") / "mnist_model.keras";
  std::vector<std::pair<std::string, std::vector<char>>> entries;
  for (const auto& [name, method] : test::keras_zip::entry_methods(original)) {
    BOOST_TEST(method == 0, name << ": Keras stores its entries");
    entries.emplace_back(name, test::keras_zip::read_entry(original, name));
  }
  test::keras_zip::write_archive(deflated, entries, true);
  for (const auto& [name, method] : test::keras_zip::entry_methods(deflated)) BOOST_TEST(method == 8, name);
  check_outputs(*real / "divya_keras310_mlp_zip", *load_model(deflated), "output_0.npy");
  // A deflated entry cannot be read in place: it is read through libzip (and loads the same).
  BOOST_TEST(!plugins::keras_zip::ZipReader(deflated).stored_span("model.weights.h5").has_value());
}

BOOST_AUTO_TEST_CASE(a_real_archives_weights_are_found_where_they_lie_in_the_archive) {
  // Loads read model.weights.h5 in place (its offset from the central directory and the local
  // header): the bytes there must be exactly the entry's, for archives of Keras and of ksave.
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  const fs::path saved = test::scratch_dir("keras_zip_in_place") / "saved.keras";
  save_model(*load_model(*real / "divya_keras310_mlp_zip" / "mnist_model.keras"), saved);
  for (const fs::path& path : {*real / kArchives[0].folder / "mnist_model.keras", *real / kArchives[1].folder / "mnist_model.keras", saved}) {
    BOOST_TEST_CONTEXT(path) {
      const auto span = plugins::keras_zip::ZipReader(path).stored_span("model.weights.h5");
      BOOST_TEST_REQUIRE(span.has_value());
      const std::vector<char> entry = test::keras_zip::read_entry(path, "model.weights.h5");
      BOOST_TEST_REQUIRE(span->size == entry.size());
      std::ifstream in(path, std::ios::binary);
      in.seekg(static_cast<std::streamoff>(span->offset));
      std::vector<char> there(entry.size());
      BOOST_TEST_REQUIRE(static_cast<bool>(in.read(there.data(), static_cast<std::streamsize>(there.size()))));
      BOOST_TEST((there == entry));
    }
  }
}

BOOST_AUTO_TEST_CASE(load_weights_from_a_real_archive_fills_a_model_of_the_same_architecture) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  const fs::path dir = *real / "divya_keras310_mlp_zip";
  LoadOptions options;
  options.compile = false;
  ModelPtr model = load_model(dir / "mnist_model.keras", options);
  for (const auto& w : model->weights()) w->assign(Tensor::zeros(w->dtype(), w->shape()));
  LoadStatus status = load_weights(*model, dir / "mnist_model.keras");
  BOOST_TEST(status.unmatched_in_model.empty());
  BOOST_TEST(status.unused_in_file.empty());
  check_outputs(dir, *model, "output_0.npy");
}

// The writer against Keras 3 itself: a real archive (compiled, trained with Adam), loaded and saved
// again by ksave, has Keras's entries (stored) and model.weights.h5 (the same datasets at the same
// paths, bytes for bytes: weights and optimizer state), and metadata.json's keys. config.json is
// compared with real Keras 3 by the interop suite (test_keras3.py, test_config_json_equals_keras3).
BOOST_AUTO_TEST_CASE(a_real_archive_saved_again_has_keras3s_contents) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  namespace kz = test::keras_zip;
  for (const auto& a : kArchives) {
    BOOST_TEST_CONTEXT(a.folder) {
      const fs::path original = *real / a.folder / "mnist_model.keras";
      const fs::path again = test::scratch_dir("keras_zip_saved_again") / "mnist_model.keras";
      save_model(*load_model(original), again);
      BOOST_TEST((kz::entry_methods(again) == kz::entry_methods(original)));
      const auto keys = [](const Json& object) {
        std::vector<std::string> out;
        for (const auto& [key, value] : object.items()) out.push_back(key);
        return out;
      };
      BOOST_TEST(keys(kz::read_json_entry(again, "metadata.json")) == keys(kz::read_json_entry(original, "metadata.json")),
                 tt::per_element());
      const auto layout = kz::weights_layout(original);
      BOOST_TEST((kz::weights_layout(again) == layout));
      for (const auto& [dataset, description] : layout)
        BOOST_TEST(kz::same_values(kz::read_weights_dataset(again, dataset), kz::read_weights_dataset(original, dataset)), dataset);
    }
  }
}

BOOST_AUTO_TEST_CASE(inspect_lists_the_archive) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  Json info = get_format("keras")->inspect(*real / "divya_keras310_mlp_zip" / "mnist_model.keras");
  BOOST_TEST(info["keras_version"] == "3.10.0");
  BOOST_TEST(info["model_class"] == "Sequential");
  BOOST_TEST(info["parameters"] == 784 * 128 + 128 + 128 * 32 + 32 + 32 * 10 + 10);
  BOOST_TEST(info["compile_config"]["loss"] == "sparse_categorical_crossentropy");
}
