// The `ksave` command as a user runs it: exit status 0 / 1 (one "ksave: error:" line) / 2 (usage
// hint), and each subcommand on real files, through the format plugins of the tree.
#define BOOST_TEST_MODULE test_cli
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <fstream>

#include "cli_runner.hpp"
#include "ksave/npy.hpp"
#include "ksave/plugin_loader.hpp"
#include "ksave/registry.hpp"
#include "ksave/saving.hpp"
#include "ksave/serialization.hpp"
#include "support/compare.hpp"
#include "support/test_data.hpp"

using ksave::Json;
using ksave::test::contains;
using ksave::test::read_text;
using ksave::test::run_ksave;
namespace fs = std::filesystem;

namespace {

// A runtime error: status 1 and exactly one line on stderr, "ksave: error: ...".
void expect_runtime_error(const ksave::test::CliResult& r, const std::string& part) {
  BOOST_TEST(r.status == 1);
  const auto lines = r.err_lines();
  BOOST_TEST_REQUIRE(lines.size() == 1u, r.err);
  BOOST_TEST(lines[0].rfind("ksave: error: ", 0) == 0u, lines[0]);
  BOOST_TEST(contains(lines[0], part), lines[0]);
}

void expect_usage_error(const ksave::test::CliResult& r, const std::string& part) {
  BOOST_TEST(r.status == 2);
  BOOST_TEST(r.err.rfind("ksave: error: ", 0) == 0u, r.err);
  BOOST_TEST(contains(r.err, part), r.err);
  BOOST_TEST(contains(r.err, "usage: ksave"), r.err);
}

// An architecture JSON written by the library: Dense(4, relu) → Dense(2) on 3 features.
fs::path saved_architecture(const fs::path& dir) {
  auto model = std::make_shared<ksave::Sequential>(
      std::vector<ksave::LayerPtr>{
          ksave::make_layer("Dense", {{"name", "hidden"}, {"units", 4}, {"activation", "relu"}, {"batch_input_shape", {nullptr, 3}}}),
          ksave::make_layer("Dense", {{"name", "out"}, {"units", 2}})},
      "cli_model");
  const fs::path path = dir / "architecture.json";
  ksave::save_model(*model, path);
  return path;
}

// |a - b| <= atol + rtol * |b| everywhere (NaN-safe), with the same shape.
void expect_close(const ksave::Tensor& a, const ksave::Tensor& b, double rtol, double atol) {
  BOOST_TEST(ksave::test::close(a, b, {.rtol = rtol, .atol = atol}));
}

}  // namespace

BOOST_AUTO_TEST_CASE(help_lists_every_command) {
  const auto r = run_ksave({"--help"});
  BOOST_TEST(r.status == 0);
  for (const char* c : {"predict MODEL", "fit MODEL", "convert SRC DST", "inspect PATH", "ckpt PATH", "plugins", "demo"})
    BOOST_TEST(contains(r.out, c), c);
  const auto p = run_ksave({"predict", "--help"});
  BOOST_TEST(p.status == 0);
  BOOST_TEST(contains(p.out, "--batch-size"));
  BOOST_TEST(contains(p.out, "--weights"));
}

BOOST_AUTO_TEST_CASE(command_line_mistakes_exit_2_with_a_usage_hint) {
  const fs::path dir = ksave::test::scratch_dir("cli_usage");
  const std::string model = saved_architecture(dir).string();
  BOOST_TEST(run_ksave({}).status == 2);
  const auto unknown = run_ksave({"frobnicate"});
  BOOST_TEST(unknown.status == 2);
  BOOST_TEST(contains(unknown.err, "unknown command 'frobnicate'"));
  expect_usage_error(run_ksave({"predict"}), "MODEL");
  expect_usage_error(run_ksave({"predict", model, "--input", "x.npy"}), "--output");
  expect_usage_error(run_ksave({"predict", model, "--bogus"}), "bogus");
  expect_usage_error(run_ksave({"predict", model, "--input", "x.npy", "--output", "y.npy", "--batch-size", "many"}), "batch-size");
  expect_usage_error(run_ksave({"predict", model, "--input", "x.npy", "--output", "y.npy", "--batch-size", "0"}), "positive");
  expect_usage_error(run_ksave({"inspect"}), "PATH");
  expect_usage_error(run_ksave({"inspect", model, model}), "too many");
  expect_usage_error(run_ksave({"convert", model}), "DST");
  expect_usage_error(run_ksave({"ckpt", "prefix", "--tensor", "w"}), "--output");
  expect_usage_error(run_ksave({"demo", "--epochs"}), "epochs");
  expect_usage_error(run_ksave({"demo", "--epochs", "-1"}), "epochs");
}

