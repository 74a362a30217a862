// Damaged pieces of real SavedModels, one at a time: a truncated or garbled keras_metadata.pb, a
// damaged variables.index or data shard, a variable of the wrong shape or dtype, a damaged
// checkpoint object graph, optimizer state missing from the bundle. Each gives an error naming
// the file, the object and what was expected against what was found — never a crash.
#define BOOST_TEST_MODULE format_savedmodel_damaged_parts
#include <boost/test/unit_test.hpp>

#include "damaged_copies.hpp"
#include "ksave/ksave.hpp"
#include "ksave/tf/object_graph.hpp"

namespace fs = std::filesystem;
using namespace ksave;
using namespace ksave::test::savedmodel;

namespace {

// TF 2.12, with keras_metadata.pb; the LSTM cell's weights sit under variables/N.
const char* const kCase = "tfnet_kerassm_lstm_from_sequential";
const char* const kFolder = "lstm_from_sequential";
const char* const kDenseKernel = "layer_with_weights-1/kernel/.ATTRIBUTES/VARIABLE_VALUE";

fs::path damaged_copy(const fs::path& real, const std::string& name) { return copy_fixture(real, kCase, kFolder, name); }

fs::path prefix_of(const fs::path& folder) { return folder / "variables" / "variables"; }

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) text.replace(at, from.size(), to);
  return text;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_truncated_keras_metadata_pb_is_refused_naming_it_at_every_length) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  const fs::path folder = damaged_copy(*real, "savedmodel_truncated_metadata");
  const std::string original = read_bytes(folder / "keras_metadata.pb");
  write_bytes(folder / "keras_metadata.pb", original.substr(0, original.size() / 2));
  BOOST_TEST(mentions(load_error(folder), "keras_metadata.pb"));
  // A cut at a node boundary leaves a shorter valid file; any other cut is an error naming it.
  for (std::size_t cut = 1; cut < original.size(); cut += original.size() / 23 + 1) {
    BOOST_TEST_CONTEXT("cut at " << cut << " of " << original.size()) {
      write_bytes(folder / "keras_metadata.pb", original.substr(0, cut));
      const std::string message = load_error(folder);
      BOOST_TEST((message.empty() || mentions(message, "keras_metadata.pb")), message);
    }
  }
}

BOOST_AUTO_TEST_CASE(garbled_metadata_json_names_the_node_and_the_json_error) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  const fs::path folder = damaged_copy(*real, "savedmodel_garbled_metadata_json");
  // Same length, so the protobuf still parses: only the JSON inside is broken.
  const std::string garbled = replace_all(read_bytes(folder / "keras_metadata.pb"), "\"class_name\": \"Sequential\"",
                                          "\"class_name\"! \"Sequential\"");
  write_bytes(folder / "keras_metadata.pb", garbled);
  const std::string message = load_error(folder);
  BOOST_TEST(mentions(message, "keras_metadata.pb node 'root'"));
  BOOST_TEST(mentions(message, "not valid JSON"));
}

BOOST_AUTO_TEST_CASE(a_damaged_variables_index_is_refused_naming_it) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  const fs::path folder = damaged_copy(*real, "savedmodel_damaged_index");
  const fs::path index = tf::index_path(prefix_of(folder));
  const std::string original = read_bytes(index);
  write_bytes(index, "");
  BOOST_TEST(mentions(load_error(folder), "variables.index"));
  write_bytes(index, original.substr(0, original.size() - 10));
  BOOST_TEST(mentions(load_error(folder), "variables.index"));
  std::string flipped = original;
  for (std::size_t i = 0; i < flipped.size() / 2; ++i) flipped[i] = static_cast<char>(~flipped[i]);
  write_bytes(index, flipped);
  BOOST_TEST(mentions(load_error(folder), "variables.index"));
  for (std::size_t cut = 1; cut < original.size(); cut += original.size() / 19 + 1) {
    write_bytes(index, original.substr(0, cut));
    BOOST_TEST(!load_error(folder).empty(), "index cut at " << cut);
  }
}

