// Every real checkpoint fixture: the reader lists exactly the variables of its
// expected/variables.json (dtype, shape, shard, offset, size, crc), reads every tensor with its
// crc checked and gives the expected values; rewriting the tensors reproduces the .index (and
// the data shards) byte for byte.
#define BOOST_TEST_MODULE format_tf_checkpoint_real_bundles
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <map>
#include <regex>
#include <sstream>

#include "fixture_bundles.hpp"
#include "ksave/npy.hpp"
#include "ksave/saving.hpp"
#include "ksave/tf/checkpoint.hpp"
#include "ksave/tf/crc32c.hpp"

namespace fs = std::filesystem;
using namespace ksave;

namespace {

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool same_values(const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype() || a.shape() != b.shape()) return false;
  if (a.dtype() == DType::String) return a.string_values() == b.string_values();
  return std::equal(static_cast<const char*>(a.raw_data()), static_cast<const char*>(a.raw_data()) + a.nbytes(),
                    static_cast<const char*>(b.raw_data()));
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_fixture_lists_its_variables_and_reads_every_tensor) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  const auto cases = tf_fixtures::bundle_cases(*real);
  BOOST_TEST(cases.size() == std::size(tf_fixtures::kCases));
  std::size_t all_compared = 0;
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      tf::CheckpointReader reader(c.prefix);
      const auto shapes = reader.variable_to_shape_map();
      const auto dtypes = reader.variable_to_dtype_map();
      const Json& expected = c.listing["variables"];
      BOOST_TEST(shapes.size() == expected.size());
      BOOST_TEST(reader.bundle().header().num_shards() == c.listing["header"]["num_shards"].get<int>());
      BOOST_TEST(reader.bundle().snappy_blocks() == c.listing["index_blocks"]["snappy_blocks"].get<std::size_t>());
      BOOST_TEST(reader.bundle().plain_blocks() == c.listing["index_blocks"]["plain_blocks"].get<std::size_t>());
      for (const Json& v : expected) {
        const std::string key = v["key"];
        BOOST_TEST_CONTEXT(key) {
          BOOST_REQUIRE(shapes.count(key));
          BOOST_TEST(dtypes.at(key) == v["dtype"].get<std::string>());
          BOOST_TEST(shapes.at(key) == v["shape"].get<Shape>());
          const auto& e = reader.bundle().entry(key);
          BOOST_TEST(e.shard_id() == v["shard_id"].get<int>());
          BOOST_TEST(e.offset() == v["offset"].get<std::int64_t>());
          BOOST_TEST(e.size() == v["size"].get<std::int64_t>());
          BOOST_TEST(e.crc32c() == v["crc32c_masked"].get<std::uint32_t>());
          const Tensor t = reader.get_tensor(key);  // checks the crc
          BOOST_TEST(t.shape() == v["shape"].get<Shape>());
        }
      }
      // The expected tensors: each var_*.npy names its checkpoint key in "what".
      std::ifstream in(c.case_dir / "expected" / "expected.json");
      const Json manifest = Json::parse(in);
      const std::regex key_in_what("checkpoint key `([^`]+)`");
      std::size_t compared = 0;
      for (const Json& extra : manifest.value("extra", Json::array())) {
        std::smatch m;
        const std::string what = extra.value("what", "");
        if (!std::regex_search(what, m, key_in_what)) continue;
        const Tensor want = read_npy(c.case_dir / "expected" / extra["file"].get<std::string>());
        BOOST_TEST_CONTEXT(m[1].str()) { BOOST_TEST(same_values(reader.get_tensor(m[1].str()), want)); }
        ++compared;
      }
      BOOST_TEST_MESSAGE(c.name << ": " << expected.size() << " variables listed, " << compared << " expected tensors equal");
      // Every var_*.npy the case ships names its key in expected.json, and was compared.
      std::size_t value_files = 0;
      for (const auto& e : fs::directory_iterator(c.case_dir / "expected"))
        if (e.path().filename().string().rfind("var_", 0) == 0 && e.path().extension() == ".npy") ++value_files;
      BOOST_TEST(compared == value_files);
      all_compared += compared;
    }
  }
  // t2t 9, tfx 4, tf2onnx 2; the SavedModels' variables: tfrust 3 and 2, tfnet 3 and 2, the TF1
  // and TF2 half_plus_two 5 and 3.
  BOOST_TEST(all_compared == 33u);
}

