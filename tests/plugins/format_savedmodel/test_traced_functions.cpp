// The traced functions ksave writes into SavedModels (save_traces=true, the default): the object
// graph of a Sequential Dense model and of an LSTM model has the structure tf.keras 2.11/2.12
// writes (compared with the real fixtures: object kinds, children, functions and concrete
// functions, signature names and specs, keras_metadata keys), the files decode with protoc
// against our schemas, the FunctionDefs use TensorFlow's ops and attributes, and save_traces=false
// leaves the traces out (smaller files, no functions, no serving signature).
#define BOOST_TEST_MODULE format_savedmodel_traced_functions
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "ksave/ksave.hpp"
#include "ksave/loaded_functions.hpp"
#include "ksave/saving.hpp"
#include "ksave/serialization.hpp"
#include "ksave_tf_saved_model.pb.h"
#include "support/compare.hpp"
#include "support/stderr_capture.hpp"
#include "support/test_data.hpp"

namespace fs = std::filesystem;
using namespace ksave;

namespace {

using Object = tfproto::SavedObject;
using Names = std::set<std::string>;

// The SavedModel-only children tf.keras gives every traced layer.
const Names kLayerExtras = {"variables", "trainable_variables", "regularization_losses", "keras_api", "__call__",
                            "call_and_return_all_conditional_losses"};

std::string file_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

struct Saved {
  tfproto::SavedModel model;
  tfproto::KerasSavedMetadata metadata;
  const tfproto::MetaGraphDef& meta() const { return model.meta_graphs(0); }
  const tfproto::SavedObjectGraph& graph() const { return meta().object_graph_def(); }
};

Saved read_folder(const fs::path& folder) {
  Saved out;
  BOOST_TEST_REQUIRE(out.model.ParseFromString(file_bytes(folder / "saved_model.pb")));
  BOOST_TEST_REQUIRE(out.metadata.ParseFromString(file_bytes(folder / "keras_metadata.pb")));
  return out;
}

int child_id(const tfproto::SavedObjectGraph& graph, int node, const std::string& name) {
  for (const auto& child : graph.nodes(node).children())
    if (child.local_name() == name) return child.node_id();
  return -1;
}

// The node at a dotted path from the root ("layer-1.keras_api"); -1 when absent.
int node_at(const tfproto::SavedObjectGraph& graph, const std::string& path) {
  int node = 0;
  std::stringstream parts(path);
  for (std::string part; node >= 0 && std::getline(parts, part, '.');) node = child_id(graph, node, part);
  return node;
}

Names child_names(const tfproto::SavedObjectGraph& graph, int node, const Names* only = nullptr) {
  Names out;
  if (node < 0) return {"<absent>"};
  for (const auto& child : graph.nodes(node).children())
    if (!only || only->count(child.local_name())) out.insert(child.local_name());
  return out;
}

std::string identifier(const tfproto::SavedObjectGraph& graph, int node) {
  if (node < 0) return "<absent>";
  const Object& object = graph.nodes(node);
  if (object.has_user_object()) return object.user_object().identifier();
  if (object.has_variable()) return "<variable>";
  if (object.has_function()) return "<function>";
  if (object.has_bare_concrete_function()) return "<bare_concrete_function>";
  return "<other>";
}

// The metadata JSON keys of each keras_metadata node, by node id.
std::map<int, std::vector<std::string>> metadata_keys(const tfproto::KerasSavedMetadata& metadata) {
  std::map<int, std::vector<std::string>> out;
  for (const auto& node : metadata.nodes()) {
    std::vector<std::string> keys;
    const Json parsed = Json::parse(node.metadata());
    for (const auto& [key, value] : parsed.items()) keys.push_back(key);
    out[node.node_id()] = keys;
  }
  return out;
}

// The concrete functions of a function node, which must be in the library and in the object
// graph's concrete_functions, each name matching `pattern`.
void check_function_node(const Saved& saved, int node, const std::string& pattern, bool expect_traces) {
  BOOST_TEST_REQUIRE(node >= 0);
  const Object& object = saved.graph().nodes(node);
  BOOST_TEST_REQUIRE(object.has_function());
  BOOST_TEST((object.function().concrete_functions_size() > 0) == expect_traces, pattern);
  std::set<std::string> library;
  for (const auto& function : saved.meta().graph_def().library().function()) library.insert(function.signature().name());
  for (const auto& name : object.function().concrete_functions()) {
    BOOST_TEST(std::regex_match(name, std::regex(pattern)), name);
    BOOST_TEST(library.count(name) == 1u, name);
    BOOST_TEST(saved.graph().concrete_functions().count(name) == 1u, name);
    for (int bound : saved.graph().concrete_functions().at(name).bound_inputs())
      BOOST_TEST(saved.graph().nodes(bound).has_variable(), name);
  }
}

// Compares the traced structure of `ours` with a real tf.keras SavedModel at the given paths.
// `metadata_paths` ("" = the root) are the nodes whose keras_metadata keys must be the same.
void compare_structure(const Saved& ours, const Saved& real, const std::vector<std::string>& layer_paths,
                       const std::vector<std::string>& metadata_paths) {
  BOOST_TEST(identifier(ours.graph(), 0) == identifier(real.graph(), 0));
  BOOST_TEST(child_names(ours.graph(), 0) == child_names(real.graph(), 0));
  for (const std::string& path : std::vector<std::string>{"keras_api", "signatures"})
    BOOST_TEST(child_names(ours.graph(), node_at(ours.graph(), path)) == child_names(real.graph(), node_at(real.graph(), path)), path);
  for (const auto& path : layer_paths) {
    const int mine = node_at(ours.graph(), path), theirs = node_at(real.graph(), path);
    BOOST_TEST_REQUIRE(mine >= 0, path);
    BOOST_TEST_REQUIRE(theirs >= 0, path);
    BOOST_TEST(identifier(ours.graph(), mine) == identifier(real.graph(), theirs), path);
    BOOST_TEST(child_names(ours.graph(), mine, &kLayerExtras) == child_names(real.graph(), theirs, &kLayerExtras), path);
    const std::string api = path + ".keras_api";
    BOOST_TEST(child_names(ours.graph(), node_at(ours.graph(), api)) == child_names(real.graph(), node_at(real.graph(), api)), api);
    for (const char* function : {"__call__", "call_and_return_all_conditional_losses"})
      BOOST_TEST(identifier(ours.graph(), node_at(ours.graph(), path + "." + function)) == "<function>", path);
  }
  BOOST_TEST(identifier(ours.graph(), node_at(ours.graph(), "_default_save_signature")) == "<bare_concrete_function>");
  // Signatures: the same names, and inputs/outputs of the same shapes and dtypes.
  Names my_signatures, their_signatures;
  for (const auto& [key, value] : ours.meta().signature_def()) my_signatures.insert(key);
  for (const auto& [key, value] : real.meta().signature_def()) their_signatures.insert(key);
  BOOST_TEST(my_signatures == their_signatures);
  BOOST_TEST(ours.meta().signature_def().count("serving_default") == 1u);
  const auto& mine = ours.meta().signature_def().at("serving_default");
  const auto& theirs = real.meta().signature_def().at("serving_default");
  BOOST_TEST(mine.method_name() == theirs.method_name());
  BOOST_TEST_REQUIRE(mine.inputs_size() == theirs.inputs_size());
  BOOST_TEST_REQUIRE(mine.inputs_size() > 0);
  BOOST_TEST_REQUIRE(mine.outputs_size() == theirs.outputs_size());
  for (const auto& [key, info] : theirs.outputs()) {
    BOOST_TEST_REQUIRE(mine.outputs().count(key) == 1u, key);
    BOOST_TEST(mine.outputs().at(key).name() == info.name(), key);
    BOOST_TEST(mine.outputs().at(key).dtype() == info.dtype(), key);
    BOOST_TEST(mine.outputs().at(key).tensor_shape().SerializeAsString() == info.tensor_shape().SerializeAsString(), key);
  }
  const auto& my_input = mine.inputs().begin()->second;
  const auto& their_input = theirs.inputs().begin()->second;
  BOOST_TEST(my_input.name() == "serving_default_" + mine.inputs().begin()->first + ":0");
  BOOST_TEST(my_input.tensor_shape().SerializeAsString() == their_input.tensor_shape().SerializeAsString());
  // keras_metadata: the same keys, in the same order, for the model and its layers.
  const auto my_keys = metadata_keys(ours.metadata), their_keys = metadata_keys(real.metadata);
  for (const auto& path : metadata_paths) {
    const int mine_id = path.empty() ? 0 : node_at(ours.graph(), path), theirs_id = path.empty() ? 0 : node_at(real.graph(), path);
    BOOST_TEST_REQUIRE(my_keys.count(mine_id) == 1u, path);
    BOOST_TEST_REQUIRE(their_keys.count(theirs_id) == 1u, path);
    BOOST_TEST(my_keys.at(mine_id) == their_keys.at(theirs_id), path);
  }
}

std::shared_ptr<Sequential> dense_model() {
  auto model = std::make_shared<Sequential>(std::vector<LayerPtr>{
      make_layer("Dense", {{"units", 10}, {"use_bias", false}, {"name", "transformer"}, {"batch_input_shape", {nullptr, 784}}}),
      make_layer("Softmax", {{"name", "softmax"}})});
  model->compile(Json("adam"), Json("categorical_crossentropy"));
  return model;
}

std::shared_ptr<Sequential> lstm_model() {
  auto model = std::make_shared<Sequential>(std::vector<LayerPtr>{
      make_layer("LSTM", {{"units", 32}, {"name", "lstm"}, {"batch_input_shape", {nullptr, 5, 3}}}),
      make_layer("Dense", {{"units", 1}, {"activation", "sigmoid"}, {"name", "dense"}})});
  model->compile(Json("adam"), Json("binary_crossentropy"));
  return model;
}

fs::path save_in(const std::string& name, const Model& model, bool save_traces = true) {
  const fs::path folder = test::scratch_dir("savedmodel_traces_" + name) / "model";
  SaveOptions options;
  options.save_traces = save_traces;
  save_model(model, folder, options);
  return folder;
}

const tfproto::FunctionDef* find_function(const Saved& saved, const std::string& prefix) {
  for (const auto& function : saved.meta().graph_def().library().function())
    if (function.signature().name().rfind(prefix, 0) == 0) return &function;
  return nullptr;
}

const tfproto::NodeDef* find_node(const tfproto::FunctionDef& function, const std::string& op) {
  for (const auto& node : function.node_def())
    if (node.op() == op) return &node;
  return nullptr;
}

std::uintmax_t folder_size(const fs::path& folder) {
  std::uintmax_t total = 0;
  for (const auto& entry : fs::recursive_directory_iterator(folder))
    if (entry.is_regular_file()) total += entry.file_size();
  return total;
}

// Layers of classes no plugin defines (so a loader only has their traced calls): a dense layer
// with softmax, a convolution and a small recurrent layer whose zero initial state depends on
// the batch size. Each reads its weights as variables, as plugin layers do.
class TestLayer : public Layer {
 public:
  TestLayer(const Json& config, std::string class_name)
      : Layer(config, class_name), class_name_(std::move(class_name)), units_(config.value("units", 4)) {}
  std::string class_name() const override { return class_name_; }
  Json get_config() const override {
    Json config = Layer::get_config();
    config["units"] = units_;
    return config;
  }

