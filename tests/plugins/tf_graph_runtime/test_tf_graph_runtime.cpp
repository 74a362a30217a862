// The graph runtime alone: a FunctionDef library and a TF1 GraphDef written here node by node
// (Const, MatMul, BiasAdd, Relu, Reshape with its shape as a constant input, a function call)
// run through FunctionLibrary::call and run_graph and give the values computed by hand; op types
// ksave lacks are listed in one report; broken graphs (cycles, dangling inputs, wrong arity)
// give errors naming the function and node.
#define BOOST_TEST_MODULE tf_graph_runtime
#include <boost/test/unit_test.hpp>

#include <memory>
#include <string>
#include <vector>

#include "graph_executor.hpp"
#include "ksave/error.hpp"
#include "ksave/tensor.hpp"
#include "ksave_tf_graph.pb.h"

using namespace ksave;
using namespace ksave::plugins::savedmodel;

namespace {

tfproto::NodeDef& add_node(google::protobuf::RepeatedPtrField<tfproto::NodeDef>& nodes, const std::string& name,
                           const std::string& op, const std::vector<std::string>& inputs) {
  tfproto::NodeDef& node = *nodes.Add();
  node.set_name(name);
  node.set_op(op);
  for (const auto& input : inputs) node.add_input(input);
  return node;
}

void set_float_type(tfproto::NodeDef& node, const std::string& attr = "T") { (*node.mutable_attr())[attr].set_type(tfproto::DT_FLOAT); }

tfproto::NodeDef& add_const(google::protobuf::RepeatedPtrField<tfproto::NodeDef>& nodes, const std::string& name,
                            const std::vector<float>& values, const std::vector<std::int64_t>& shape) {
  tfproto::NodeDef& node = add_node(nodes, name, "Const", {});
  set_float_type(node, "dtype");
  tfproto::TensorProto& tensor = *(*node.mutable_attr())["value"].mutable_tensor();
  tensor.set_dtype(tfproto::DT_FLOAT);
  for (auto d : shape) tensor.mutable_tensor_shape()->add_dim()->set_size(d);
  for (float v : values) tensor.add_float_val(v);
  return node;
}

tfproto::NodeDef& add_int_const(google::protobuf::RepeatedPtrField<tfproto::NodeDef>& nodes, const std::string& name,
                                const std::vector<std::int32_t>& values) {
  tfproto::NodeDef& node = add_node(nodes, name, "Const", {});
  (*node.mutable_attr())["dtype"].set_type(tfproto::DT_INT32);
  tfproto::TensorProto& tensor = *(*node.mutable_attr())["value"].mutable_tensor();
  tensor.set_dtype(tfproto::DT_INT32);
  tensor.mutable_tensor_shape()->add_dim()->set_size(static_cast<std::int64_t>(values.size()));
  for (auto v : values) tensor.add_int_val(v);
  return node;
}

void add_arg(tfproto::OpDef& signature, bool input, const std::string& name) {
  tfproto::OpDef::ArgDef& arg = input ? *signature.add_input_arg() : *signature.add_output_arg();
  arg.set_name(name);
  arg.set_type(tfproto::DT_FLOAT);
}

// dense(x) = relu(x · [[1, -1], [2, 0.5]] + [0.5, -3]), and outer(x) = reshape(dense(x), [-1]),
// calling dense by name as tf.function's StatefulPartitionedCall does.
std::shared_ptr<tfproto::FunctionDefLibrary> dense_library() {
  auto library = std::make_shared<tfproto::FunctionDefLibrary>();
  tfproto::FunctionDef& dense = *library->add_function();
  dense.mutable_signature()->set_name("dense");
  add_arg(*dense.mutable_signature(), true, "x");
  add_arg(*dense.mutable_signature(), false, "y");
  auto& nodes = *dense.mutable_node_def();
  add_const(nodes, "kernel", {1, -1, 2, 0.5f}, {2, 2});
  add_const(nodes, "bias", {0.5f, -3}, {2});
  set_float_type(add_node(nodes, "MatMul", "MatMul", {"x", "kernel:output:0"}));
  set_float_type(add_node(nodes, "BiasAdd", "BiasAdd", {"MatMul:product:0", "bias:output:0"}));
  set_float_type(add_node(nodes, "Relu", "Relu", {"BiasAdd:output:0"}));
  (*dense.mutable_ret())["y"] = "Relu:activations:0";

  tfproto::FunctionDef& outer = *library->add_function();
  outer.mutable_signature()->set_name("outer");
  add_arg(*outer.mutable_signature(), true, "x");
  add_arg(*outer.mutable_signature(), false, "flat");
  auto& outer_nodes = *outer.mutable_node_def();
  tfproto::NodeDef& call = add_node(outer_nodes, "call", "StatefulPartitionedCall", {"x"});
  (*call.mutable_attr())["f"].mutable_func()->set_name("dense");
  add_int_const(outer_nodes, "shape", {-1});
  tfproto::NodeDef& reshape = add_node(outer_nodes, "Reshape", "Reshape", {"call:output:0", "shape:output:0"});
  set_float_type(reshape);
  (*reshape.mutable_attr())["Tshape"].set_type(tfproto::DT_INT32);
  (*outer.mutable_ret())["flat"] = "Reshape:output:0";
  return library;
}

std::vector<float> values_of(const GraphValues& values, std::size_t i = 0) {
  BOOST_REQUIRE(i < values.size());
  return values[i].tensor.to_vector<float>();
}

std::string error_of(const std::function<void()>& run) {
  try {
    run();
  } catch (const Error& e) {
    return e.what();
  }
  return {};
}

}  // namespace

