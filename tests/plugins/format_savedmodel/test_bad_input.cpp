// Damaged SavedModel folders give clear errors, never a crash: no saved_model.pb, a corrupt or
// truncated protobuf, a corrupt keras_metadata.pb, a missing bundle, variables missing from it.
#define BOOST_TEST_MODULE format_savedmodel_bad_input
#include <boost/test/unit_test.hpp>

#include <fstream>

#include "ksave/ksave.hpp"
#include "ksave/saving.hpp"
#include "ksave/tf/bundle.hpp"
#include "savedmodel_fixtures.hpp"
#include "support/test_data.hpp"

namespace fs = std::filesystem;
using namespace ksave;
using namespace ksave::test::savedmodel;

namespace {

const char* const kCase = "tfrust_keras_single_input_saved_model";
const char* const kFolder = "keras_single_input_saved_model";

std::string load_error(const fs::path& folder, const std::string& format = "savedmodel") {
  try {
    get_format(format)->load_model(folder, {});
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// A copy of the fixture folder to damage.
fs::path copy_fixture(const fs::path& real, const std::string& name) {
  const fs::path target = test::scratch_dir(name) / kFolder;
  fs::copy(fixture_folder(real, kCase, kFolder), target, fs::copy_options::recursive);
  return target;
}

void write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

bool mentions(const std::string& message, const std::string& part) {
  BOOST_TEST_MESSAGE(message);
  return message.find(part) != std::string::npos;
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
  const fs::path folder = test::scratch_dir("savedmodel_corrupt_metadata") / "lstm_from_sequential";
  fs::copy(fixture_folder(*real, "tfnet_kerassm_lstm_from_sequential", "lstm_from_sequential"), folder, fs::copy_options::recursive);
  write_bytes(folder / "keras_metadata.pb", std::string("\x0a\xff\xff\xff\x0f", 5));
  BOOST_TEST(mentions(load_error(folder), "keras_metadata"));
}

BOOST_AUTO_TEST_CASE(a_missing_bundle_or_missing_variables_are_refused_naming_them) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  const fs::path folder = copy_fixture(*real, "savedmodel_missing_variables");
  // A bundle without the layer variables: rewrite it with every key but test_out's kernel.
  const fs::path prefix = folder / "variables" / "variables";
  {
    const tf::BundleReader original(prefix);
    const fs::path rewritten_prefix = folder / "rewritten";
    tf::BundleWriter writer(rewritten_prefix);
    for (const auto& key : original.keys())
      if (key != "layer_with_weights-2/kernel/.ATTRIBUTES/VARIABLE_VALUE") writer.add(key, original.read(key));
    writer.finish();
    fs::remove_all(folder / "variables");
    fs::create_directory(folder / "variables");
    fs::rename(tf::index_path(rewritten_prefix), tf::index_path(prefix));
    fs::rename(tf::shard_path(rewritten_prefix, 0, 1), tf::shard_path(prefix, 0, 1));
  }
  const std::string message = load_error(folder);
  BOOST_TEST(mentions(message, "not found in checkpoint"));
  BOOST_TEST(mentions(message, "layer_with_weights-2/kernel/.ATTRIBUTES/VARIABLE_VALUE"));
  BOOST_TEST(mentions(message, "cannot restore the variables of SavedModel"));

  fs::remove_all(folder / "variables");
  BOOST_TEST(mentions(load_error(folder), "variables.index is missing"));
}