 protected:
  VariablePtr weight(const std::string& name, Shape shape) {
    WeightSpec spec;
    spec.name = name;
    spec.shape = std::move(shape);
    spec.initializer = get_initializer("glorot_uniform");
    return add_weight(spec);
  }
  std::string class_name_;
  std::int64_t units_;
};

class SoftDense : public TestLayer {
 public:
  explicit SoftDense(const Json& config) : TestLayer(config, "SoftDense") {}

 protected:
  void build_impl(const std::vector<Shape>& shapes) override { kernel_ = weight("kernel", {shapes.at(0).back(), units_}); }
  Tensors call(const Tensors& inputs, const CallContext&) override {
    return {ops::softmax(ops::add(ops::matmul(inputs.at(0), kernel_->value()), 0.5))};
  }
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override { return {{shapes.at(0).front(), units_}}; }
  VariablePtr kernel_;
};

// A layer whose config names an activation and an initializer of its own package, as a
// third-party layer with a custom activation does: nothing defines either where it is loaded.
class ScaledTanhDense : public TestLayer {
 public:
  explicit ScaledTanhDense(const Json& config) : TestLayer(config, "ScaledTanhDense") {}
  Json get_config() const override {
    Json config = TestLayer::get_config();
    config["activation"] = "TracePkg>scaled_tanh";
    config["kernel_initializer"] = {{"class_name", "TracePkg>HalfOnes"}, {"config", Json::object()}};
    return config;
  }

