// Hostile structures: configs nested 10,000 deep (as text and as values made by a program),
// functional graphs whose layers feed each other in a cycle, `.keras` zip bombs and archives
// whose entries climb out of their folder, and class names that look like plugin paths. Each
// gives a clear ksave::Error, never a stack overflow, a hang, an exhausted memory or a plugin
// loaded from a place that is not configured.
#define BOOST_TEST_MODULE reliability_hostile_structures
#include <boost/test/unit_test.hpp>

#include <zip.h>

#include <fstream>
#include <string_view>

#include "ksave/ksave.hpp"
#include "support/error_checks.hpp"
#include "support/test_data.hpp"

namespace fs = std::filesystem;
using namespace ksave;
using ksave::test::error_of;
using ksave::test::mentions;

namespace {

constexpr int kDeep = 10000;

std::string nested_arrays(int depth) { return std::string(static_cast<std::size_t>(depth), '[') + std::string(static_cast<std::size_t>(depth), ']'); }

// A Sequential model config whose only layer is a Sequential whose only layer is ... `depth` deep.
Json nested_models(int depth) {
  Json inner = {{"class_name", "Dense"}, {"config", {{"units", 1}}}};
  for (int i = 0; i < depth; ++i) inner = {{"class_name", "Sequential"}, {"config", {{"layers", Json::array({std::move(inner)})}}}};
  return inner;
}

// The same config as text, written without a recursive serializer: nlohmann's dump() recurses
// once per level, which at 10,000 levels overflows the larger stack frames of an
// AddressSanitizer build (the test's own doing, not ksave's).
std::string nested_models_text(int depth) {
  std::string text;
  for (int i = 0; i < depth; ++i) text += R"({"class_name": "Sequential", "config": {"layers": [)";
  text += R"({"class_name": "Dense", "config": {"units": 1}})";
  for (int i = 0; i < depth; ++i) text += "]}}";
  return text;
}

void write_text(const fs::path& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

// A .keras archive with the given entries (their bytes must live until it is written), deflated
// or stored.
void write_zip(const fs::path& path, const std::vector<std::pair<std::string, std::string_view>>& entries, bool deflate) {
  int code = 0;
  zip_t* archive = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &code);
  BOOST_TEST_REQUIRE(archive != nullptr);
  for (const auto& [name, bytes] : entries) {
    zip_source_t* source = zip_source_buffer(archive, bytes.data(), bytes.size(), 0);
    const zip_int64_t index = zip_file_add(archive, name.c_str(), source, ZIP_FL_ENC_UTF_8);
    BOOST_TEST_REQUIRE(index >= 0);
    zip_set_file_compression(archive, static_cast<zip_uint64_t>(index), deflate ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 9);
  }
  BOOST_TEST_REQUIRE(zip_close(archive) == 0);
}

const char* const kKerasConfig = R"({"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense", "config": {"units": 1}}]}})";

}  // namespace

BOOST_AUTO_TEST_CASE(configs_nested_ten_thousand_deep_are_refused) {
  // As text: the parser stops at its depth limit.
  const std::string deep_layers = R"({"class_name": "Sequential", "config": {"layers": )" + nested_arrays(kDeep) + "}}";
  BOOST_TEST(mentions(error_of([&] { model_from_json(deep_layers); }), {"nested more than"}));
  BOOST_TEST(mentions(error_of([&] { model_from_json(nested_models_text(kDeep)); }), {"nested more than"}));
  const fs::path dir = test::scratch_dir("hostile_deep_configs");
  write_text(dir / "deep.json", nested_models_text(kDeep));
  BOOST_TEST(mentions(error_of([&] { load_model(dir / "deep.json"); }), {"deep.json", "nested more than"}));
  // As values a program made: refused before any recursive walk.
  BOOST_TEST(mentions(error_of([&] { deserialize_layer(nested_models(kDeep)); }), {"levels deep"}));
  Json deep_value = nullptr;
  for (int i = 0; i < kDeep; ++i) deep_value = Json::array({std::move(deep_value)});
  // Moved in, not copied: nlohmann's copy recurses once per level (the test's own recursion).
  Json deep_config = {{"units", 1}};
  deep_config["kernel_initializer"] = std::move(deep_value);
  BOOST_TEST(mentions(error_of([&] { make_layer("Dense", deep_config); }), {"levels deep"}));
  // A model nested a few levels deep still loads.
  BOOST_TEST(model_from_json(nested_models_text(20))->layers().size() == 1u);
  BOOST_TEST(Json::parse(nested_models_text(3)) == nested_models(3));
}