BOOST_AUTO_TEST_CASE(the_plugin_inspects_and_sniffs_fixtures) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  for (const auto& c : tf_fixtures::bundle_cases(*real)) {
    BOOST_TEST_CONTEXT(c.name) {
      auto format = detect_format(fs::path(c.prefix.string() + ".index"));
      BOOST_TEST(format->name() == "tf-checkpoint");
      BOOST_TEST(format->sniff(c.prefix));  // a prefix names <prefix>.index
      const Json description = format->inspect(c.prefix);
      BOOST_TEST(description["variables"].size() == c.listing["variables"].size());
    }
  }
  // A directory with a `checkpoint` file resolves to its latest checkpoint.
  const fs::path dir = *real / "tf2onnx_tf1_ckpt_regression" / "checkpoint";
  BOOST_TEST(detect_format(dir)->name() == "tf-checkpoint");
  BOOST_TEST(tf::resolve_checkpoint_prefix(dir) == dir / "model");
  // tfx's state file names checkpoints that are absent: the error says which.
  const fs::path tfx = *real / "tfx_tf1_estimator_ckpt" / "Format-Serving";
  BOOST_TEST(tf::resolve_checkpoint_prefix(tfx).filename() == "model.ckpt-1000");
}

BOOST_AUTO_TEST_CASE(rewriting_a_fixture_reproduces_its_files_byte_for_byte) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  std::size_t rewritten = 0;
  for (const auto& c : tf_fixtures::bundle_cases(*real)) {
    // TensorFlow never writes Snappy blocks; these two files came from another writer.
    if (c.listing["index_blocks"]["snappy_blocks"].get<int>() > 0) continue;
    BOOST_TEST_CONTEXT(c.name) {
      tf::BundleReader reader(c.prefix);
      std::vector<std::string> order = reader.keys();
      std::stable_sort(order.begin(), order.end(), [&](const std::string& a, const std::string& b) {
        const auto &ea = reader.entry(a), &eb = reader.entry(b);
        return std::pair(ea.shard_id(), ea.offset()) < std::pair(eb.shard_id(), eb.offset());
      });
      const fs::path out = test::scratch_dir("rewrite_" + c.name) / "bundle";
      const int shards = reader.header().num_shards();
      tf::BundleWriter writer(out, shards);
      for (const auto& key : order) writer.add(key, reader.read(key), reader.entry(key).shard_id());
      writer.finish();
      BOOST_TEST(read_file(tf::index_path(out)) == read_file(tf::index_path(c.prefix)));
      for (int s = 0; s < shards; ++s)
        BOOST_TEST(read_file(tf::shard_path(out, s, shards)) == read_file(tf::shard_path(c.prefix, s, shards)));
      ++rewritten;
    }
  }
  BOOST_TEST(rewritten == 7u);
}

BOOST_AUTO_TEST_CASE(crc32c_matches_known_values_on_both_paths) {
  // Known CRC-32C values (RFC 3720 test vectors, LevelDB's crc32c_test).
  std::string zeros(32, '\0'), ones(32, '\xff'), ascending(32, '\0');
  for (int i = 0; i < 32; ++i) ascending[i] = static_cast<char>(i);
  BOOST_TEST(tf::crc32c::value(zeros.data(), 32) == 0x8a9136aau);
  BOOST_TEST(tf::crc32c::value(ones.data(), 32) == 0x62a8ab43u);
  BOOST_TEST(tf::crc32c::value(ascending.data(), 32) == 0x46dd794eu);
  BOOST_TEST(tf::crc32c::value("123456789", 9) == 0xe3069283u);
  std::string big(100003, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 131 + 7);
  for (std::size_t split : {0, 1, 7, 8, 33, 50000}) {
    const auto a = tf::crc32c::extend(tf::crc32c::value(big.data(), split), big.data() + split, big.size() - split);
    BOOST_TEST(a == tf::crc32c::extend_portable(0, big.data(), big.size()));
  }
  BOOST_TEST(tf::crc32c::unmask(tf::crc32c::mask(0x12345678u)) == 0x12345678u);
  BOOST_TEST_MESSAGE("crc32c hardware path: " << (tf::crc32c::hardware_accelerated() ? "sse4.2" : "table"));
}
