// Reading tensors straight into a variable's storage (BundleReader::read_into, used by every
// checkpoint and SavedModel restore when nothing else shares the variable's storage): values
// land in place, shared storage is never written, and damaged files give the same clear errors
// as before, with the variable untouched whenever the damage is found before the read.
#define BOOST_TEST_MODULE format_tf_checkpoint_read_in_place
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <functional>

#include "ksave/tf/bundle.hpp"
#include "ksave/tf/checkpoint.hpp"
#include "ksave/tf/table.hpp"
#include "ksave/variable.hpp"
#include "support/error_checks.hpp"
#include "support/test_data.hpp"

namespace fs = std::filesystem;
using namespace ksave;
using ksave::test::error_of;
using ksave::test::mentions;

namespace {

const std::vector<float> kSaved{1, 2, 3, 4, 5, 6};
const std::vector<float> kBefore{-1, -1, -1, -1, -1, -1};

VariablePtr fresh_variable() { return std::make_shared<Variable>("w:0", Tensor::from_vector<float>(kBefore, {2, 3})); }

// A checkpoint holding variable "w" = kSaved (float32 [2, 3]) under `name`'s scratch folder.
fs::path write_checkpoint(const std::string& name) {
  auto w = std::make_shared<Variable>("w:0", Tensor::from_vector<float>(kSaved, {2, 3}));
  const fs::path prefix = test::scratch_dir(name) / "ckpt";
  std::make_shared<tf::Checkpoint>(tf::Checkpoint::Objects{{"w", w}})->write(prefix);
  return prefix;
}

const std::string kKey = "w/.ATTRIBUTES/VARIABLE_VALUE";

// Rewrites the index entry of kKey with `edit` applied (a damaged index or a truncated shard as
// the reader sees them).
void edit_entry(const fs::path& prefix, const std::function<void(tfproto::BundleEntryProto&)>& edit) {
  auto contents = tf::read_table(tf::index_path(prefix));
  for (auto& [key, value] : contents.entries)
    if (key == kKey) {
      tfproto::BundleEntryProto entry;
      BOOST_REQUIRE(entry.ParseFromString(value));
      edit(entry);
      value = entry.SerializeAsString();
    }
  fs::remove(tf::index_path(prefix));
  tf::write_table(tf::index_path(prefix), contents.entries);
}

void restore_into(const VariablePtr& w, const fs::path& prefix) {
  std::make_shared<tf::Checkpoint>(tf::Checkpoint::Objects{{"w", w}})->read(prefix);
}

}  // namespace

BOOST_AUTO_TEST_CASE(read_into_fills_the_destination_and_checks_dtype_and_shape) {
  const fs::path prefix = write_checkpoint("read_into_basic");
  tf::BundleReader reader(prefix);
  Tensor destination = Tensor::from_vector<float>(kBefore, {2, 3});
  const void* storage = destination.raw_data();
  reader.read_into(kKey, destination);
  BOOST_TEST(destination.raw_data() == storage);
  BOOST_TEST(destination.to_vector<float>() == kSaved);

  Tensor wrong_shape = Tensor::from_vector<float>(kBefore, {3, 2});
  const std::string e = error_of([&] { reader.read_into(kKey, wrong_shape); });
  BOOST_TEST(mentions(e, {"tensor '" + kKey + "'"}));
  BOOST_TEST(mentions(e, {"float32 (2, 3) but the destination is float32 (3, 2)"}));
  BOOST_TEST(wrong_shape.to_vector<float>() == kBefore);

  Tensor wrong_dtype = Tensor::zeros(DType::Float64, {2, 3});
  BOOST_TEST(mentions(error_of([&] { reader.read_into(kKey, wrong_dtype); }), {"but the destination is float64"}));
}

BOOST_AUTO_TEST_CASE(restore_reads_in_place_unless_the_storage_is_shared) {
  const fs::path prefix = write_checkpoint("restore_in_place");
  auto alone = fresh_variable();
  const void* storage = alone->value().raw_data();
  restore_into(alone, prefix);
  BOOST_TEST(alone->value().raw_data() == storage);  // no second buffer
  BOOST_TEST(alone->value().to_vector<float>() == kSaved);

  auto shared = fresh_variable();
  const Tensor held = shared->value();  // e.g. a get_weights() result the user keeps
  restore_into(shared, prefix);
  BOOST_TEST(held.to_vector<float>() == kBefore);  // never written behind the holder's back
  BOOST_TEST(shared->value().to_vector<float>() == kSaved);
}

BOOST_AUTO_TEST_CASE(truncated_shard_leaves_the_variable_untouched) {
  const fs::path prefix = write_checkpoint("restore_truncated");
  // The variable's bytes run past the end of the shard, as when the shard was cut short.
  const auto shard_size = static_cast<std::int64_t>(fs::file_size(tf::shard_path(prefix, 0, 1)));
  edit_entry(prefix, [&](auto& entry) { entry.set_offset(shard_size - 4); });
  auto w = fresh_variable();
  const std::string e = error_of([&] { restore_into(w, prefix); });
  BOOST_TEST(mentions(e, {"tensor '" + kKey + "'"}));
  BOOST_TEST(mentions(e, {"truncated data file or damaged index"}));
  BOOST_TEST(w->value().to_vector<float>() == kBefore);
}

BOOST_AUTO_TEST_CASE(size_that_disagrees_leaves_the_variable_untouched) {
  const fs::path prefix = write_checkpoint("restore_wrong_size");
  edit_entry(prefix, [](auto& entry) { entry.set_size(entry.size() - 4); });
  auto w = fresh_variable();
  BOOST_TEST(mentions(error_of([&] { restore_into(w, prefix); }), {"stored size 20 bytes disagrees"}));
  BOOST_TEST(w->value().to_vector<float>() == kBefore);
}

BOOST_AUTO_TEST_CASE(crc_mismatch_is_reported_and_says_the_value_was_overwritten) {
  const fs::path prefix = write_checkpoint("restore_crc");
  std::int64_t offset = 0;
  {
    tf::BundleReader reader(prefix);
    offset = reader.entry(kKey).offset();
  }
  {
    std::fstream f(tf::shard_path(prefix, 0, 1), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(offset + 1);
    f.put('\x7f');
  }
  auto w = fresh_variable();
  const std::string e = error_of([&] { restore_into(w, prefix); });
  BOOST_TEST(mentions(e, {"tensor '" + kKey + "'"}));
  BOOST_TEST(mentions(e, {"crc32c mismatch"}));
  BOOST_TEST(mentions(e, {"overwritten in place"}));
}
