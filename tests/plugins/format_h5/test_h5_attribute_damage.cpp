// Damaged attribute messages, which libhdf5 1.10.8 decodes trusting the sizes inside them: a name
// without its terminating NUL (strdup reads on), a value larger than its message (memcpy reads on)
// — heap over-reads found by fuzz_h5_model and fuzz_hdf5_image — or a part libhdf5 cannot decode
// (a segmentation fault when H5Aiterate's decode then fails half way). Recipes on a file ksave writes: the attribute message of a layer
// group's weight_names, found by its name, is damaged each way; every load and inspect must then
// fail with a ksave::Error naming the group and what is damaged, before libhdf5 decodes it.
#define BOOST_TEST_MODULE format_h5_attribute_damage
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstring>
#include <functional>

#include "h5_test_support.hpp"
#include "ksave/ksave.hpp"
#include "support/test_data.hpp"

namespace fs = std::filesystem;
using namespace ksave;
using namespace ksave::test::h5;

namespace {

constexpr char kName[] = "weight_names";  // 12 characters and the NUL: a stored name size of 13

// Where the name of the first attribute named kName is stored; the message's fixed part (version
// 1: version, reserved, name, datatype and dataspace sizes) lies 8 bytes before it.
std::size_t stored_name_at(const Bytes& file) {
  const auto at = std::search(file.begin(), file.end(), kName, kName + sizeof kName);
  BOOST_TEST_REQUIRE((at != file.end()));
  const auto offset = static_cast<std::size_t>(at - file.begin());
  BOOST_TEST_REQUIRE(offset >= 8);
  BOOST_TEST_REQUIRE(file[offset - 8] == 1);  // an attribute message of version 1, as libhdf5 writes by default
  BOOST_TEST_REQUIRE(stored_integer(file, offset - 6, 2) == sizeof kName);
  return offset;
}

// Saves the damaged copy and expects load_model and inspect to refuse it with an error that
// names the layer group and contains `expected`.
void expect_refused(const fs::path& scratch, const std::string& name, const Bytes& damaged, const std::string& expected) {
  const fs::path path = scratch / name;
  write_bytes(path, damaged);
  for (const auto& [what, read] : std::vector<std::pair<std::string, std::function<void()>>>{
           {"load_model", [&] { load_model(path); }}, {"inspect", [&] { detect_format(path)->inspect(path); }}}) {
    std::string message = "no error";
    try {
      read();
    } catch (const Error& e) {
      message = e.what();
    }
    BOOST_TEST_INFO(what << " of " << name << ": " << message);
    BOOST_TEST(message.find(expected) != std::string::npos);
    BOOST_TEST(message.find("/dense") != std::string::npos);
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_stored_name_without_its_terminator_is_refused) {
  const fs::path scratch = test::scratch_dir("h5_attribute_damage_name");
  Bytes file = small_model_file(scratch);
  const std::size_t name = stored_name_at(file);
  file[name + sizeof kName - 1] = 'x';  // the NUL, within the 13 bytes the message declares
  expect_refused(scratch, "unterminated.h5", file, "stored name is damaged");
}

BOOST_AUTO_TEST_CASE(a_stored_name_ending_before_its_declared_size_is_refused) {
  const fs::path scratch = test::scratch_dir("h5_attribute_damage_short_name");
  Bytes file = small_model_file(scratch);
  const std::size_t name = stored_name_at(file);
  file[name + 6] = 0;  // "weight" and a NUL, where the message declares 12 characters
  expect_refused(scratch, "short_name.h5", file, "it ends after 6 characters");
}

BOOST_AUTO_TEST_CASE(a_value_larger_than_its_message_is_refused) {
  const fs::path scratch = test::scratch_dir("h5_attribute_damage_value");
  Bytes file = small_model_file(scratch);
  const std::size_t name = stored_name_at(file);
  // Version 1 pads the name and the datatype to 8 bytes; the dataspace (version 1: version,
  // rank, flags, 5 reserved bytes, then 8-byte dimensions) follows.
  const std::size_t datatype_size = stored_integer(file, name - 4, 2);
  const std::size_t space = name + 16 + (datatype_size + 7) / 8 * 8;
  BOOST_TEST_REQUIRE(file[space] == 1);
  BOOST_TEST_REQUIRE(file[space + 1] == 1);  // weight_names is a list: rank 1
  put_integer(file, space + 8, 8, 1000);      // 1000 names where the message holds two
  expect_refused(scratch, "oversized.h5", file, "its value declares");
}

BOOST_AUTO_TEST_CASE(a_datatype_libhdf5_cannot_decode_is_refused) {
  // On H5Aiterate's path libhdf5 then crashed in H5A__close, freeing a half-built attribute.
  const fs::path scratch = test::scratch_dir("h5_attribute_damage_type");
  Bytes file = small_model_file(scratch);
  const std::size_t type = stored_name_at(file) + 16;  // the 13-byte name padded to 16
  file[type] = static_cast<char>(file[type] & 0x0F);    // datatype version 0
  expect_refused(scratch, "type_version.h5", file, "a datatype of version 0");
}

BOOST_AUTO_TEST_CASE(the_undamaged_file_still_loads) {
  const fs::path scratch = test::scratch_dir("h5_attribute_damage_intact");
  const Bytes file = small_model_file(scratch);
  stored_name_at(file);
  BOOST_TEST(load_model(scratch / "model.h5")->layers().size() == 1u);
}
