// Bundles this suite writes, then damages: each damage gives a clear ksave::Error naming what
// is wrong (never a crash or a huge allocation). Also round trips of every dtype, strings and
// several shards.
#define BOOST_TEST_MODULE format_tf_checkpoint_damaged_bundles
#include <boost/test/unit_test.hpp>

#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <sstream>

#include "ksave/tf/bundle.hpp"
#include "ksave/tf/checkpoint.hpp"
#include "ksave/tf/table.hpp"
#include "support/error_checks.hpp"
#include "support/test_data.hpp"

namespace fs = std::filesystem;
using namespace ksave;
using ksave::test::error_of;
using ksave::test::mentions;

namespace {

// A small bundle: "a" float32 [2,3], "b" int64 [4], "s" strings [3].
fs::path write_sample(const std::string& name) {
  const fs::path prefix = test::scratch_dir(name) / "sample";
  tf::BundleWriter writer(prefix);
  writer.add("a", Tensor::from_vector<float>({1, 2, 3, 4, 5, 6}, {2, 3}));
  writer.add("b", Tensor::from_vector<std::int64_t>({7, 8, 9, 10}, {4}));
  writer.add("s", Tensor::strings({"", "abc", std::string(300, 'x')}, {3}));
  writer.finish();
  return prefix;
}

// Rewrites the index with one entry changed by `edit`.
void edit_entry(const fs::path& prefix, const std::string& key,
                const std::function<void(tfproto::BundleEntryProto&)>& edit) {
  auto contents = tf::read_table(tf::index_path(prefix));
  for (auto& [k, v] : contents.entries)
    if (k == key) {
      tfproto::BundleEntryProto entry;
      BOOST_REQUIRE(entry.ParseFromString(v));
      edit(entry);
      v = entry.SerializeAsString();
    }
  fs::remove(tf::index_path(prefix));
  tf::write_table(tf::index_path(prefix), contents.entries);
}

void flip_byte(const fs::path& file, std::int64_t offset) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(offset);
  char c;
  f.get(c);
  f.seekp(offset);
  f.put(static_cast<char>(c ^ 0x10));
}

}  // namespace

BOOST_AUTO_TEST_CASE(round_trip_of_every_dtype_strings_and_shards) {
  const fs::path prefix = test::scratch_dir("round_trip") / "all";
  std::vector<std::pair<std::string, Tensor>> tensors{
      {"f16", Tensor::filled(DType::Float16, {3}, 1.5)},  {"f32", Tensor::from_vector<float>({1.5f, -2}, {2})},
      {"f64", Tensor::from_vector<double>({3.25}, {1})},  {"i8", Tensor::from_vector<std::int8_t>({-3, 4}, {2})},
      {"i16", Tensor::from_vector<std::int16_t>({-300}, {1})}, {"i32", Tensor::scalar<std::int32_t>(-7)},
      {"i64", Tensor::scalar<std::int64_t>(1ll << 40)},  {"u8", Tensor::from_vector<std::uint8_t>({255}, {1})},
      {"u16", Tensor::from_vector<std::uint16_t>({65535}, {1})}, {"u32", Tensor::from_vector<std::uint32_t>({4000000000u}, {1})},
      {"u64", Tensor::from_vector<std::uint64_t>({1ull << 63}, {1})}, {"bool", Tensor::from_vector<bool>({true, false}, {2})},
      {"empty", Tensor::zeros(DType::Float32, {0, 4})},  {"no_strings", Tensor::strings({}, {0})},
      {"str", Tensor::strings({"x", std::string(200, 'y'), ""}, {3, 1})}};
  {
    tf::BundleWriter writer(prefix, 3);
    for (std::size_t i = 0; i < tensors.size(); ++i) writer.add(tensors[i].first, tensors[i].second, static_cast<int>(i % 3));
    writer.finish();
  }
  for (int s = 0; s < 3; ++s) BOOST_TEST(fs::exists(tf::shard_path(prefix, s, 3)));
  tf::BundleReader reader(prefix);
  BOOST_TEST(reader.header().num_shards() == 3);
  for (const auto& [key, value] : tensors) {
    BOOST_TEST_CONTEXT(key) {
      const Tensor back = reader.read(key);
      BOOST_TEST((back.dtype() == value.dtype()));
      BOOST_TEST(back.shape() == value.shape());
      if (value.dtype() == DType::String) BOOST_TEST(back.string_values() == value.string_values());
      else BOOST_TEST(std::memcmp(back.raw_data(), value.raw_data(), value.nbytes()) == 0);
    }
  }
  // TensorFlow's header bytes for 3 shards: num_shards 3, version {producer 1}.
  BOOST_TEST(tf::bundle_header_bytes(1) == std::string("\x08\x01\x1a\x02\x08\x01", 6));
}

