// Damaged SavedModel folders give clear errors, never a crash: no saved_model.pb, a corrupt or
// truncated protobuf, a corrupt keras_metadata.pb, a missing bundle, variables missing from it.
#define BOOST_TEST_MODULE format_savedmodel_bad_input
#include <boost/test/unit_test.hpp>

#include "ksave/ksave.hpp"
#include "ksave/saving.hpp"
#include "damaged_copies.hpp"

namespace fs = std::filesystem;
using namespace ksave;
using namespace ksave::test::savedmodel;

namespace {

const char* const kCase = "tfrust_keras_single_input_saved_model";
const char* const kFolder = "keras_single_input_saved_model";

// A copy of the fixture folder to damage.
fs::path copy_fixture(const fs::path& real, const std::string& name) {
  return ksave::test::savedmodel::copy_fixture(real, kCase, kFolder, name);
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_folder_without_saved_model_pb_is_refused_and_not_sniffed) {
  const fs::path folder = test::scratch_dir("savedmodel_empty_folder");
  BOOST_TEST(!get_format("savedmodel")->sniff(folder));
  BOOST_TEST(mentions(load_error(folder), "has no saved_model.pb"));
  BOOST_TEST(mentions(load_error(folder / "absent"), "is not one"));
}

BOOST_AUTO_TEST_CASE(a_corrupt_or_truncated_saved_model_pb_is_refused) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  const fs::path folder = copy_fixture(*real, "savedmodel_corrupt_pb");
  BOOST_TEST(get_format("savedmodel")->sniff(folder));
  const std::string original = read_bytes(folder / "saved_model.pb");
  write_bytes(folder / "saved_model.pb", std::string("\xff\xff\xff\xff garbage", 13));
  BOOST_TEST(mentions(load_error(folder), "not a valid SavedModel protobuf"));
  write_bytes(folder / "saved_model.pb", original.substr(0, original.size() / 2));
  BOOST_TEST(mentions(load_error(folder), "saved_model.pb"));
  write_bytes(folder / "saved_model.pb", "");
  BOOST_TEST(mentions(load_error(folder), "holds no MetaGraphDef"));
  // Every truncation length gives an error, never a crash.
  for (std::size_t cut = 1; cut < original.size(); cut += original.size() / 97 + 1) {
    write_bytes(folder / "saved_model.pb", original.substr(0, cut));
    BOOST_TEST(!load_error(folder).empty());
  }
}

BOOST_AUTO_TEST_CASE(a_corrupt_keras_metadata_pb_is_refused) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  const fs::path folder = copy_fixture(*real, "tfnet_kerassm_lstm_from_sequential", "lstm_from_sequential", "savedmodel_corrupt_metadata");
  write_bytes(folder / "keras_metadata.pb", std::string("\x0a\xff\xff\xff\x0f", 5));
  BOOST_TEST(mentions(load_error(folder), "keras_metadata"));
}

BOOST_AUTO_TEST_CASE(a_missing_bundle_or_missing_variables_are_refused_naming_them) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  const fs::path folder = copy_fixture(*real, "savedmodel_missing_variables");
  // A bundle without the layer variables: rewrite it with every key but test_out's kernel.
  rewrite_bundle(folder / "variables" / "variables", [](tf::BundleWriter& writer, const std::string& key, const Tensor& value) {
    if (key != "layer_with_weights-2/kernel/.ATTRIBUTES/VARIABLE_VALUE") writer.add(key, value);
  });
  const std::string message = load_error(folder);
  BOOST_TEST(mentions(message, "not found in checkpoint"));
  BOOST_TEST(mentions(message, "layer_with_weights-2/kernel/.ATTRIBUTES/VARIABLE_VALUE"));
  BOOST_TEST(mentions(message, "cannot restore the variables of SavedModel"));

  fs::remove_all(folder / "variables");
  BOOST_TEST(mentions(load_error(folder), "variables.index is missing"));
}