BOOST_AUTO_TEST_CASE(a_damaged_or_missing_data_shard_is_refused_naming_the_file_and_the_key) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  const fs::path folder = damaged_copy(*real, "savedmodel_damaged_data");
  const fs::path shard = tf::shard_path(prefix_of(folder), 0, 1);
  const std::string original = read_bytes(shard);

  std::string flipped = original;
  flipped[original.size() / 2] = static_cast<char>(flipped[original.size() / 2] ^ 0x40);
  write_bytes(shard, flipped);
  std::string message = load_error(folder);
  BOOST_TEST(mentions(message, "crc32c mismatch"));
  BOOST_TEST(mentions(message, "/.ATTRIBUTES/VARIABLE_VALUE"));  // the key whose bytes changed

  write_bytes(shard, original.substr(0, original.size() / 3));
  message = load_error(folder);
  BOOST_TEST(mentions(message, shard.filename().string()));
  BOOST_TEST(mentions(message, "lie outside"));

  fs::remove(shard);
  BOOST_TEST(mentions(load_error(folder), "cannot open data file"));
}

BOOST_AUTO_TEST_CASE(a_variable_of_another_shape_or_dtype_names_the_key_and_both_sides) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  for (const auto& wrong : {Tensor(DType::Float32, {2, 2}), Tensor(DType::Float64, {32, 1})}) {
    BOOST_TEST_CONTEXT(dtype_name(wrong.dtype()) << " " << shape_to_string(wrong.shape())) {
      const fs::path folder = damaged_copy(*real, "savedmodel_wrong_shape");
      rewrite_bundle(prefix_of(folder), [&](tf::BundleWriter& writer, const std::string& key, const Tensor& value) {
        writer.add(key, key == kDenseKernel ? wrong : value);
      });
      const std::string message = load_error(folder);
      BOOST_TEST(mentions(message, kDenseKernel));
      BOOST_TEST(mentions(message, shape_to_string(wrong.shape())));
      BOOST_TEST(mentions(message, "float32 (32, 1)"));  // what the Dense kernel is
      BOOST_TEST(mentions(message, "SavedModel"));
    }
  }
}

BOOST_AUTO_TEST_CASE(a_damaged_checkpoint_object_graph_is_refused) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  const fs::path folder = damaged_copy(*real, "savedmodel_damaged_object_graph");
  rewrite_bundle(prefix_of(folder), [](tf::BundleWriter& writer, const std::string& key, const Tensor& value) {
    writer.add(key, key == tf::kObjectGraphKey ? Tensor::strings({"\x0a\xff\xff\xff\xff not a graph"}, {}) : value);
  });
  BOOST_TEST(mentions(load_error(folder), "does not parse"));

  // A graph that parses but has an edge to a node that does not exist.
  const fs::path second = damaged_copy(*real, "savedmodel_object_graph_bad_edge");
  rewrite_bundle(prefix_of(second), [](tf::BundleWriter& writer, const std::string& key, const Tensor& value) {
    if (key != tf::kObjectGraphKey) return writer.add(key, value);
    tfproto::TrackableObjectGraph graph;
    BOOST_TEST_REQUIRE(graph.ParseFromString(value.string_values().front()));
    graph.mutable_nodes(0)->mutable_children(0)->set_node_id(100000);
    writer.add(key, Tensor::strings({graph.SerializeAsString()}, {}));
  });
  const std::string message = load_error(second);
  BOOST_TEST(mentions(message, "points to node 100000"));
  BOOST_TEST(mentions(message, "variables"));
}

BOOST_AUTO_TEST_CASE(an_optimizer_value_missing_from_the_bundle_is_an_error_naming_its_key) {
  // As in TensorFlow: the object graph promises the value, so the bundle is damaged.
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  const fs::path folder = damaged_copy(*real, "savedmodel_missing_optimizer_value");
  const std::string dropped = "optimizer/_variables/3/.ATTRIBUTES/VARIABLE_VALUE";
  rewrite_bundle(prefix_of(folder), [&](tf::BundleWriter& writer, const std::string& key, const Tensor& value) {
    if (key != dropped) writer.add(key, value);
  });
  const std::string message = load_error(folder);
  BOOST_TEST(mentions(message, "key '" + dropped + "' not found in checkpoint"));
  BOOST_TEST(mentions(message, "cannot restore the variables of SavedModel"));
}