BOOST_AUTO_TEST_CASE(writer_rejects_bad_keys) {
  const fs::path prefix = test::scratch_dir("bad_keys") / "k";
  tf::BundleWriter writer(prefix);
  writer.add("x", Tensor::scalar<float>(1));
  BOOST_TEST(mentions(error_of([&] { writer.add("x", Tensor::scalar<float>(2)); }), {"duplicate key 'x'"}));
  BOOST_TEST(mentions(error_of([&] { writer.add("", Tensor::scalar<float>(2)); }), {"reserved for the bundle header"}));
  BOOST_TEST(mentions(error_of([&] { writer.add("y", Tensor::scalar<float>(2), 1); }), {"shard 1 of 1"}));
}

BOOST_AUTO_TEST_CASE(missing_data_shard) {
  const fs::path prefix = write_sample("missing_shard");
  fs::remove(tf::shard_path(prefix, 0, 1));
  tf::BundleReader reader(prefix);  // the index alone is fine
  const std::string e = error_of([&] { reader.read("a"); });
  BOOST_TEST(mentions(e, {"tensor 'a'"}));
  BOOST_TEST(mentions(e, {"sample.data-00000-of-00001"}));
  BOOST_TEST(mentions(e, {"missing shard"}));
}

BOOST_AUTO_TEST_CASE(truncated_index) {
  const fs::path prefix = write_sample("truncated_index");
  const auto size = fs::file_size(tf::index_path(prefix));
  for (auto keep : {size - 1, size / 2, std::uintmax_t{30}, std::uintmax_t{0}}) {
    BOOST_TEST_CONTEXT(keep) {
      const fs::path copy = test::scratch_dir("truncated_index_" + std::to_string(keep)) / "sample";
      fs::copy_file(tf::index_path(prefix), tf::index_path(copy));
      fs::resize_file(tf::index_path(copy), keep);
      const std::string e = error_of([&] { tf::BundleReader reader(copy); });
      BOOST_TEST(mentions(e, {"sample.index"}));
    }
  }
}

BOOST_AUTO_TEST_CASE(flipped_bit_in_tensor_data) {
  const fs::path prefix = write_sample("flipped_bit");
  std::int64_t offset_b = 0, offset_s = 0;
  {
    tf::BundleReader reader(prefix);
    offset_b = reader.entry("b").offset();
    offset_s = reader.entry("s").offset();
  }
  flip_byte(tf::shard_path(prefix, 0, 1), offset_b + 3);
  flip_byte(tf::shard_path(prefix, 0, 1), offset_s + 20);  // inside the string bytes
  tf::BundleReader reader(prefix);
  BOOST_TEST(reader.read("a").to_vector<float>() == (std::vector<float>{1, 2, 3, 4, 5, 6}));
  const std::string e = error_of([&] { reader.read("b"); });
  BOOST_TEST(mentions(e, {"tensor 'b'"}));
  BOOST_TEST(mentions(e, {"crc32c mismatch"}));
  const std::string es = error_of([&] { reader.read("s"); });
  BOOST_TEST(mentions(es, {"tensor 's'"}));
  BOOST_TEST(mentions(es, {"crc32c"}));
}

BOOST_AUTO_TEST_CASE(flipped_bit_in_index_block) {
  const fs::path prefix = write_sample("flipped_index");
  flip_byte(tf::index_path(prefix), 12);
  const std::string e = error_of([&] { tf::BundleReader reader(prefix); });
  BOOST_TEST(mentions(e, {"sample.index"}));
}

BOOST_AUTO_TEST_CASE(shape_that_disagrees_with_the_byte_size) {
  const fs::path prefix = write_sample("shape_mismatch");
  edit_entry(prefix, "a", [](auto& e) { e.mutable_shape()->mutable_dim(1)->set_size(4); });
  tf::BundleReader reader(prefix);
  const std::string e = error_of([&] { reader.read("a"); });
  BOOST_TEST(mentions(e, {"tensor 'a'"}));
  BOOST_TEST(mentions(e, {"stored size 24 bytes disagrees"}));
  BOOST_TEST(mentions(e, {"(2, 4)"}));
}

