// A plugin's own primitive op (plugin_op/scaled_softsign.cpp, declared once with its TensorFlow
// signature) is traced into a SavedModel like a built-in op — a node of its op type with its
// attribute, float32 inputs — and runs back from the serving signature through the graph
// runtime, giving the model's predictions.
#define BOOST_TEST_MODULE format_savedmodel_plugin_ops
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <fstream>

#include "ksave/ksave.hpp"
#include "ksave/loaded_functions.hpp"
#include "ksave/registry.hpp"
#include "ksave/saving.hpp"
#include "ksave_tf_saved_model.pb.h"
#include "support/test_data.hpp"

namespace fs = std::filesystem;
using namespace ksave;

namespace {

ModelPtr dense_then_plugin_op() {
  auto inputs = Input({3}, "features");
  auto dense = make_layer("Dense", {{"units", 4}, {"name", "dense"}});
  auto softsign = make_layer("TracedOps>ScaledSoftsign", {{"scale", 2.5}, {"name", "scaled_softsign"}});
  return std::make_shared<Functional>(KerasTensors{inputs}, KerasTensors{(*softsign)((*dense)(inputs))});
}

tfproto::SavedModel read_saved_model(const fs::path& folder) {
  std::ifstream in(folder / "saved_model.pb", std::ios::binary);
  tfproto::SavedModel saved_model;
  BOOST_REQUIRE(saved_model.ParseFromIstream(&in));
  return saved_model;
}

}  // namespace

BOOST_AUTO_TEST_CASE(plugin_op_is_traced_and_runs_back_from_the_saved_model) {
  BOOST_REQUIRE_MESSAGE(Registry::global().find_registered(Kind::Op, "ScaledSoftsign"),
                        "the test_traced_op plugin is not loaded (KSAVE_PLUGIN_PATH)");
  ModelPtr model = dense_then_plugin_op();
  const fs::path folder = test::scratch_dir("plugin_ops") / "model";
  save_model(*model, folder);

  int traced_nodes = 0;
  // (bound to a name: a range over a member of a temporary would dangle)
  const tfproto::SavedModel saved_model = read_saved_model(folder);
  for (const auto& function : saved_model.meta_graphs(0).graph_def().library().function())
    for (const auto& node : function.node_def())
      if (node.op() == "ScaledSoftsign") {
        ++traced_nodes;
        BOOST_TEST(node.attr().at("scale").f() == 2.5f);
        BOOST_TEST(node.attr().at("T").type() == tfproto::DT_FLOAT);
      }
  BOOST_TEST(traced_nodes > 0);

  const Tensor x = Tensor::from_vector<float>({0.5f, -1, 2, 0, 0.25f, -3}, {2, 3});
  const std::vector<float> expected = model->predict(x).to_vector<float>();
  const NamedTensors outputs = load_functions(folder)->signature("serving_default")({{"features", x}});
  BOOST_REQUIRE_EQUAL(outputs.size(), 1u);
  const std::vector<float> served = outputs.begin()->second.to_vector<float>();
  BOOST_TEST(served == expected, boost::test_tools::tolerance(1e-6f) << boost::test_tools::per_element());
  for (float v : expected) BOOST_TEST(std::fabs(v) < 2.5f);  // the op ran: |scale · softsign| < scale
}