BOOST_AUTO_TEST_CASE(runtime_errors_exit_1_with_one_line) {
  const fs::path dir = ksave::test::scratch_dir("cli_runtime");
  const std::string model = saved_architecture(dir).string();
  expect_runtime_error(run_ksave({"inspect", (dir / "absent.h5").string()}), "absent.h5");
  // A JSON architecture has no weights to predict with.
  expect_runtime_error(run_ksave({"predict", model, "--input", "x.npy", "--output", "y.npy"}),
                       "no weights: '" + model + "' is an architecture only");
  std::ofstream(dir / "broken.json") << R"({"class_name": "Sequential", "config": {"layers": [)";
  expect_runtime_error(run_ksave({"inspect", (dir / "broken.json").string()}), "at byte");
  std::ofstream(dir / "unknown.json") << R"({"class_name": "Sequential", "config": {"layers": [
    {"class_name": "Fancy", "config": {"name": "f", "batch_input_shape": [null, 2]}},
    {"class_name": "Fancier", "config": {"name": "g"}}]}})";
  const auto r = run_ksave({"convert", (dir / "unknown.json").string(), (dir / "out.json").string()});
  expect_runtime_error(r, "'Fancy'");
  BOOST_TEST(contains(r.err, "'Fancier'"));
  BOOST_TEST(!fs::exists(dir / "out.json"));
  expect_runtime_error(run_ksave({"convert", model, (dir / "out").string(), "--to", "no-such-format"}), "unknown format 'no-such-format'");
  expect_runtime_error(run_ksave({"ckpt", (dir / "model.ckpt").string()}), "model.ckpt");
}

BOOST_AUTO_TEST_CASE(plugins_lists_what_loaded_and_entry_points) {
  const auto text = run_ksave({"plugins"});
  BOOST_TEST(text.status == 0);
  BOOST_TEST(contains(text.out, "search paths:"));
  BOOST_TEST(contains(text.out, "format_json"));
  BOOST_TEST(contains(text.out, "format json"));
  BOOST_TEST(contains(text.out, "layer Dense"));
  const auto listing = run_ksave({"plugins", "--json"});
  BOOST_TEST_REQUIRE(listing.status == 0);
  const Json all = Json::parse(listing.out);
  std::string json_plugin;
  for (const Json& p : all["plugins"]) {
    if (p["name"] != "format_json") continue;
    json_plugin = p["path"].get<std::string>();
    BOOST_TEST(p["loaded"] == true);
    BOOST_TEST(p["registered"] == Json::array({"format json"}));
    BOOST_TEST(p["entry_symbols"] == Json::array({"ksave_plugin_entry"}));
  }
  BOOST_TEST_REQUIRE(!json_plugin.empty());
  // What the core registers is listed apart from every plugin's.
  const Json& core = all["core_registered"];
  BOOST_TEST((std::find(core.begin(), core.end(), "layer InputLayer") != core.end()));
  BOOST_TEST((std::find(core.begin(), core.end(), "layer Dense") == core.end()));
  // A file's entry point, read without loading it; a file that is no plugin has none.
  const auto file = run_ksave({"plugins", json_plugin});
  BOOST_TEST(file.status == 0);
  BOOST_TEST(contains(file.out, "ksave_plugin_entry"));
  const auto not_plugin = run_ksave({"plugins", KSAVE_CLI_PATH, "--json"});
  BOOST_TEST(not_plugin.status == 0);
  BOOST_TEST(Json::parse(not_plugin.out)[0]["entry_symbols"] == Json::array());
}