BOOST_AUTO_TEST_CASE(absurd_declared_sizes) {
  const fs::path prefix = write_sample("absurd");
  // A consistent but huge declaration (4 TiB): refused before allocating, against the file size.
  edit_entry(prefix, "a", [](auto& e) {
    e.mutable_shape()->mutable_dim(0)->set_size(1ll << 40);
    e.mutable_shape()->mutable_dim(1)->set_size(1);
    e.set_size(4ll << 40);
  });
  // Dimensions whose product overflows.
  edit_entry(prefix, "b", [](auto& e) {
    e.mutable_shape()->mutable_dim(0)->set_size(1ll << 62);
    e.mutable_shape()->add_dim()->set_size(1ll << 62);
  });
  // A string tensor claiming a billion elements in a few hundred bytes.
  edit_entry(prefix, "s", [](auto& e) { e.mutable_shape()->mutable_dim(0)->set_size(1000000000); });
  tf::BundleReader reader(prefix);
  BOOST_TEST(mentions(error_of([&] { reader.read("a"); }), {"lie outside"}));
  BOOST_TEST(mentions(error_of([&] { reader.read("b"); }), {"too many elements"}));
  BOOST_TEST(mentions(error_of([&] { reader.read("s"); }), {"too small for 1000000000 strings"}));
}

BOOST_AUTO_TEST_CASE(not_a_table_and_missing_checkpoint) {
  const fs::path dir = test::scratch_dir("not_a_table");
  std::ofstream(dir / "junk.index") << std::string(100, 'j');
  BOOST_TEST(mentions(error_of([&] { tf::BundleReader reader(dir / "junk"); }), {"bad magic"}));
  BOOST_TEST(mentions(error_of([&] { tf::BundleReader reader(dir / "absent"); }), {"not found"}));
  const fs::path prefix = write_sample("missing_key");
  tf::BundleReader reader(prefix);
  BOOST_TEST(mentions(error_of([&] { reader.read("nope"); }), {"key 'nope' not found"}));
}

// The `checkpoint` state file is text a user may damage: a timestamp that is not a number is an
// Error naming the file and the field (it escaped as std::invalid_argument from std::stod).
BOOST_AUTO_TEST_CASE(damaged_checkpoint_state_timestamps) {
  for (const std::string line : {"all_model_checkpoint_timestamps: abc", "last_preserved_timestamp: 1e999",
                                 "last_preserved_timestamp: 12x", "all_model_checkpoint_timestamps:"}) {
    const fs::path dir = test::scratch_dir("damaged_checkpoint_state");
    std::ofstream(dir / "checkpoint") << "model_checkpoint_path: \"ckpt-1\"\n" << line << "\n";
    const std::string field = line.substr(0, line.find(':'));
    BOOST_TEST(mentions(error_of([&] { tf::read_checkpoint_state(dir); }), {(dir / "checkpoint").string(), field, "expects a number"}));
  }
}

// A prefix longer than the system allows names a checkpoint that does not exist (the check for
// its .index let std::filesystem_error out).
BOOST_AUTO_TEST_CASE(checkpoint_state_naming_an_impossible_prefix) {
  const fs::path dir = test::scratch_dir("impossible_prefix");
  std::ofstream(dir / "checkpoint") << "model_checkpoint_path: \"" << std::string(5000, 'p') << "\"\n";
  BOOST_TEST(mentions(error_of([&] { tf::resolve_checkpoint_prefix(dir); }), {"whose .index does not exist"}));
}

// Every single-byte corruption and every truncation of a small index: each read either works
// (the byte was not covered by anything checked, e.g. footer padding) or throws ksave::Error.
BOOST_AUTO_TEST_CASE(every_flipped_byte_and_truncation_of_the_index_is_handled) {
  const fs::path prefix = write_sample("every_byte");
  std::ifstream in(tf::index_path(prefix), std::ios::binary);
  const std::string original((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const fs::path damaged = test::scratch_dir("every_byte_damaged") / "sample";
  fs::copy_file(tf::shard_path(prefix, 0, 1), tf::shard_path(damaged, 0, 1));
  std::size_t errors = 0, readable = 0;
  auto attempt = [&](const std::string& bytes) {
    std::ofstream(tf::index_path(damaged), std::ios::binary | std::ios::trunc) << bytes;
    try {
      tf::BundleReader reader(damaged);
      for (const auto& key : reader.keys()) reader.read(key);
      ++readable;
    } catch (const Error&) {
      ++errors;
    }
  };
  for (std::size_t i = 0; i < original.size(); ++i) {
    std::string bytes = original;
    bytes[i] = static_cast<char>(bytes[i] ^ 0x5a);
    attempt(bytes);
  }
  for (std::size_t n = 0; n < original.size(); ++n) attempt(original.substr(0, n));
  BOOST_TEST_MESSAGE(original.size() << "-byte index: " << errors << " damaged versions refused, " << readable
                                     << " still readable");
  BOOST_TEST(errors >= original.size());  // every truncation at least
}
