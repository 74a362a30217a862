// plot_model / model_to_dot: which layers become nodes and clusters, which calls become edges,
// the labels of every option (checked against tf.keras 2.21's model_to_dot output for the same
// models), and the pictures Graphviz draws from them.
#define BOOST_TEST_MODULE plot
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <fstream>

#include "dot_structure.hpp"
#include "framework/test_core_support.hpp"
#include "ksave/plot.hpp"
#include "support/error_checks.hpp"
#include "support/test_data.hpp"

using core_test::dense;
using core_test::functional;
using ksave::Json;
using ksave::KerasTensors;
using ksave::test::error_of;
using plot_test::parse_dot;
using Edges = std::set<std::pair<std::string, std::string>>;
namespace fs = std::filesystem;

namespace {

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// a, b → shared Dense (called on both) → sum; outputs sum and shared's first call.
ksave::ModelPtr shared_layer_model() {
  auto a = ksave::Input({4}, "a");
  auto b = ksave::Input({4}, "b");
  auto shared = dense(3, "shared", "relu");
  auto ya = (*shared)(a);
  auto yb = (*shared)(b);
  auto sum = (*std::make_shared<core_test::SumLayer>(Json{{"name", "sum"}}))(KerasTensors{ya, yb})[0];
  return functional({a, b}, {sum, ya}, "two_by_two");
}

// x → inner (a nested model: inner_in → inner_dense) → head.
ksave::ModelPtr nested_model() {
  auto inner_in = ksave::Input({4}, "inner_in");
  auto inner = functional({inner_in}, {(*dense(2, "inner_dense"))(inner_in)}, "inner");
  auto x = ksave::Input({4}, "x");
  auto y = (*dense(1, "head"))((*inner)(x));
  return functional({x}, {y}, "outer");
}

// PATH set to a folder without `dot` for the object's lifetime.
class PathWithoutGraphviz {
 public:
  PathWithoutGraphviz() : saved_(std::getenv("PATH") ? std::getenv("PATH") : "") {
    setenv("PATH", ksave::test::scratch_dir("plot_empty_path").c_str(), 1);
  }
  ~PathWithoutGraphviz() { setenv("PATH", saved_.c_str(), 1); }

 private:
  std::string saved_;
};

}  // namespace

BOOST_AUTO_TEST_CASE(sequential_is_a_chain_from_its_input_layer) {
  auto model = std::make_shared<ksave::Sequential>(
      std::vector<ksave::LayerPtr>{ksave::Input({4}, "features").layer(), dense(3, "hidden", "relu"), dense(1, "out")});
  const auto dot = parse_dot(ksave::model_to_dot(*model));
  BOOST_TEST(dot.labels == (std::map<std::string, std::string>{
                               {"features", "features|InputLayer"}, {"hidden", "hidden|Dense"}, {"out", "out|Dense"}}));
  BOOST_TEST(dot.edges == (Edges{{"features", "hidden"}, {"hidden", "out"}}));
  BOOST_TEST(dot.attributes == (std::map<std::string, std::string>{{"rankdir", "TB"}, {"concentrate", "true"}, {"dpi", "96"}}));
  BOOST_TEST(dot.clusters.empty());
}

BOOST_AUTO_TEST_CASE(several_inputs_and_outputs_and_a_shared_layer_as_keras_draws_them) {
  const auto model = shared_layer_model();
  const auto dot = parse_dot(ksave::model_to_dot(*model));
  // One node per layer; the shared layer gets an edge from each caller, and `sum`, fed twice by
  // `shared`, one edge (Keras's add_edge keeps each pair once).
  BOOST_TEST(dot.labels.size() == 4u);
  BOOST_TEST(dot.edges == (Edges{{"a", "shared"}, {"b", "shared"}, {"shared", "sum"}}));

  ksave::PlotOptions options;
  options.show_shapes = true;
  const auto shapes = parse_dot(ksave::model_to_dot(*model, options));
  BOOST_TEST(shapes.labels.at("a") == "{a|InputLayer}|{input:|output:}|{{[(None, 4)]}|{[(None, 4)]}}");
  BOOST_TEST(shapes.labels.at("shared") == "{shared|Dense}|{input:|output:}|{{(None, 4)}|{(None, 3)}}");
  BOOST_TEST(shapes.labels.at("sum") == "{sum|SumLayer}|{input:|output:}|{{[(None, 3), (None, 3)]}|{(None, 3)}}");
}

