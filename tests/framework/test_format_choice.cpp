// How the core picks a format, from what formats declare about themselves (FormatTraits, sniff,
// names_files_at): a format registered here, as a third party's plugin would register it, is
// chosen by its endings, recognized by its content ahead of formats of lower priority, and found
// at a prefix that is no file; the in-tree formats keep Keras's rules.
#define BOOST_TEST_MODULE core_format_choice
#include <boost/test/unit_test.hpp>

#include <fstream>

#include "ksave/ksave.hpp"
#include "support/test_data.hpp"

namespace fs = std::filesystem;
using namespace ksave;

namespace {

bool starts_with_bytes(const fs::path& path, const std::string& magic) {
  std::ifstream in(path, std::ios::binary);
  std::string start(magic.size(), '\0');
  return in.read(start.data(), static_cast<std::streamsize>(start.size())) && start == magic;
}

// Files starting "ZZ"; a prefix P names P.zzindex. Declares ".zz" and ".weights.zz".
class ZzFormat : public Format {
 public:
  std::string name() const override { return "test-zz"; }
  std::vector<Capability> capabilities() const override { return {Capability::SaveModel, Capability::SaveWeights}; }
  FormatTraits traits() const override {
    return {.model_endings = {".zz"}, .weights_endings = {".weights.zz"}, .sniff_priority = 10};
  }
  bool sniff(const fs::path& path) const override { return fs::is_regular_file(path) && starts_with_bytes(path, "ZZ"); }
  bool names_files_at(const fs::path& path) const override { return fs::is_regular_file(path.string() + ".zzindex"); }
};

// Claims the same files, at the default priority: recognition must try ZzFormat first.
class GreedyFormat : public Format {
 public:
  std::string name() const override { return "test-greedy"; }
  std::vector<Capability> capabilities() const override { return {Capability::Inspect}; }
  bool sniff(const fs::path& path) const override { return fs::is_regular_file(path) && starts_with_bytes(path, "Z"); }
};

template <typename F>
ClassEntry format_entry() {
  ClassEntry entry;
  entry.kind = Kind::Format;
  entry.class_name = F().name();
  entry.factory = FormatFactory([]() -> FormatPtr { return std::make_shared<F>(); });
  return entry;
}

struct RegisteredTestFormats {
  RegisteredTestFormats() {
    load_plugins();
    // The greedy one first: registration order alone would pick it.
    Registry::global().add_all({format_entry<GreedyFormat>(), format_entry<ZzFormat>()});
  }
};

const fs::path& write_file(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

}  // namespace

BOOST_GLOBAL_FIXTURE(RegisteredTestFormats);

BOOST_AUTO_TEST_CASE(declared_endings_pick_the_format_longest_first_without_case) {
  BOOST_TEST(format_for_model_path("model.zz") == "test-zz");
  BOOST_TEST(format_for_model_path("MODEL.ZZ") == "test-zz");
  BOOST_TEST(format_for_weights_path("w.weights.zz") == "test-zz");
  // Its model ending is not a weights ending: weights go to the default format for weights.
  BOOST_TEST(format_for_weights_path("w.zz") == format_for_weights_path("w"));
  // A format that cannot write models is never chosen for them by its name.
  BOOST_TEST(format_for_model_path("m.test-greedy") == format_for_model_path("m"));
}

BOOST_AUTO_TEST_CASE(the_in_tree_formats_keep_keras_rules) {
  BOOST_TEST(format_for_model_path("m.h5") == "h5");
  BOOST_TEST(format_for_model_path("m.HDF5") == "h5");
  BOOST_TEST(format_for_model_path("m.keras") == "keras");
  BOOST_TEST(format_for_model_path("m.json") == "json");
  BOOST_TEST(format_for_model_path("m") == "savedmodel");
  BOOST_TEST(format_for_model_path("m.tf") == "savedmodel");
  BOOST_TEST(format_for_weights_path("w.h5") == "h5");
  BOOST_TEST(format_for_weights_path("w.weights.h5") == "keras");
  BOOST_TEST(format_for_weights_path("ckpt") == "tf-checkpoint");
  BOOST_TEST(format_for_weights_path("w.keras") == "tf-checkpoint");
}

BOOST_AUTO_TEST_CASE(content_is_tried_by_priority_then_registration) {
  const fs::path dir = test::scratch_dir("format_choice_content");
  BOOST_TEST(detect_format(write_file(dir / "a.bin", "ZZ and more"))->name() == "test-zz");
  BOOST_TEST(detect_format(write_file(dir / "b.bin", "Z only"))->name() == "test-greedy");
}

BOOST_AUTO_TEST_CASE(a_prefix_that_is_no_file_is_found_by_the_format_that_names_it) {
  const fs::path dir = test::scratch_dir("format_choice_prefix");
  BOOST_TEST(!saved_data_exists(dir / "p"));
  write_file(dir / "p.zzindex", "index");
  BOOST_TEST(saved_data_exists(dir / "p"));
  BOOST_TEST(detect_format(dir / "p")->name() == "test-zz");
  try {
    detect_format(dir / "absent");
    BOOST_FAIL("an absent path was recognized");
  } catch (const Error& e) {
    BOOST_TEST(std::string(e.what()).find("'" + (dir / "absent").string() + "' does not exist") != std::string::npos, e.what());
  }
}