BOOST_AUTO_TEST_CASE(inspect_describes_json_files) {
  const fs::path dir = ksave::test::scratch_dir("cli_inspect");
  const std::string model = saved_architecture(dir).string();
  const auto text = run_ksave({"inspect", model});
  BOOST_TEST(text.status == 0);
  for (const char* part : {"format: json", "class_name: Sequential", "hidden", "Dense", "Total params"})
    BOOST_TEST(contains(text.out, part), part);
  const auto json = run_ksave({"inspect", model, "--json"});
  BOOST_TEST_REQUIRE(json.status == 0);
  const Json d = Json::parse(json.out);
  BOOST_TEST(d["layers"].size() == 2u);
  BOOST_TEST(d["keras_version"] == ksave::kKerasVersion);

  const auto real = ksave::test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  // KotlinDL's ResNet config: described even before its Conv2D/Add plugins exist.
  const auto resnet = run_ksave({"inspect", (*real / "kotlindl_toyresnet_add_gap" / "modelConfig.json").string(), "--json"});
  BOOST_TEST_REQUIRE(resnet.status == 0);
  const Json r = Json::parse(resnet.out);
  BOOST_TEST(r["class_name"] == "Model");
  BOOST_TEST(r["layers"].size() >= 13u);
  BOOST_TEST(contains(r.dump(), "GlobalAveragePooling2D"));
}

BOOST_AUTO_TEST_CASE(convert_writes_json_from_json) {
  const fs::path dir = ksave::test::scratch_dir("cli_convert");
  const fs::path model = saved_architecture(dir);
  const auto r = run_ksave({"convert", model.string(), (dir / "copy.json").string()});
  BOOST_TEST(r.status == 0, r.err);
  BOOST_TEST(read_text(dir / "copy.json") == read_text(model));
  BOOST_TEST(run_ksave({"convert", model.string(), (dir / "named").string(), "--to", "json"}).status == 0);
  BOOST_TEST(read_text(dir / "named") == read_text(model));

  const auto real = ksave::test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  // Keras 2.3.1's to_json (Dense + Activation) rewritten in tf.keras 2.x's form.
  const fs::path keras231 = *real / "dl4j_keras231_mlp_full_weights_json_io" / "simple_sparse_xent_mlp_keras_2_config.json";
  const auto c = run_ksave({"convert", keras231.string(), (dir / "keras231.json").string()});
  BOOST_TEST_REQUIRE(c.status == 0, c.err);
  ksave::ModelPtr original = ksave::load_model(keras231), converted = ksave::load_model(dir / "keras231.json");
  BOOST_TEST(converted->to_json() == original->to_json());
  BOOST_TEST(Json::parse(read_text(dir / "keras231.json"))["keras_version"] == ksave::kKerasVersion);
}

// ONNX through the command: the target format from DST's extension, its options with --option,
// `inspect` describing the result; a malformed --option is a usage error, an unknown key the
// format's error.
BOOST_AUTO_TEST_CASE(convert_writes_onnx_with_format_options) {
  const fs::path dir = ksave::test::scratch_dir("cli_onnx");
  const fs::path h5 = dir / "model.h5";
  ksave::save_model(*ksave::load_model(saved_architecture(dir)), h5);
  const fs::path onnx = dir / "model.onnx";
  const auto r = run_ksave({"convert", h5.string(), onnx.string(), "--option", "opset=15", "--option", "external_data=false"});
  BOOST_TEST_REQUIRE(r.status == 0, r.err);
  BOOST_TEST(contains(r.out, "(onnx)"), r.out);
  const auto i = run_ksave({"inspect", onnx.string(), "--json"});
  BOOST_TEST_REQUIRE(i.status == 0, i.err);
  const Json d = Json::parse(i.out);
  BOOST_TEST(d["format"] == "onnx");
  BOOST_TEST(d["opset"][0]["version"] == 15);
  BOOST_TEST(d["external_data"] == false);
  BOOST_TEST(contains(run_ksave({"inspect", onnx.string()}).out, "Gemm"));
  expect_usage_error(run_ksave({"convert", h5.string(), onnx.string(), "--option", "opset"}), "KEY=VALUE");
  expect_runtime_error(run_ksave({"convert", h5.string(), onnx.string(), "--option", "colour=blue"}), "'colour'");
}