BOOST_AUTO_TEST_CASE(a_layer_called_on_different_shapes_shows_question_marks) {
  auto a = ksave::Input({4}, "a");
  auto b = ksave::Input({3}, "b");
  auto act = ksave::make_layer("Activation", {{"activation", "relu"}, {"name", "act"}});
  auto model = functional({a, b}, {(*act)(a), (*act)(b)}, "m");
  ksave::PlotOptions options;
  options.show_shapes = true;
  const auto dot = parse_dot(ksave::model_to_dot(*model, options));
  BOOST_TEST(dot.labels.at("act") == "{act|Activation}|{input:|output:}|{{?}|{?}}");
  BOOST_TEST(dot.edges == (Edges{{"a", "act"}, {"b", "act"}}));
}

BOOST_AUTO_TEST_CASE(nested_model_is_one_node_or_an_expanded_cluster) {
  const auto model = nested_model();
  const auto flat = parse_dot(ksave::model_to_dot(*model));
  BOOST_TEST(flat.labels.at("inner") == "inner|Functional");
  BOOST_TEST(flat.edges == (Edges{{"x", "inner"}, {"inner", "head"}}));

  ksave::PlotOptions options;
  options.expand_nested = true;
  const auto expanded = parse_dot(ksave::model_to_dot(*model, options));
  BOOST_TEST(expanded.clusters == std::vector<std::string>{"cluster_inner"});
  BOOST_TEST(!expanded.labels.count("inner"));
  BOOST_TEST(expanded.cluster_of.at("inner/inner_in") == "cluster_inner");
  BOOST_TEST(expanded.cluster_of.at("inner/inner_dense") == "cluster_inner");
  BOOST_TEST(expanded.cluster_of.at("head") == "");
  BOOST_TEST(expanded.labels.at("inner/inner_dense") == "inner_dense|Dense");
  // Into the cluster's first node, out of its last one, and the nested model's own edge inside.
  BOOST_TEST(expanded.edges ==
             (Edges{{"x", "inner/inner_in"}, {"inner/inner_in", "inner/inner_dense"}, {"inner/inner_dense", "head"}}));
  const std::string text = ksave::model_to_dot(*model, options);
  BOOST_TEST(contains(text, "subgraph cluster_inner {\nstyle=dashed;\nlabel=inner;\nlabeljust=l;\n"), text);
}

BOOST_AUTO_TEST_CASE(options_change_labels_and_layout) {
  auto model = std::make_shared<ksave::Sequential>(
      std::vector<ksave::LayerPtr>{ksave::Input({4}, "in").layer(), dense(3, "hidden", "relu"), dense(1, "out")});
  model->get_layer("out")->set_trainable(false);
  ksave::PlotOptions options;
  options.show_layer_names = false;
  options.show_dtype = true;
  options.show_layer_activations = true;
  options.show_trainable = true;
  options.rankdir = "LR";
  options.dpi = 150;
  const auto dot = parse_dot(ksave::model_to_dot(*model, options));
  BOOST_TEST(dot.labels.at("in") == "T|InputLayer|float32");
  BOOST_TEST(dot.labels.at("hidden") == "T|{Dense|relu}|float32");
  BOOST_TEST(dot.labels.at("out") == "NT|{Dense|linear}|float32");
  BOOST_TEST(dot.attributes.at("rankdir") == "LR");
  BOOST_TEST(dot.attributes.at("dpi") == "150");

  options.show_layer_names = true;
  options.show_shapes = true;
  BOOST_TEST(parse_dot(ksave::model_to_dot(*model, options)).labels.at("hidden") ==
             "T|{hidden|{Dense|relu}|float32}|{input:|output:}|{{(None, 4)}|{(None, 3)}}");

  options.rankdir = "up";
  BOOST_TEST(contains(error_of([&] { ksave::model_to_dot(*model, options); }), "rankdir must be TB, LR, BT or RL"));
  options.rankdir = "TB";
  options.dpi = 0;
  BOOST_TEST(contains(error_of([&] { ksave::model_to_dot(*model, options); }), "dpi must be positive"));
}