BOOST_AUTO_TEST_CASE(function_library_runs_a_function_and_its_callee) {
  auto library_proto = dense_library();
  const FunctionLibrary library(library_proto, *library_proto);
  const Tensor x = Tensor::from_vector<float>({1, 2, -1, 0}, {2, 2});
  // Row 1: [1·1 + 2·2 + 0.5, 1·-1 + 2·0.5 - 3] = [5.5, -3] → relu [5.5, 0]; row 2: [-0.5, -2] → [0, 0].
  const std::vector<float> expected = {5.5f, 0, 0, 0};
  const std::vector<float> dense = values_of(library.call("dense", {tensor_value(x)}));
  BOOST_TEST(dense == expected, boost::test_tools::per_element());
  const GraphValues flat = library.call("outer", {tensor_value(x)});
  BOOST_TEST(flat[0].tensor.shape() == (Shape{4}));
  BOOST_TEST(values_of(flat) == expected, boost::test_tools::per_element());
  // A prepared body runs again with other inputs (constants folded once, buffers reused).
  const std::vector<float> again = values_of(library.call("outer", {tensor_value(Tensor::from_vector<float>({0, 0, 1, 1}, {2, 2}))}));
  BOOST_TEST(again == (std::vector<float>{0.5f, 0, 3.5f, 0}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(tf1_graph_runs_from_feeds_to_fetches) {
  tfproto::GraphDef graph;
  auto& nodes = *graph.mutable_node();
  tfproto::NodeDef& x = add_node(nodes, "x", "Placeholder", {});
  set_float_type(x, "dtype");
  add_const(nodes, "two", {2}, {});
  set_float_type(add_node(nodes, "mul", "Mul", {"x", "two"}));
  set_float_type(add_node(nodes, "y", "Tanh", {"mul:0"}));
  const FunctionLibrary library(std::make_shared<tfproto::FunctionDefLibrary>(), tfproto::FunctionDefLibrary());
  const GraphValues out = run_graph(graph, library, {{"x:0", tensor_value(Tensor::from_vector<float>({0, 0.25f}, {2}))}}, {"y:0", "mul:0"},
                                    [](const tfproto::NodeDef&) -> VariablePtr { return nullptr; });
  BOOST_REQUIRE_EQUAL(out.size(), 2u);
  BOOST_TEST(values_of(out, 1) == (std::vector<float>{0, 0.5f}), boost::test_tools::per_element());
  const std::vector<float> y = values_of(out, 0);
  BOOST_TEST(y[0] == 0.f);
  BOOST_TEST(y[1] == std::tanh(0.5f), boost::test_tools::tolerance(1e-6f));
}

BOOST_AUTO_TEST_CASE(unsupported_ops_are_listed_with_where_they_occur) {
  auto library_proto = dense_library();
  auto& nodes = *library_proto->mutable_function(0)->mutable_node_def();
  nodes.Mutable(4)->set_op("NoSuchActivation");
  const FunctionLibrary library(library_proto, *library_proto);
  const std::string report = library.unsupported_ops({"outer"});
  BOOST_TEST_INFO("report: " << report);
  BOOST_TEST(report.find("NoSuchActivation") != std::string::npos);
  BOOST_TEST(report.find("dense") != std::string::npos);
  BOOST_TEST(library.unsupported_ops({"outer"}) == report);
  auto intact = dense_library();
  BOOST_TEST(FunctionLibrary(intact, *intact).unsupported_ops({"outer"}).empty());
}

BOOST_AUTO_TEST_CASE(broken_graphs_give_errors_naming_the_node) {
  const Tensor x = Tensor::from_vector<float>({1, 2}, {1, 2});
  {  // Relu feeds MatMul, which feeds Relu.
    auto proto = dense_library();
    proto->mutable_function(0)->mutable_node_def(2)->set_input(0, "Relu:activations:0");
    const FunctionLibrary library(proto, *proto);
    const std::string message = error_of([&] { library.call("dense", {tensor_value(x)}); });
    BOOST_TEST_INFO("error: " << message);
    BOOST_TEST(message.find("cycle") != std::string::npos);
  }
  {  // An input naming a node that is not there.
    auto proto = dense_library();
    proto->mutable_function(0)->mutable_node_def(3)->set_input(1, "gone:output:0");
    const FunctionLibrary library(proto, *proto);
    const std::string message = error_of([&] { library.call("dense", {tensor_value(x)}); });
    BOOST_TEST_INFO("error: " << message);
    BOOST_TEST(message.find("gone") != std::string::npos);
    BOOST_TEST(message.find("dense") != std::string::npos);
  }
  {  // Tanh given two inputs.
    auto proto = dense_library();
    auto& relu = *proto->mutable_function(0)->mutable_node_def(4);
    relu.set_op("Tanh");
    relu.add_input("BiasAdd:output:0");
    const FunctionLibrary library(proto, *proto);
    const std::string message = error_of([&] { library.call("dense", {tensor_value(x)}); });
    BOOST_TEST_INFO("error: " << message);
    BOOST_TEST(message.find("Relu") != std::string::npos);
    BOOST_TEST(message.find("expected 1 inputs, got 2") != std::string::npos);
  }
  {  // A call of a function the library lacks.
    auto proto = dense_library();
    (*proto->mutable_function(1)->mutable_node_def(0)->mutable_attr())["f"].mutable_func()->set_name("missing");
    const FunctionLibrary library(proto, *proto);
    const std::string message = error_of([&] { library.call("outer", {tensor_value(x)}); });
    BOOST_TEST_INFO("error: " << message);
    BOOST_TEST(message.find("missing") != std::string::npos);
  }
}
