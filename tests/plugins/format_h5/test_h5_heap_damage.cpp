// Damaged global-heap references of variable-length string attributes (model_config,
// keras_version, ...), which libhdf5 1.10.8 follows unchecked: a flipped bit in one crashed or
// hung the process inside H5HG_read. The recipes below find every reference in a file (from
// its global heap collections) and damage it, or the collection it points into, in every way a
// bit flip can; each damaged copy must load or fail with a ksave::Error, never crash or hang.
// Applied to a file ksave writes and to the real `.keras`-named HDF5 fixtures.
#define BOOST_TEST_MODULE format_h5_heap_damage
#include <boost/test/unit_test.hpp>

#include <cstring>
#include <fstream>
#include <iterator>

#include "ksave/ksave.hpp"
#include "h5_test_support.hpp"
#include "support/test_data.hpp"

namespace fs = std::filesystem;
using namespace ksave;

namespace {

using namespace ksave::test::h5;

// A string's stored reference (length, collection address, object index) and where it lies.
struct Reference {
  std::size_t at;            // offset of the 16-byte reference in the file
  std::size_t object_at;     // offset of the heap object's header
};

// Every reference to an object of a global heap collection, found by walking the collections
// ("GCOL", 8-byte addresses and lengths, no user block: what h5py and ksave write) and looking
// for the 16 bytes that name each object.
std::vector<Reference> references_in(const Bytes& file) {
  std::vector<Reference> found;
  for (std::size_t c = 0; c + 16 <= file.size(); ++c) {
    if (std::memcmp(&file[c], "GCOL", 4) != 0 || file[c + 4] != 1) continue;
    const std::uint64_t size = stored_integer(file, c + 8, 8);
    for (std::size_t p = c + 16; p + 16 <= c + size && p + 16 <= file.size();) {
      const auto index = stored_integer(file, p, 2);
      const auto object_size = stored_integer(file, p + 8, 8);
      if (index == 0) break;  // free space: the rest of the collection
      Bytes pattern(16);
      put_integer(pattern, 0, 4, object_size);
      put_integer(pattern, 4, 8, c);
      put_integer(pattern, 12, 4, index);
      for (auto at = std::search(file.begin(), file.end(), pattern.begin(), pattern.end()); at != file.end();
           at = std::search(at + 1, file.end(), pattern.begin(), pattern.end()))
        found.push_back({static_cast<std::size_t>(at - file.begin()), p});
      p += 16 + (object_size + 7) / 8 * 8;
    }
  }
  return found;
}

// Every damaged variant of `file`: each bit of each reference's index and (low 40 bits)
// address flipped, its length changed, and the referenced object's index and size fields broken.
std::vector<std::pair<std::string, Bytes>> damaged_variants(const Bytes& file) {
  std::vector<std::pair<std::string, Bytes>> out;
  auto variant = [&](const std::string& what, const std::function<void(Bytes&)>& edit) {
    Bytes copy = file;
    edit(copy);
    out.emplace_back(what, std::move(copy));
  };
  for (const Reference& r : references_in(file)) {
    const std::string at = " of the reference at " + std::to_string(r.at);
    for (int bit = 0; bit < 16; ++bit)
      variant("index bit " + std::to_string(bit) + at, [&](Bytes& b) { b[r.at + 12 + bit / 8] ^= static_cast<char>(1 << (bit % 8)); });
    for (int bit = 0; bit < 40; ++bit)
      variant("address bit " + std::to_string(bit) + at, [&](Bytes& b) { b[r.at + 4 + bit / 8] ^= static_cast<char>(1 << (bit % 8)); });
    for (std::uint64_t length : {std::uint64_t{1}, stored_integer(file, r.at, 4) + 1, stored_integer(file, r.at, 4) * 4096, std::uint64_t{0xffffffff}})
      variant("length " + std::to_string(length) + at, [&](Bytes& b) { put_integer(b, r.at, 4, length); });
    for (std::uint64_t size : {std::uint64_t{0}, stored_integer(file, r.object_at + 8, 8) + 1, std::uint64_t{1} << 40, ~std::uint64_t{0}})
      variant("object size " + std::to_string(size) + at, [&](Bytes& b) { put_integer(b, r.object_at + 8, 8, size); });
    variant("object index 0" + at, [&](Bytes& b) { put_integer(b, r.object_at, 2, 0); });
    variant("object index 0xffff" + at, [&](Bytes& b) { put_integer(b, r.object_at, 2, 0xffff); });
  }
  return out;
}

struct Outcome {
  int variants = 0, loaded = 0, refused = 0, refused_naming_the_heap = 0;
};

// Loads each variant (as load_model and as inspect do): a clean load or a ksave::Error.
Outcome load_every_variant(const Bytes& file, const fs::path& scratch, const std::string& name) {
  Outcome outcome;
  const fs::path copy = scratch / name;
  for (const auto& [what, bytes] : damaged_variants(file)) {
    write_bytes(copy, bytes);
    ++outcome.variants;
    try {
      load_model(copy);
      detect_format(copy)->inspect(copy);
      ++outcome.loaded;
    } catch (const Error& e) {
      ++outcome.refused;
      const std::string message = e.what();
      if (message.find("global heap") != std::string::npos) ++outcome.refused_naming_the_heap;
      else BOOST_TEST_MESSAGE(what << ": " << message);
    }
  }
  BOOST_TEST_MESSAGE(name << ": " << outcome.variants << " damaged copies, " << outcome.loaded << " loaded, "
                          << outcome.refused << " refused (" << outcome.refused_naming_the_heap << " by the heap check)");
  return outcome;
}

}  // namespace