BOOST_AUTO_TEST_CASE(wrapper_names_the_layer_it_wraps) {
  auto x = ksave::Input({5, 4}, "steps");
  auto wrapper = ksave::make_layer(
      "TimeDistributed", {{"name", "per_step"}, {"layer", {{"class_name", "Dense"}, {"config", {{"name", "proj"}, {"units", 2}}}}}});
  auto model = functional({x}, {(*wrapper)(x)}, "m");
  const auto dot = parse_dot(ksave::model_to_dot(*model));
  BOOST_TEST(dot.labels.at("per_step") == "per_step(proj)|TimeDistributed(Dense)");
}

BOOST_AUTO_TEST_CASE(names_with_record_characters_are_escaped) {
  auto x = ksave::Input({4}, "in");
  auto model = functional({x}, {(*dense(1, "a|b{c}"))(x)}, "m");
  const std::string text = ksave::model_to_dot(*model);
  BOOST_TEST(contains(text, R"("a|b{c}" [label="a\|b\{c\}|Dense"];)"), text);
}

BOOST_AUTO_TEST_CASE(models_without_a_graph) {
  ksave::Sequential unbuilt({dense(2, "d")});
  BOOST_TEST(contains(error_of([&] { ksave::model_to_dot(unbuilt); }), "has not yet been built"));
}

BOOST_AUTO_TEST_CASE(plot_model_writes_dot_svg_and_png) {
  const fs::path dir = ksave::test::scratch_dir("plot_files");
  const auto model = nested_model();
  ksave::PlotOptions options;
  options.expand_nested = true;
  options.show_shapes = true;
  ksave::plot_model(*model, dir / "model.dot", options);
  BOOST_TEST(read_text(dir / "model.dot") == ksave::model_to_dot(*model, options));

  ksave::plot_model(*model, dir / "model.svg", options);
  const std::string svg = read_text(dir / "model.svg");
  BOOST_TEST(contains(svg, "<svg"));
  for (const char* name : {"inner_dense", "head", "cluster_inner"}) BOOST_TEST(contains(svg, name), name);

  ksave::plot_model(*model, dir / "model.png", options);
  const std::string png = read_text(dir / "model.png");
  BOOST_TEST(png.size() > 1000u);
  BOOST_TEST(png.substr(0, 8) == std::string("\x89PNG\r\n\x1a\n", 8));

  ksave::plot_model(*model, dir / "noextension", options);  // Keras's default: png
  BOOST_TEST(read_text(dir / "noextension").substr(1, 3) == "PNG");
}

BOOST_AUTO_TEST_CASE(missing_graphviz_names_the_debian_package_and_leaves_the_file) {
  const fs::path dir = ksave::test::scratch_dir("plot_no_graphviz");
  std::ofstream(dir / "model.svg") << "previous";
  const auto model = nested_model();
  std::string message;
  {
    PathWithoutGraphviz path;
    message = error_of([&] { ksave::plot_model(*model, dir / "model.svg"); });
    // The DOT text needs no Graphviz.
    ksave::plot_model(*model, dir / "model.gv");
  }
  BOOST_TEST(contains(message, "model.svg"), message);
  BOOST_TEST(contains(message, "Debian package graphviz"), message);
  BOOST_TEST(read_text(dir / "model.svg") == "previous");
  BOOST_TEST(fs::file_size(dir / "model.gv") > 0u);
}

BOOST_AUTO_TEST_CASE(a_format_graphviz_does_not_know_is_its_error) {
  const fs::path dir = ksave::test::scratch_dir("plot_bad_format");
  const std::string message = error_of([&] { ksave::plot_model(*nested_model(), dir / "model.nosuchformat"); });
  BOOST_TEST(contains(message, "as nosuchformat"), message);
  BOOST_TEST(contains(message, "not recognized"), message);
  BOOST_TEST(!fs::exists(dir / "model.nosuchformat"));
  for (const auto& entry : fs::directory_iterator(dir)) BOOST_ERROR("left behind: " << entry.path());
}