namespace {

// Every registered format, by name.
std::vector<ksave::FormatPtr> registered_formats() {
  ksave::load_plugins();
  std::vector<ksave::FormatPtr> formats;
  for (const auto& entry : ksave::Registry::global().entries(ksave::Kind::Format))
    formats.push_back(entry->as<ksave::FormatFactory>()());
  std::sort(formats.begin(), formats.end(), [](const auto& a, const auto& b) { return a->name() < b->name(); });
  return formats;
}

// The demo's rows, "<format> <contents>", from what the registered formats can do.
std::vector<std::string> expected_demo_rows() {
  using ksave::Capability;
  std::vector<std::string> rows;
  for (const auto& format : registered_formats()) {
    if (format->can(Capability::SaveModel) && format->can(Capability::LoadModel))
      rows.push_back(format->name() + (format->traits().holds_values ? " whole model" : " architecture only"));
    if (format->can(Capability::SaveWeights) && format->can(Capability::LoadWeights))
      rows.push_back(format->name() + " weights only");
  }
  return rows;
}

}  // namespace

BOOST_AUTO_TEST_CASE(demo_saves_and_reloads_in_every_format) {
  const fs::path dir = ksave::test::scratch_dir("cli_demo");
  const auto r = run_ksave({"demo", "--dir", dir.string()});
  BOOST_TEST(r.status == 0, r.err);
  BOOST_TEST(contains(r.out, "training: adam, mse, 20 epochs"), r.out);
  BOOST_TEST(contains(r.out, "max |diff|"));
  BOOST_TEST(!contains(r.out, "not in this build"), r.out);
  // Every row: each registered format (the demo names none itself), whole model and/or weights,
  // reloaded predictions equal to the original's (the last column is the largest difference, 0);
  // a format that declares path endings has its file written under the first one.
  const std::vector<std::string> expected_rows = expected_demo_rows();
  BOOST_TEST(!expected_rows.empty());
  for (const auto& format : registered_formats()) {
    const auto endings = format->traits().model_endings;
    if (!endings.empty() && format->can(ksave::Capability::LoadModel))
      BOOST_TEST(fs::exists(dir / ("demo_model" + endings.front())), format->name() << ": demo_model" << endings.front());
  }
  std::vector<std::string> rows;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    for (const auto& row : expected_rows) {
      const auto format = row.substr(0, row.find(' ')), contents = row.substr(row.find(' ') + 1);
      if (line.rfind(format + " ", 0) != 0 || !contains(line, contents)) continue;
      rows.push_back(row);
      BOOST_TEST(line.substr(line.find_last_of(' ') + 1) == "0", line);
    }
  }
  BOOST_TEST(rows == expected_rows, boost::test_tools::per_element());
  const auto untrained = run_ksave({"demo", "--epochs", "0"});
  BOOST_TEST(untrained.status == 0, untrained.err);
  BOOST_TEST(contains(untrained.out, "training: skipped (--epochs 0)"), untrained.out);
}

BOOST_AUTO_TEST_CASE(predict_runs_json_with_hdf5_weights) {
  const auto real = ksave::test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  const fs::path case_dir = *real / "dl4j_keras231_mlp_full_weights_json_io";
  const fs::path json = case_dir / "simple_sparse_xent_mlp_keras_2_config.json";
  const fs::path weights = case_dir / "simple_sparse_xent_mlp_keras_2_weights.h5";
  const fs::path input = case_dir / "expected" / "input_0.npy";
  const fs::path out = ksave::test::scratch_dir("cli_predict") / "y.npy";
  const auto r = run_ksave({"predict", json.string(), "--weights", weights.string(), "--input", input.string(), "--output", out.string()});
  BOOST_TEST_REQUIRE(r.status == 0, r.err);
  expect_close(ksave::read_npy(out), ksave::read_npy(case_dir / "expected" / "output_0.npy"), 1e-4, 1e-5);
  // The whole-model file of the same case gives the same numbers.
  const auto whole = run_ksave({"predict", (case_dir / "simple_sparse_xent_mlp_keras_2_model.h5").string(), "--input",
                                input.string(), "--output", out.string(), "--batch-size", "2"});
  BOOST_TEST_REQUIRE(whole.status == 0, whole.err);
  expect_close(ksave::read_npy(out), ksave::read_npy(case_dir / "expected" / "output_0.npy"), 1e-4, 1e-5);
  // Two inputs for a one-input model: the error names the model's input.
  expect_runtime_error(run_ksave({"predict", json.string(), "--weights", weights.string(), "--input", input.string(),
                                  "--input", input.string(), "--output", out.string()}),
                       "1 input");
}