BOOST_AUTO_TEST_CASE(damaged_references_in_a_file_ksave_writes) {
  const fs::path scratch = test::scratch_dir("h5_heap_damage");
  const Bytes file = small_model_file(scratch);
  BOOST_TEST_REQUIRE(references_in(file).size() >= 3u);  // keras_version, backend, model_config
  const Outcome outcome = load_every_variant(file, scratch, "damaged.h5");
  BOOST_TEST(outcome.variants == static_cast<int>(references_in(file).size()) * 66);
  // An index, length or object size that no longer matches is refused by the check itself.
  BOOST_TEST(outcome.refused_naming_the_heap >= outcome.variants / 2);
}

BOOST_AUTO_TEST_CASE(damaged_references_in_real_keras_named_hdf5_files) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  const fs::path scratch = test::scratch_dir("h5_heap_damage_real");
  for (const fs::path& file : {*real / "hls4ml_keras211_h5_named_dotkeras_mlp" / "keras_model.keras",
                              *real / "linchenn_keras212_h5_named_dotkeras" / "model.keras"}) {
    const Bytes bytes = read_bytes(file);
    BOOST_TEST_REQUIRE(!references_in(bytes).empty(), file);
    const Outcome outcome = load_every_variant(bytes, scratch, file.filename().string());
    BOOST_TEST(outcome.refused_naming_the_heap >= outcome.variants / 2, file);
  }
}

// The base type of a variable-length string (a 1-byte character in its datatype message) made
// 2.9 GB wide by a damaged byte run: libhdf5's conversion allocated and cleared that much per
// character (found by the damage sweep, seed 13505: 7 random bytes at 865 of the dl4j MLP
// fixture, which broke keras_version's base type). Each such datatype in a file ksave writes,
// damaged the same way, must read within the time limit (the strings themselves are intact) or
// be refused with an Error.
BOOST_AUTO_TEST_CASE(a_variable_length_string_of_a_damaged_base_type_size) {
  const fs::path scratch = test::scratch_dir("h5_vlen_base_type");
  const Bytes file = small_model_file(scratch);
  // Version 1, class 9 (variable length), a string, 16 bytes; its base: fixed-point, 1 byte.
  const Bytes message{0x19, 0x01, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00};
  int damaged = 0;
  for (auto at = std::search(file.begin(), file.end(), message.begin(), message.end()); at != file.end();
       at = std::search(at + 1, file.end(), message.begin(), message.end()), ++damaged) {
    Bytes copy = file;
    put_integer(copy, static_cast<std::size_t>(at - file.begin()) + 12, 4, 0xb19365c8);
    const fs::path path = scratch / ("damaged-" + std::to_string(damaged) + ".h5");
    write_bytes(path, copy);
    std::string outcome = "read";
    try {
      check_in_child_process(path.string(), [&] { load_model(path); detect_format(path)->inspect(path); }, 60);
    } catch (const Error& e) {
      outcome = e.what();
    }
    BOOST_TEST((outcome == "read" || outcome.find("did not finish") == std::string::npos), outcome);
    BOOST_TEST(outcome.find("crashed") == std::string::npos, outcome);
  }
  BOOST_TEST(damaged >= 3);  // keras_version, backend, model_config
}