BOOST_AUTO_TEST_CASE(cyclic_functional_graphs_are_refused) {
  // a's input is b's output and b's input is a's output: no order can build them.
  const Json config = {
      {"class_name", "Functional"},
      {"config",
       {{"name", "cycle"},
        {"layers",
         {{{"class_name", "InputLayer"}, {"name", "in"}, {"config", {{"name", "in"}, {"batch_input_shape", {nullptr, 2}}}}, {"inbound_nodes", Json::array()}},
          {{"class_name", "Dense"}, {"name", "a"}, {"config", {{"name", "a"}, {"units", 2}}}, {"inbound_nodes", {{{"b", 0, 0, Json::object()}}}}},
          {{"class_name", "Dense"}, {"name", "b"}, {"config", {{"name", "b"}, {"units", 2}}}, {"inbound_nodes", {{{"a", 0, 0, Json::object()}}}}}}},
        {"input_layers", {{"in", 0, 0}}},
        {"output_layers", {{"b", 0, 0}}}}}};
  const std::string message = error_of([&] { model_from_json(config.dump()); });
  BOOST_TEST(!message.empty());
  // A layer that feeds itself.
  Json self = config;
  self["config"]["layers"][1]["inbound_nodes"] = {{{"a", 0, 0, Json::object()}}};
  self["config"]["output_layers"] = {{"a", 0, 0}};
  BOOST_TEST(!error_of([&] { model_from_json(self.dump()); }).empty());
}

BOOST_AUTO_TEST_CASE(zip_bombs_are_refused) {
  const fs::path dir = test::scratch_dir("hostile_zip_bombs");
  // 64 MiB of zeros deflates to about 64 KiB: a ratio no Keras archive has (they store entries).
  const std::string zeros(64u << 20, '\0');
  write_zip(dir / "ratio.keras", {{"config.json", kKerasConfig}, {"metadata.json", "{}"}, {"model.weights.h5", zeros}}, true);
  BOOST_TEST(mentions(error_of([&] { load_model(dir / "ratio.keras"); }), {"ratio.keras", "model.weights.h5", "ratio"}));
  // Many small entries (small ones may compress well), adding up to far more than the archive
  // could honestly hold.
  std::vector<std::string> names;
  for (int i = 0; i < 200; ++i) names.push_back("assets/part" + std::to_string(i));
  std::vector<std::pair<std::string, std::string_view>> many = {{"config.json", kKerasConfig}, {"metadata.json", "{}"}};
  for (const auto& name : names) many.emplace_back(name, std::string_view(zeros).substr(0, 1u << 20));
  write_zip(dir / "total.keras", many, true);
  BOOST_TEST(mentions(error_of([&] { load_model(dir / "total.keras"); }), {"total.keras", "in all"}));
}

BOOST_AUTO_TEST_CASE(archive_entries_outside_the_archive_folder_are_refused) {
  const fs::path dir = test::scratch_dir("hostile_zip_paths");
  for (const std::string entry : {"../evil.txt", "/etc/evil", "assets/../../evil", "assets/..\\..\\evil"}) {
    write_zip(dir / "paths.keras", {{"config.json", kKerasConfig}, {"metadata.json", "{}"}, {entry, "x"}}, false);
    BOOST_TEST(mentions(error_of([&] { load_model(dir / "paths.keras"); }), {"paths.keras", entry}));
  }
}

BOOST_AUTO_TEST_CASE(class_names_never_load_plugins_from_other_places) {
  const fs::path dir = test::scratch_dir("hostile_plugin_names");
  // A real plugin file where a hostile name points: never loaded, the class stays unknown.
  const fs::path planted = dir / "ksave-plugin-planted.so";
  load_plugins();
  fs::copy_file(Registry::global().plugins().records().front().path, planted);
  for (const std::string& name : {planted.string(), "../../" + planted.filename().string(), planted.stem().string()}) {
    const Json config = {{"class_name", "Sequential"}, {"config", {{"layers", {{{"class_name", name}, {"config", Json::object()}}}}}}};
    BOOST_TEST(mentions(error_of([&] { model_from_json(config.dump()); }), {"unknown class"}));
  }
  for (const auto& record : Registry::global().plugins().records())
    BOOST_TEST(fs::path(record.path).parent_path() != dir, record.path << " was loaded");
}