 protected:
  void build_impl(const std::vector<Shape>& shapes) override { kernel_ = weight("kernel", {shapes.at(0).back(), units_}); }
  Tensors call(const Tensors& inputs, const CallContext&) override {
    return {ops::mul(ops::tanh(ops::matmul(inputs.at(0), kernel_->value())), 2.0f)};
  }
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override { return {{shapes.at(0).front(), units_}}; }
  VariablePtr kernel_;
};

class ReluConv : public TestLayer {
 public:
  explicit ReluConv(const Json& config) : TestLayer(config, "ReluConv") {}

 protected:
  void build_impl(const std::vector<Shape>& shapes) override { kernel_ = weight("kernel", {3, 3, shapes.at(0).back(), units_}); }
  Tensors call(const Tensors& inputs, const CallContext&) override {
    ops::Window2D window;
    window.padding = "SAME";
    return {ops::relu(ops::conv2d(inputs.at(0), kernel_->value(), window))};
  }
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override {
    Shape out = shapes.at(0);
    out.back() = units_;
    return {out};
  }
  VariablePtr kernel_;
};

class TinyRnn : public TestLayer {
 public:
  explicit TinyRnn(const Json& config) : TestLayer(config, "TinyRnn") {}

 protected:
  void build_impl(const std::vector<Shape>& shapes) override {
    kernel_ = weight("kernel", {shapes.at(0).back(), units_});
    recurrent_ = weight("recurrent_kernel", {units_, units_});
  }
  Tensors call(const Tensors& inputs, const CallContext&) override {
    const Tensor& x = inputs.at(0);
    Tensor h = Tensor::zeros(DType::Float32, {x.dim(0), units_});
    for (const Tensor& step : ops::unstack(x, 1))
      h = ops::tanh(ops::add(ops::matmul(step, kernel_->value()), ops::matmul(h, recurrent_->value())));
    return {h};
  }
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override { return {{shapes.at(0).front(), units_}}; }
  VariablePtr kernel_, recurrent_;
};

std::shared_ptr<Functional> functional(const Shape& input_shape, const LayerPtr& custom, const LayerPtr& tail) {
  auto inputs = Input(input_shape);
  auto outputs = (*tail)((*custom)(inputs));
  return std::make_shared<Functional>(KerasTensors{inputs}, KerasTensors{outputs});
}

Tensor ramp(const Shape& shape) {
  Tensor t(DType::Float32, shape);
  float v = -1.f;
  for (float& x : t.values<float>()) x = (v += 0.037f) > 1.f ? (v = -1.f) : v;
  return t;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_dense_sequential_has_the_structure_tf_2_11_writes) {
  const fs::path folder = save_in("dense", *dense_model());
  const Saved ours = read_folder(folder);
  // Functions named as tf.function names them, each in the library with its concrete function.
  check_function_node(ours, node_at(ours.graph(), "__call__"), "__inference_sequential(_\\d+)?_layer_call_fn_\\d+", true);
  check_function_node(ours, node_at(ours.graph(), "layer-0.call_and_return_all_conditional_losses"),
                      "__inference_transformer_layer_call_and_return_conditional_losses_\\d+", true);
  const std::string wrapped = ours.graph().nodes(node_at(ours.graph(), "_default_save_signature")).bare_concrete_function().concrete_function_name();
  BOOST_TEST(std::regex_match(wrapped, std::regex("__inference__wrapped_model_\\d+")), wrapped);
  const int serving = node_at(ours.graph(), "signatures.serving_default");
  BOOST_TEST_REQUIRE(serving >= 0);
  const std::string wrapper = ours.graph().nodes(serving).bare_concrete_function().concrete_function_name();
  BOOST_TEST(std::regex_match(wrapper, std::regex("__inference_signature_wrapper_\\d+")), wrapper);

  const auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures (tfnet_kerassm_python_func_model)");
  const Saved theirs = read_folder(*real / "tfnet_kerassm_python_func_model" / "python_func_model");
  // The fixture's first layer is a custom layer without an input_spec, where Dense has one: its
  // metadata keys are not compared.
  compare_structure(ours, theirs, {"layer-0", "layer-1"}, {"", "layer-1"});
}

BOOST_AUTO_TEST_CASE(an_lstm_sequential_has_the_structure_tf_2_12_writes) {
  const fs::path folder = save_in("lstm", *lstm_model());
  const Saved ours = read_folder(folder);
  check_function_node(ours, node_at(ours.graph(), "layer-0.__call__"), "__inference_lstm_layer_call_fn_\\d+", true);
  // The cell is a layer of its own whose functions have no concrete function, as in tf.keras.
  BOOST_TEST(identifier(ours.graph(), node_at(ours.graph(), "layer-0.cell")) == "_tf_keras_layer");
  check_function_node(ours, node_at(ours.graph(), "layer-0.cell.__call__"), ".*", false);

  const auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures (tfnet_kerassm_lstm_from_sequential)");
  const Saved theirs = read_folder(*real / "tfnet_kerassm_lstm_from_sequential" / "lstm_from_sequential");
  compare_structure(ours, theirs, {"layer-0", "layer-1"}, {"", "layer-0", "layer-1"});
  BOOST_TEST(child_names(ours.graph(), node_at(ours.graph(), "layer-0.cell"), &kLayerExtras) ==
             child_names(theirs.graph(), node_at(theirs.graph(), "layer-0.cell"), &kLayerExtras));
}

BOOST_AUTO_TEST_CASE(the_functions_use_tensorflow_ops_attributes_and_input_names) {
  const Saved dense = read_folder(save_in("dense_ops", *dense_model()));
  const tfproto::FunctionDef* call = find_function(dense, "__inference_transformer_layer_call_and_return_conditional_losses_");
  BOOST_TEST_REQUIRE(call != nullptr);
  const tfproto::NodeDef* matmul = find_node(*call, "MatMul");
  BOOST_TEST_REQUIRE(matmul != nullptr);
  BOOST_TEST(matmul->input(0) == "inputs");
  BOOST_TEST(matmul->input(1) == "MatMul/ReadVariableOp:value:0");
  BOOST_TEST(matmul->attr().at("T").type() == tfproto::DT_FLOAT);
  BOOST_TEST(matmul->attr().at("transpose_b").b() == false);
  // The kernel is a resource input read once; its node id is the bound input.
  BOOST_TEST(call->signature().input_arg(1).type() == tfproto::DT_RESOURCE);
  BOOST_TEST(call->signature().input_arg(1).name() == "matmul_readvariableop_resource");
  BOOST_TEST(call->ret().at("identity") == "Identity:output:0");
  const auto& concrete = dense.graph().concrete_functions().at(call->signature().name());
  BOOST_TEST_REQUIRE(concrete.bound_inputs_size() == 1);
  BOOST_TEST(dense.graph().nodes(concrete.bound_inputs(0)).variable().name() == "transformer/kernel");

  // Conv2D and MaxPool keep TensorFlow's NHWC attributes; Flatten's Reshape has a Const shape
  // with a -1 batch, so the function runs on any batch size.
  auto conv = std::make_shared<Sequential>(std::vector<LayerPtr>{
      make_layer("Conv2D", {{"filters", 4}, {"kernel_size", {3, 3}}, {"strides", {2, 2}}, {"padding", "same"}, {"name", "conv"},
                            {"batch_input_shape", {nullptr, 8, 8, 2}}}),
      make_layer("MaxPooling2D", {{"pool_size", {2, 2}}, {"name", "pool"}}), make_layer("Flatten", {{"name", "flat"}}),
      make_layer("Dense", {{"units", 3}, {"name", "out"}})});
  const Saved conv_saved = read_folder(save_in("conv_ops", *conv));
  const tfproto::FunctionDef* conv_call = find_function(conv_saved, "__inference_conv_layer_call_and_return_conditional_losses_");
  BOOST_TEST_REQUIRE(conv_call != nullptr);
  const tfproto::NodeDef* conv2d = find_node(*conv_call, "Conv2D");
  BOOST_TEST_REQUIRE(conv2d != nullptr);
  BOOST_TEST(conv2d->attr().at("padding").s() == "SAME");
  BOOST_TEST(conv2d->attr().at("data_format").s() == "NHWC");
  BOOST_TEST(conv2d->attr().at("strides").list().i_size() == 4);
  BOOST_TEST(conv2d->attr().at("strides").list().i(1) == 2);
  const tfproto::FunctionDef* pool = find_function(conv_saved, "__inference_pool_layer_call_and_return_conditional_losses_");
  BOOST_TEST_REQUIRE(pool != nullptr);
  BOOST_TEST_REQUIRE(find_node(*pool, "MaxPool") != nullptr);
  BOOST_TEST(find_node(*pool, "MaxPool")->attr().at("ksize").list().i(2) == 2);
  const tfproto::FunctionDef* flat = find_function(conv_saved, "__inference_flat_layer_call_and_return_conditional_losses_");
  BOOST_TEST_REQUIRE(flat != nullptr);
  const tfproto::NodeDef* reshape = find_node(*flat, "Reshape");
  BOOST_TEST_REQUIRE(reshape != nullptr);
  BOOST_TEST(reshape->input_size() == 2);
  const tfproto::NodeDef* shape = nullptr;
  for (const auto& node : flat->node_def())
    if (reshape->input(1).rfind(node.name() + ":", 0) == 0) shape = &node;
  BOOST_TEST_REQUIRE(shape != nullptr);
  BOOST_TEST(shape->op() == "Const");
  const std::string& content = shape->attr().at("value").tensor().tensor_content();
  BOOST_TEST_REQUIRE(content.size() == 8u);
  std::int32_t first = 0;
  std::memcpy(&first, content.data(), 4);
  BOOST_TEST(first == -1);

  // LSTM's zero initial states come from the input's batch size (Shape → StridedSlice → Fill).
  const Saved lstm = read_folder(save_in("lstm_ops", *lstm_model()));
  const tfproto::FunctionDef* lstm_call = find_function(lstm, "__inference_lstm_layer_call_and_return_conditional_losses_");
  BOOST_TEST_REQUIRE(lstm_call != nullptr);
  for (const char* op : {"Shape", "StridedSlice", "Fill", "MatMul", "Sigmoid", "Tanh"}) BOOST_TEST(find_node(*lstm_call, op) != nullptr, op);
  BOOST_TEST(lstm_call->signature().input_arg_size() == 4);  // inputs + kernel, recurrent_kernel, bias
}

BOOST_AUTO_TEST_CASE(protoc_decodes_our_saved_model_and_keras_metadata) {
  if (std::system("command -v protoc > /dev/null 2>&1") != 0) {
    BOOST_TEST_MESSAGE("SKIPPED: protoc not found");
    return;
  }
  const fs::path folder = save_in("protoc", *lstm_model());
  const fs::path out = folder.parent_path() / "decoded.txt";
  auto decode = [&](const char* message, const char* file) {
    const std::string command = std::string("protoc --decode=ksave.tfproto.") + message + " -I " + KSAVE_PROTO_DIR +
                                " ksave_tf_saved_model.proto < " + (folder / file).string() + " > " + out.string() + " 2>&1";
    BOOST_TEST_REQUIRE(std::system(command.c_str()) == 0, command);
    return file_bytes(out);
  };
  const std::string model_text = decode("SavedModel", "saved_model.pb");
  for (const char* expected : {"__inference__wrapped_model_", "__inference_signature_wrapper_", "StatefulPartitionedCall",
                               "serving_default_", "_tf_keras_rnn_layer", "bare_concrete_function", "ReadVariableOp"})
    BOOST_TEST(model_text.find(expected) != std::string::npos, expected);
  const std::string metadata_text = decode("KerasSavedMetadata", "keras_metadata.pb");
  BOOST_TEST(metadata_text.find("root.layer_with_weights-0") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(save_traces_false_leaves_the_traces_out_and_still_loads_with_the_plugins) {
  auto model = lstm_model();
  const fs::path with = save_in("with", *model), without = save_in("without", *model, false);
  const std::uintmax_t with_size = folder_size(with), without_size = folder_size(without);
  BOOST_TEST_MESSAGE("SavedModel folder with traces: " << with_size << " bytes, without: " << without_size << " bytes ("
                     << fs::file_size(with / "saved_model.pb") << " vs " << fs::file_size(without / "saved_model.pb")
                     << " bytes of saved_model.pb)");
  BOOST_TEST(without_size < with_size);
  const Saved saved = read_folder(without);
  BOOST_TEST(saved.meta().graph_def().library().function_size() == 0);
  BOOST_TEST(saved.meta().signature_def().empty());
  for (const auto& node : saved.graph().nodes()) BOOST_TEST(!(node.has_function() || node.has_bare_concrete_function()));
  BOOST_TEST(saved.metadata.nodes_size() > 0);  // keras_metadata.pb is still written
  const Tensor x = Tensor::filled(DType::Float32, Shape{2, 5, 3}, 0.25);
  ModelPtr loaded = load_model(without);
  BOOST_TEST(max_abs_difference(loaded->predict(x), model->predict(x)) == 0.0);
  // The traced folder loads through the same configs, with identical predictions too.
  BOOST_TEST(max_abs_difference(load_model(with)->predict(x), model->predict(x)) == 0.0);
  // `ksave inspect` says what is there: traced functions ksave can run in one, none in the other.
  const auto traced_functions = [](const fs::path& folder) {
    return get_format("savedmodel")->inspect(folder)["meta_graphs"][0]["object_graph"]["traced_functions"];
  };
  const Json traced = traced_functions(with), untraced = traced_functions(without);
  BOOST_TEST_MESSAGE("inspect, traced functions: " << traced.dump() << " / " << untraced.dump());
  BOOST_TEST(traced["count"].get<int>() > 0);
  BOOST_TEST(traced["function_defs"].get<int>() > 0);
  BOOST_TEST(traced["runnable"].get<bool>());
  BOOST_TEST(untraced["count"].get<int>() == 0);
  BOOST_TEST(untraced["function_defs"].get<int>() == 0);
}

BOOST_AUTO_TEST_CASE(models_with_layers_no_plugin_defines_predict_identically_through_their_traces) {
  struct Case {
    const char* name;
    std::shared_ptr<Functional> model;
    Shape batch;
  };
  const Case cases[] = {
      {"dense", functional({6}, std::make_shared<SoftDense>(Json{{"units", 4}}), make_layer("Dense", {{"units", 3}})), {3, 6}},
      {"conv", functional({8, 8, 2}, std::make_shared<ReluConv>(Json{{"units", 4}}), make_layer("Flatten", Json::object())),
       {2, 8, 8, 2}},
      {"rnn", functional({5, 3}, std::make_shared<TinyRnn>(Json{{"units", 6}}), make_layer("Dense", {{"units", 1}})), {4, 5, 3}},
  };
  for (const auto& c : cases) {
    const fs::path folder = save_in(std::string("revive_") + c.name, *c.model);
    // No plugin and no custom_objects define the class: the loader revives it from its trace.
    ModelPtr loaded = load_model(folder);
    const Tensor x = ramp(c.batch);  // a batch size other than the trace's
    const Tensor want = c.model->predict(x), got = loaded->predict(x);
    BOOST_TEST_MESSAGE(c.name << ": max |difference| " << max_abs_difference(got, want));
    BOOST_TEST(allclose(got, want, 1e-5, 1e-6), c.name);
  }
  // Saved without traces, the same model cannot be revived, and the error says why.
  const fs::path folder = save_in("revive_no_traces", *cases[0].model, false);
  try {
    load_model(folder);
    BOOST_FAIL("a layer of an unknown class loaded without traces");
  } catch (const Error& e) {
    BOOST_TEST_MESSAGE(e.what());
    BOOST_TEST(std::string(e.what()).find("SoftDense") != std::string::npos);
    BOOST_TEST(std::string(e.what()).find("save_traces") != std::string::npos);
  }
}

// Revival covers what a revived layer's config names: its custom activation and initializer,
// defined nowhere at load, are not needed to run its traced call (tf.keras revives it the same
// way); a built-in layer naming an unknown activation is still refused.
BOOST_AUTO_TEST_CASE(a_revived_layers_config_may_name_classes_nothing_defines) {
  auto model = functional({6}, std::make_shared<ScaledTanhDense>(Json{{"units", 3}}), make_layer("Dense", {{"units", 2}}));
  const fs::path folder = save_in("revive_custom_activation", *model);
  ModelPtr loaded = load_model(folder);
  const Tensor x = ramp({3, 6});
  BOOST_TEST(allclose(loaded->predict(x), model->predict(x), 1e-5, 1e-6));
  BOOST_TEST(loaded->layers().at(1)->get_config()["activation"] == "TracePkg>scaled_tanh");

  auto dense_only = functional({6}, make_layer("Dense", {{"units", 3}}), make_layer("Dense", {{"units", 2}}));
  Json config = Json::parse(dense_only->to_json());
  config["config"]["layers"][2]["config"]["activation"] = "TracePkg>scaled_tanh";
  BOOST_CHECK_EXCEPTION(model_from_config(config), Error, [](const Error& e) {
    BOOST_TEST_MESSAGE(e.what());
    return std::string(e.what()).find("activation 'TracePkg>scaled_tanh'") != std::string::npos;
  });
}

namespace {

// Input(shape) followed by the layers of `configs` ({class_name, config}), one after the other.
std::shared_ptr<Functional> chain(const Shape& shape, const std::vector<std::pair<std::string, Json>>& configs) {
  auto inputs = Input(shape, "x");
  KerasTensor x = inputs;
  for (const auto& [class_name, config] : configs) x = (*make_layer(class_name, config))(x);
  return std::make_shared<Functional>(KerasTensors{inputs}, KerasTensors{x});
}

Shape with_batch(Dim batch, const Shape& shape) {
  Shape out{batch};
  out.insert(out.end(), shape.begin(), shape.end());
  return out;
}

}  // namespace

// The serving signature (placeholders → StatefulPartitionedCall → signature wrapper →
// _wrapped_model) run by the graph executor, as tf.saved_model.load would, computes what
// model.predict computes, for built-in layers of many kinds (recurrent ones included) and a batch
// size other than the trace's.
BOOST_AUTO_TEST_CASE(the_serving_signature_computes_predict_for_layers_of_many_kinds) {
  struct Case {
    const char* name;
    Shape input;
    std::vector<std::pair<std::string, Json>> layers;
  };
  const std::vector<Case> runnable = {
      {"mlp", {6}, {{"Dense", {{"units", 5}, {"activation", "relu"}}}, {"Dropout", {{"rate", 0.5}}}, {"Dense", {{"units", 3}, {"activation", "softmax"}}}}},
      {"cnn", {9, 9, 2}, {{"Conv2D", {{"filters", 3}, {"kernel_size", 3}, {"strides", 2}, {"padding", "same"}, {"activation", "relu"}}},
                          {"MaxPooling2D", {{"pool_size", 2}}}, {"Flatten", Json::object()}, {"Dense", {{"units", 2}}}}},
      {"conv_transpose", {5, 5, 2}, {{"Conv2DTranspose", {{"filters", 3}, {"kernel_size", 3}, {"strides", 2}, {"padding", "same"}}},
                                     {"Conv2DTranspose", {{"filters", 2}, {"kernel_size", 2}, {"padding", "valid"}}}}},
      {"conv1d", {7, 3}, {{"Conv1D", {{"filters", 4}, {"kernel_size", 3}, {"activation", "tanh"}}}, {"MaxPooling1D", {{"pool_size", 2}}},
                          {"GlobalAveragePooling1D", Json::object()}}},
      {"separable", {6, 6, 3}, {{"DepthwiseConv2D", {{"kernel_size", 3}, {"padding", "same"}}}, {"SeparableConv2D", {{"filters", 2}, {"kernel_size", 3}}},
                                {"AveragePooling2D", {{"pool_size", 2}}}, {"GlobalMaxPooling2D", Json::object()}}},
      {"softmax_axis", {3, 4}, {{"Softmax", {{"axis", 1}}}}},
      {"norms", {4}, {{"BatchNormalization", Json::object()}, {"LayerNormalization", Json::object()}, {"LeakyReLU", {{"alpha", 0.2}}},
                      {"ELU", Json::object()}, {"Activation", {{"activation", "sigmoid"}}}}},
      {"clipping", {4}, {{"Dense", {{"units", 6}, {"activation", "hard_sigmoid"}}}, {"ReLU", {{"max_value", 0.6}}},
                         {"Activation", {{"activation", "relu6"}}}}},
      {"embedding", {5}, {{"Embedding", {{"input_dim", 10}, {"output_dim", 3}}}, {"GlobalAveragePooling1D", Json::object()}, {"Dense", {{"units", 2}}}}},
      {"masked_embedding", {5}, {{"Embedding", {{"input_dim", 10}, {"output_dim", 3}, {"mask_zero", true}}}, {"GlobalAveragePooling1D", Json::object()}}},
      {"reshaping", {4, 6}, {{"Permute", {{"dims", {2, 1}}}}, {"Reshape", {{"target_shape", {3, 8}}}}, {"Flatten", Json::object()},
                             {"RepeatVector", {{"n", 2}}}}},
      {"simple_rnn", {4, 3}, {{"SimpleRNN", {{"units", 5}}}}},
      {"lstm", {4, 3}, {{"LSTM", {{"units", 5}}}, {"Dense", {{"units", 1}, {"activation", "sigmoid"}}}}},
      {"gru", {4, 3}, {{"GRU", {{"units", 5}, {"return_sequences", true}}}}},
      {"bidirectional", {4, 3}, {{"Bidirectional", {{"layer", {{"class_name", "LSTM"}, {"config", {{"units", 2}}}}}}}}},
      {"time_distributed", {4, 3}, {{"TimeDistributed", {{"layer", {{"class_name", "Dense"}, {"config", {{"units", 2}}}}}}}}},
      {"padding", {5, 5, 1}, {{"ZeroPadding2D", {{"padding", 1}}}, {"Cropping2D", {{"cropping", 2}}}, {"UpSampling2D", {{"size", 2}}}}},
  };
  for (const auto& c : runnable) {
    auto model = chain(c.input, c.layers);
    const fs::path folder = save_in(std::string("serve_") + c.name, *model);
    Tensor x = ramp(with_batch(3, c.input));
    if (c.layers.front().first == "Embedding")  // ids in [0, 10)
      for (float& v : x.values<float>()) v = static_cast<float>(static_cast<int>((v + 1.f) * 4.5f));
    const Tensor want = model->predict(x);
    try {
      const LoadedFunctionsPtr functions = load_functions(folder);
      const NamedTensors got = functions->signature("serving_default")({{"x", x}});
      BOOST_TEST_REQUIRE(got.size() == 1u, c.name);
      BOOST_TEST_MESSAGE(c.name << ": max |difference| " << max_abs_difference(got.begin()->second, want));
      BOOST_TEST(allclose(got.begin()->second, want, 1e-5, 1e-5), c.name);
    } catch (const Error& e) {
      BOOST_ERROR(c.name << ": " << e.what());
    }
  }
}

// Several inputs (signature keys by input name), a layer with two inputs (Attention) and a
// nested Sequential model traced as a layer of the outer model.
BOOST_AUTO_TEST_CASE(multi_input_and_nested_models_serve_what_they_predict) {
  auto a = Input({3, 4}, "a"), b = Input({2, 4}, "b");
  auto inner = std::make_shared<Sequential>(std::vector<LayerPtr>{
      make_layer("Dense", {{"units", 4}, {"activation", "relu"}, {"batch_input_shape", {nullptr, 4}}}),
      make_layer("Dense", {{"units", 2}})});
  auto attended = (*make_layer("Attention", Json::object()))(KerasTensors{a, b});
  auto pooled = (*make_layer("GlobalAveragePooling1D", Json::object()))(attended[0]);
  auto joined = (*make_layer("Concatenate", Json::object()))(KerasTensors{pooled, (*inner)(pooled)});
  auto model = std::make_shared<Functional>(KerasTensors{a, b}, joined);
  const fs::path folder = save_in("multi_input", *model);
  const Saved saved = read_folder(folder);
  const auto& signature = saved.meta().signature_def().at("serving_default");
  BOOST_TEST(signature.inputs().count("a") == 1u);
  BOOST_TEST(signature.inputs().count("b") == 1u);
  BOOST_TEST(signature.inputs().at("b").name() == "serving_default_b:0");
  // The nested model has its own traced functions and keras_api.
  const int nested = node_at(saved.graph(), "layer-4");
  BOOST_TEST_REQUIRE(nested >= 0);
  BOOST_TEST(identifier(saved.graph(), nested) == "_tf_keras_sequential");
  check_function_node(saved, node_at(saved.graph(), "layer-4.__call__"), "__inference_sequential(_\\d+)?_layer_call_fn_\\d+", true);

  const Tensor xa = ramp({2, 3, 4}), xb = ramp({2, 2, 4});
  const Tensor want = model->predict(Tensors{xa, xb}).at(0);
  const NamedTensors got = load_functions(folder)->signature("serving_default")({{"a", xa}, {"b", xb}});
  BOOST_TEST_REQUIRE(got.size() == 1u);
  BOOST_TEST(allclose(got.begin()->second, want, 1e-5, 1e-5));
}

// Saving never changes the model: a stateful recurrent layer (whose call replaces the states it
// keeps) is not traced, nor the models holding it, and its states are what they were.
BOOST_AUTO_TEST_CASE(a_stateful_layer_keeps_its_states_through_save) {
  auto make = [] {
    return chain({3, 1}, {{"SimpleRNN", {{"units", 2}, {"stateful", true}, {"batch_input_shape", {2, 3, 1}}, {"name", "rnn"}}}});
  };
  auto saved_model = make(), control = make();
  control->set_weights(saved_model->get_weights());
  const Tensor x = ramp({2, 3, 1});
  saved_model->predict(x);
  control->predict(x);
  const Saved saved = read_folder(save_in("stateful", *saved_model));
  BOOST_TEST(max_abs_difference(saved_model->predict(x), control->predict(x)) == 0.0);
  check_function_node(saved, node_at(saved.graph(), "layer-1.__call__"), ".*", false);
  BOOST_TEST(saved.meta().signature_def().count("serving_default") == 0u);
}

// The saver TF1-style loaders run: SaverDef names the saver_filename placeholder and the calls of
// __inference__traced_save/_restore, which SaveV2/RestoreV2 every variable under its key.
BOOST_AUTO_TEST_CASE(the_graph_has_the_saver_tensorflow_writes) {
  auto model = lstm_model();
  const Saved saved = read_folder(save_in("saver", *model));
  const auto& saver = saved.meta().saver_def();
  BOOST_TEST(saver.filename_tensor_name() == "saver_filename:0");
  BOOST_TEST(saver.save_tensor_name() == "StatefulPartitionedCall_1:0");
  BOOST_TEST(saver.restore_op_name() == "StatefulPartitionedCall_2");
  BOOST_TEST(saver.version() == tfproto::SaverDef::V2);
  const tfproto::FunctionDef* save = find_function(saved, "__inference__traced_save_");
  const tfproto::FunctionDef* restore = find_function(saved, "__inference__traced_restore_");
  BOOST_TEST_REQUIRE(save != nullptr);
  BOOST_TEST_REQUIRE(restore != nullptr);
  const tfproto::NodeDef* names = nullptr;
  for (const auto& node : restore->node_def())
    if (node.name() == "RestoreV2/tensor_names") names = &node;
  BOOST_TEST_REQUIRE(names != nullptr);
  // Every variable of the bundle (model weights and optimizer state), then the object graph.
  const auto& keys = names->attr().at("value").tensor().string_val();
  BOOST_TEST(keys.size() >= static_cast<int>(model->weights().size() + 1));
  // The keys TF 2.12 gives the same architecture: the LSTM cell's kernel is first reached
  // through the root's `variables` list.
  const std::set<std::string> key_set(keys.begin(), keys.end());
  for (const char* key : {"layer_with_weights-1/kernel/.ATTRIBUTES/VARIABLE_VALUE", "variables/0/.ATTRIBUTES/VARIABLE_VALUE",
                          "variables/2/.ATTRIBUTES/VARIABLE_VALUE"})
    BOOST_TEST(key_set.count(key) == 1u, key);
  BOOST_TEST(keys[keys.size() - 1] == "_CHECKPOINTABLE_OBJECT_GRAPH");
  int assigns = 0;
  for (const auto& node : restore->node_def()) assigns += node.op() == "AssignVariableOp";
  BOOST_TEST(assigns == keys.size() - 1);
  BOOST_TEST(find_node(*save, "SaveV2") != nullptr);
  BOOST_TEST(find_node(*save, "MergeV2Checkpoints") != nullptr);
  // In the graph: a VarHandleOp per variable, and the calls named by the SaverDef.
  int handles = 0;
  std::set<std::string> graph_nodes;
  for (const auto& node : saved.meta().graph_def().node()) {
    handles += node.op() == "VarHandleOp";
    graph_nodes.insert(node.name());
  }
  BOOST_TEST(handles == keys.size() - 1);
  for (const char* name : {"saver_filename", "StatefulPartitionedCall_1", "StatefulPartitionedCall_2", "Const", "NoOp"})
    BOOST_TEST(graph_nodes.count(name) == 1u, name);
}

// Two outputs whose names do not sort in model order: each signature output is its own tensor.
BOOST_AUTO_TEST_CASE(each_output_of_a_two_output_model_is_served_under_its_name) {
  auto x = Input({4}, "x");
  auto z = (*make_layer("Dense", {{"units", 2}, {"name", "z_out"}}))(x);
  auto a = (*make_layer("Dense", {{"units", 3}, {"name", "a_out"}}))(x);
  auto model = std::make_shared<Functional>(KerasTensors{x}, KerasTensors{z, a});
  const fs::path folder = save_in("two_outputs", *model);
  const Tensor input = ramp({2, 4});
  const Tensors want = model->predict(Tensors{input});
  const NamedTensors got = load_functions(folder)->signature("serving_default")({{"x", input}});
  BOOST_TEST_REQUIRE(got.count("z_out") == 1u);
  BOOST_TEST_REQUIRE(got.count("a_out") == 1u);
  BOOST_TEST(max_abs_difference(got.at("z_out"), want.at(0)) == 0.0);
  BOOST_TEST(max_abs_difference(got.at("a_out"), want.at(1)) == 0.0);
}

// A mask computed from the input (Embedding(mask_zero) feeding an LSTM) is traced with the ops
// that compute it, so the model's call is a concrete function and serving_default serves the
// masked model: rows with padding ids (0) get the same numbers as predict, without a warning.
BOOST_AUTO_TEST_CASE(a_mask_from_the_input_is_traced_and_served) {
  auto model = chain({5}, {{"Embedding", {{"input_dim", 10}, {"output_dim", 3}, {"mask_zero", true}, {"name", "embed"}}},
                           {"LSTM", {{"units", 4}, {"name", "lstm"}}}});
  fs::path folder;
  std::string warnings;
  {
    const test::StderrCapture capture;
    folder = save_in("input_mask", *model);
    warnings = capture.text.str();
  }
  BOOST_TEST(warnings.find("saved without its traced function") == std::string::npos, warnings);
  const Saved saved = read_folder(folder);
  BOOST_TEST(saved.meta().signature_def().count("serving_default") == 1u);
  check_function_node(saved, node_at(saved.graph(), "layer_with_weights-1.__call__"), "__inference_lstm_layer_call_fn_\\d+", true);
  Tensor ids = ramp({3, 5});
  for (float& v : ids.values<float>()) v = static_cast<float>(static_cast<int>((v + 1.f) * 4.5f));
  // Padding at the end of row 0, in the middle of row 1, everywhere in row 2.
  float* id = ids.values<float>().data();
  id[3] = id[4] = 0.f;
  id[7] = 0.f;
  for (int i = 10; i < 15; ++i) id[i] = 0.f;
  const Tensor want = model->predict(ids);
  const NamedTensors served = load_functions(folder)->signature("serving_default")({{model->inputs()[0].layer()->name(), ids}});
  BOOST_TEST_REQUIRE(served.size() == 1u);
  BOOST_TEST(max_abs_difference(served.begin()->second, want) < 1e-6);
  BOOST_TEST(max_abs_difference(load_model(folder)->predict(ids), want) == 0.0);
}

namespace {

// Makes the root of a SavedModel a subclassed model of class `class_name` saved without a config:
// its identifier _tf_keras_model, `config` (and model_config's) set to `config`.
void make_root_config_less(const fs::path& folder, const std::string& class_name, const Json& config) {
  Saved saved = read_folder(folder);
  for (auto& node : *saved.metadata.mutable_nodes()) {
    if (node.node_id() != 0) continue;
    Json json = Json::parse(node.metadata());
    json["class_name"] = class_name;
    json["config"] = config;
    json["model_config"] = {{"class_name", class_name}, {"config", config}};
    node.set_identifier("_tf_keras_model");
    node.set_metadata(json.dump());
  }
  std::ofstream out(folder / "keras_metadata.pb", std::ios::binary | std::ios::trunc);
  BOOST_TEST_REQUIRE(saved.metadata.SerializeToOstream(&out));
}

}  // namespace

// A subclassed model saved without a config, of a class nothing defines: tf.keras <= 2.12 marks
// it "layer was saved without config", later versions write {}. The model is revived from its
// traced call and its sublayers from theirs: every weight listed once and restored, predictions as
// the original's, weights that save. (Here ksave's own traced folder relabelled so, since ksave
// traces no subclassed model's call; the interop suite's `subclassed` case loads a real tf-keras
// 2.21 SavedModel of a TwoTower model.)
BOOST_AUTO_TEST_CASE(a_subclassed_model_saved_without_config_is_revived_from_its_traces) {
  auto model = chain({5}, {{"Dense", {{"units", 7}, {"activation", "relu"}, {"name", "hidden"}}}, {"Dense", {{"units", 3}, {"name", "out"}}}});
  const Tensor x = ramp({4, 5});
  const Tensor want = model->predict(x);
  for (const Json& config : {Json{{"layer was saved without config", true}}, Json::object()}) {
    BOOST_TEST_CONTEXT("root config " << config.dump()) {
      const fs::path folder = save_in("subclassed_without_config", *model);
      make_root_config_less(folder, "TwoTower", config);
      ModelPtr loaded = load_model(folder);
      BOOST_TEST(loaded->class_name() == "TwoTower");
      BOOST_TEST(loaded->name() == model->name());
      const auto expected = model->weights(), found = loaded->weights();
      BOOST_TEST_REQUIRE(found.size() == expected.size());
      for (std::size_t i = 0; i < found.size(); ++i)
        BOOST_TEST(test::close(found[i]->value(), expected[i]->value(), {}), found[i]->name());
      BOOST_TEST(test::close(loaded->predict(x), want, {.rtol = 1e-6, .atol = 1e-7}));
      // Its weights save in any weights format: into the original model they give its predictions.
      const fs::path weights = test::scratch_dir("subclassed_revived_weights") / "w.h5";
      save_weights(*loaded, weights);
      auto twin = chain({5}, {{"Dense", {{"units", 7}, {"activation", "relu"}, {"name", "hidden"}}}, {"Dense", {{"units", 3}, {"name", "out"}}}});
      load_weights(*twin, weights);
      BOOST_TEST(test::close(twin->predict(x), want, {.rtol = 1e-6, .atol = 1e-7}));
    }
  }
}

namespace {

// A class the SavedModel writer has never heard of, declaring what tf.keras's SavedModels record
// about a layer: its input spec (a list of one, as RNN layers declare theirs) and that it is a
// recurrent layer.
class DeclaringLayer : public Layer {
 public:
  DeclaringLayer() : Layer(Json{{"name", "declaring"}, {"batch_input_shape", {nullptr, 5, 3}}}, "DeclaringLayer") {}
  std::string class_name() const override { return "DeclaringLayer"; }
  std::optional<InputSpec> input_spec(const Shape& input_shape) const override {
    return InputSpec{.shape = Shape{kUnknown, kUnknown, input_shape.back()}, .ndim = 3, .axes = {{-1, input_shape.back()}},
                     .in_a_list = true};
  }
  bool is_recurrent_layer() const override { return true; }

 protected:
  Tensors call(const Tensors& inputs, const CallContext&) override { return {ops::tanh(inputs.at(0))}; }
};

const tfproto::KerasSavedObject& metadata_at(const Saved& saved, const std::string& path) {
  for (const auto& node : saved.metadata.nodes())
    if (node.node_path() == path) return node;
  BOOST_FAIL("no keras_metadata node at " << path);
  throw std::logic_error("unreachable");
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_layer_class_declares_its_input_spec_and_kind) {
  auto model = std::make_shared<Sequential>(std::vector<LayerPtr>{std::make_shared<DeclaringLayer>()});
  const Saved saved = read_folder(save_in("declaring", *model, false));
  const auto& layer = metadata_at(saved, "root.layer-0");
  BOOST_TEST(layer.identifier() == "_tf_keras_rnn_layer");
  const Json expected = Json::array(
      {{{"class_name", "InputSpec"},
        {"config", {{"dtype", nullptr}, {"shape", {{"class_name", "__tuple__"}, {"items", {nullptr, nullptr, 3}}}}, {"ndim", 3},
                    {"max_ndim", nullptr}, {"min_ndim", nullptr}, {"axes", {{"-1", 3}}}}}}});
  BOOST_TEST(Json::parse(layer.metadata()).at("input_spec") == expected, Json::parse(layer.metadata()).at("input_spec").dump());
  // A layer that declares nothing has neither.
  auto plain = std::make_shared<Sequential>(
      std::vector<LayerPtr>{make_layer("Softmax", {{"name", "softmax"}, {"batch_input_shape", {nullptr, 4}}})});
  const Saved undeclared = read_folder(save_in("undeclared", *plain, false));
  const auto& softmax = metadata_at(undeclared, "root.layer-0");
  BOOST_TEST(softmax.identifier() == "_tf_keras_layer");
  BOOST_TEST(!Json::parse(softmax.metadata()).contains("input_spec"));
}
