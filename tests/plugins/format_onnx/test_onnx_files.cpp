// ONNX files: picked by the path's extension, recognized by content (and nothing else is),
// external data beside the model, and a failed export leaving the previous file as it was.
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <iterator>

#include "onnx_test_models.hpp"
#include "support/test_data.hpp"

using namespace ksave;
using namespace ksave::test::onnx;
namespace fs = std::filesystem;

namespace {

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void write_bytes(const fs::path& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

// A model with one initializer over the external-data threshold (Dense 64 → 32: 8 KiB kernel).
ModelPtr wide() { return stack({64}, {{"Dense", {{"units", 32}}}}); }

}  // namespace

BOOST_AUTO_TEST_CASE(a_dot_onnx_path_is_saved_as_onnx_and_found_by_content) {
  const fs::path dir = ksave::test::scratch_dir("onnx_files");
  save_model(*mlp(), dir / "model.onnx");
  BOOST_TEST(format_for_model_path(dir / "other.ONNX") == "onnx");
  BOOST_TEST(detect_format(dir / "model.onnx")->name() == "onnx");
  // The content decides, not the name.
  fs::copy_file(dir / "model.onnx", dir / "renamed.bin");
  BOOST_TEST(detect_format(dir / "renamed.bin")->name() == "onnx");
  BOOST_TEST(!get_format("onnx")->can(Capability::LoadModel));
  BOOST_TEST(mentions(error_of([&] { load_model(dir / "model.onnx"); }), {"onnx", "cannot load whole models", "model.onnx"}));
}

BOOST_AUTO_TEST_CASE(only_onnx_files_are_claimed) {
  const fs::path dir = ksave::test::scratch_dir("onnx_sniff");
  const FormatPtr onnx = get_format("onnx");
  save_model(*mlp(), dir / "model.h5");
  save_model(*mlp(), dir / "model.json");
  save_model(*mlp(), dir / "model.onnx");
  BOOST_TEST(onnx->sniff(dir / "model.onnx"));
  BOOST_TEST(!onnx->sniff(dir / "model.h5"));
  BOOST_TEST(!onnx->sniff(dir / "model.json"));
  BOOST_TEST(!onnx->sniff(dir));
  BOOST_TEST(!onnx->sniff(dir / "missing.onnx"));
  const std::string bytes = read_bytes(dir / "model.onnx");
  write_bytes(dir / "truncated.onnx", bytes.substr(0, bytes.size() / 2));
  BOOST_TEST(!onnx->sniff(dir / "truncated.onnx"));
  write_bytes(dir / "empty.onnx", "");
  BOOST_TEST(!onnx->sniff(dir / "empty.onnx"));
  // A protobuf that is not a ModelProto: a SavedModel's saved_model.pb starts with field 1 too
  // (schema version 1), then its meta graphs in field 2, and has no graph or opset.
  write_bytes(dir / "saved_model.pb", std::string("\x08\x01\x12\x03\x0a\x01\x78", 7));
  BOOST_TEST(!onnx->sniff(dir / "saved_model.pb"));
}

BOOST_AUTO_TEST_CASE(external_data_puts_large_initializers_beside_the_model) {
  const fs::path dir = ksave::test::scratch_dir("onnx_external");
  save_onnx(*wide(), dir / "inline.onnx");
  BOOST_TEST(!fs::exists(fs::path(dir / "inline.onnx.data")));
  save_onnx(*wide(), dir / "wide.onnx", {{"external_data", true}});
  const Json inline_d = describe(dir / "inline.onnx"), external_d = describe(dir / "wide.onnx");
  BOOST_TEST(external_d.at("external_data").dump() == R"(["wide.onnx.data"])");
  BOOST_TEST(inline_d.at("external_data") == false);
  BOOST_TEST(external_d.at("initializer_bytes") == inline_d.at("initializer_bytes"));
  // The kernel (8 KiB) went out; the bias (128 bytes) stayed in.
  BOOST_TEST(fs::file_size(dir / "wide.onnx.data") == 64u * 32u * 4u);
  BOOST_TEST(fs::file_size(dir / "wide.onnx") < 1024u);
  // A size: external once the model would reach it ("auto" is protobuf's 2 GiB limit).
  save_onnx(*wide(), dir / "over.onnx", {{"external_data", 4096}});
  BOOST_TEST(describe(dir / "over.onnx").at("external_data").dump() == R"(["over.onnx.data"])");
  save_onnx(*wide(), dir / "under.onnx", {{"external_data", 1 << 20}});
  BOOST_TEST(describe(dir / "under.onnx").at("external_data") == false);
  BOOST_TEST(mentions(error_of([&] { save_onnx(*wide(), dir / "bad.onnx", {{"external_data", "sometimes"}}); }),
                      {"bad.onnx", "'external_data'", "\"sometimes\""}));
  // Nothing is left behind but the two files.
  for (const auto& entry : fs::directory_iterator(dir))
    BOOST_TEST(entry.path().filename().string().front() != '.', entry.path());
}

BOOST_AUTO_TEST_CASE(a_failed_export_leaves_the_previous_file_as_it_was) {
  const fs::path path = ksave::test::scratch_dir("onnx_atomic") / "model.onnx";
  save_onnx(*mlp(), path);
  const std::string before = read_bytes(path);
  CustomObjectScope scope({{"cube", activation_function("cube", [](const Tensor& t) { return ops::mul(t, ops::mul(t, t)); })}});
  const ModelPtr unmappable = stack({4}, {{"Dense", {{"units", 2}, {"activation", "cube"}}}});
  BOOST_TEST(mentions(error_of([&] { save_onnx(*unmappable, path); }), {"model.onnx", "cube"}));
  BOOST_TEST(read_bytes(path) == before);
  SaveOptions keep;
  keep.overwrite = false;
  BOOST_TEST(mentions(error_of([&] { save_model(*mlp(), path, keep); }), {"model.onnx", "overwrite"}));
}

// A damaged external-data length is an Error naming the file and the initializer (std::stoull
// let std::invalid_argument out). The file: wide.onnx with the first digit of its "length"
// value (a StringStringEntryProto: key "length", then field 2 with its size) made an 'x'.
BOOST_AUTO_TEST_CASE(inspect_refuses_a_damaged_external_data_length) {
  const fs::path dir = ksave::test::scratch_dir("onnx_damaged_length");
  save_onnx(*wide(), dir / "wide.onnx", {{"external_data", true}});
  std::string bytes = read_bytes(dir / "wide.onnx");
  const std::size_t key = bytes.find(std::string("length\x12", 7));
  BOOST_REQUIRE(key != std::string::npos);
  bytes[key + 8] = 'x';  // after the key, the field tag and the value's size
  write_bytes(dir / "wide.onnx", bytes);
  BOOST_TEST(mentions(error_of([&] { describe(dir / "wide.onnx"); }), {"wide.onnx", "external data length", "expected a number of bytes"}));
}

BOOST_AUTO_TEST_CASE(inspect_refuses_a_file_that_is_not_onnx_naming_it) {
  const fs::path path = ksave::test::scratch_dir("onnx_inspect") / "noise.onnx";
  write_bytes(path, std::string("\x08\x07\x3a\xff\xff\xff\xff\x0f", 8));
  BOOST_TEST(mentions(error_of([&] { describe(path); }), {"noise.onnx", "not an ONNX model"}));
}