BOOST_AUTO_TEST_CASE(ckpt_lists_and_extracts_variables) {
  const auto real = ksave::test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  const fs::path case_dir = *real / "t2t_tf1_ckpt_two_shards";
  const std::string prefix = (case_dir / "transformer_test_ckpt" / "model.ckpt-1").string();
  const auto listing = run_ksave({"ckpt", prefix, "--json"});
  BOOST_TEST_REQUIRE(listing.status == 0, listing.err);
  const Json expected = Json::parse(read_text(case_dir / "expected" / "variables.json"));
  BOOST_TEST(Json::parse(listing.out)["variables"].size() == expected["variables"].size());
  const auto text = run_ksave({"ckpt", prefix});
  BOOST_TEST(text.status == 0);
  BOOST_TEST(contains(text.out, "transformer/body/decoder/layer_0/ffn/conv1/bias"));
  const fs::path out = ksave::test::scratch_dir("cli_ckpt") / "t.npy";
  for (const auto& [key, file] : std::vector<std::pair<std::string, std::string>>{
           {"global_step", "var_global_step.npy"},
           {"transformer/body/decoder/layer_0/ffn/conv1/bias", "var_transformer__body__decoder__layer_0__ffn__conv1__bias.npy"}}) {
    const auto r = run_ksave({"ckpt", prefix, "--tensor", key, "--output", out.string()});
    BOOST_TEST_REQUIRE(r.status == 0, r.err);
    expect_close(ksave::read_npy(out), ksave::read_npy(case_dir / "expected" / file), 0, 0);
  }
  expect_runtime_error(run_ksave({"ckpt", prefix, "--tensor", "no/such/variable", "--output", out.string()}), "no/such/variable");
}

// convert dispatches through any registered format: JSON + HDF5 weights → a whole HDF5 model,
// and → a TF checkpoint of the weights; each result predicts the case's expected outputs.
BOOST_AUTO_TEST_CASE(convert_between_weight_formats_keeps_predictions) {
  const auto real = ksave::test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  const fs::path case_dir = *real / "dl4j_keras231_mlp_full_weights_json_io";
  const std::string json = (case_dir / "simple_sparse_xent_mlp_keras_2_config.json").string();
  const std::string weights = (case_dir / "simple_sparse_xent_mlp_keras_2_weights.h5").string();
  const std::string input = (case_dir / "expected" / "input_0.npy").string();
  const ksave::Tensor expected = ksave::read_npy(case_dir / "expected" / "output_0.npy");
  const fs::path dir = ksave::test::scratch_dir("cli_convert_weights");
  const std::string out = (dir / "y.npy").string();

  const std::string whole = (dir / "model.h5").string();
  const auto to_h5 = run_ksave({"convert", json, whole, "--weights", weights});
  BOOST_TEST_REQUIRE(to_h5.status == 0, to_h5.err);
  const auto p1 = run_ksave({"predict", whole, "--input", input, "--output", out});
  BOOST_TEST_REQUIRE(p1.status == 0, p1.err);
  expect_close(ksave::read_npy(out), expected, 1e-4, 1e-5);

  const std::string prefix = (dir / "ckpt").string();
  const auto to_ckpt = run_ksave({"convert", whole, prefix, "--to", "tf-checkpoint"});
  BOOST_TEST_REQUIRE(to_ckpt.status == 0, to_ckpt.err);
  BOOST_TEST(contains(to_ckpt.out, "weights only"));
  const auto p2 = run_ksave({"predict", json, "--weights", prefix, "--input", input, "--output", out});
  BOOST_TEST_REQUIRE(p2.status == 0, p2.err);
  expect_close(ksave::read_npy(out), expected, 1e-4, 1e-5);
  // The checkpoint lists the model's two variables.
  const auto listing = run_ksave({"ckpt", prefix, "--json"});
  BOOST_TEST_REQUIRE(listing.status == 0, listing.err);
  BOOST_TEST(contains(listing.out, "kernel"));
}
