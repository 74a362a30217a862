// SavedModels loaded as graphs (tf.saved_model.load): the tf-serving half_plus_two models (TF2
// object graph + function library, TF1 GraphDef + name-based variables) and tf.keras models'
// serving signatures run through ksave's ops and reproduce their expected values; damaged graphs
// (unknown ops, corrupt or missing functions, missing variables, cycles, absurd constants) give
// clear errors.
#define BOOST_TEST_MODULE format_savedmodel_graph_functions
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>

#include "ksave/ksave.hpp"
#include "ksave/loaded_functions.hpp"
#include "ksave/saving.hpp"
#include "ksave_tf_saved_model.pb.h"
#include "savedmodel_fixtures.hpp"
#include "support/error_checks.hpp"
#include "support/test_data.hpp"

namespace fs = std::filesystem;
using namespace ksave;
using namespace ksave::test::savedmodel;

using ksave::test::error_of;

namespace {

const char* const kTf2Case = "tfserving_tf2_savedmodel_half_plus_two";
const char* const kTf2Folder = "saved_model_half_plus_two_tf2_cpu/00000123";
const char* const kTf1Case = "tfserving_tf1_savedmodel_half_plus_two";
const char* const kTf1Folder = "saved_model_half_plus_two_cpu/00000123";
const char* const kKerasCase = "tfnet_kerassm_python_func_model";
const char* const kKerasFolder = "python_func_model";

Tensor floats(std::vector<float> values, Shape shape) { return Tensor::from_vector<float>(values, std::move(shape)); }

// A copy of a fixture's SavedModel whose saved_model.pb `edit` changes.
fs::path edited_copy(const fs::path& real, const std::string& case_name, const std::string& folder, const std::string& name,
                     const std::function<void(tfproto::SavedModel&)>& edit) {
  const fs::path target = test::scratch_dir(name) / "model";
  fs::copy(fixture_folder(real, case_name, folder), target, fs::copy_options::recursive);
  tfproto::SavedModel saved_model;
  {
    std::ifstream in(target / "saved_model.pb", std::ios::binary);
    BOOST_TEST_REQUIRE(saved_model.ParseFromIstream(&in));
  }
  edit(saved_model);
  std::ofstream out(target / "saved_model.pb", std::ios::binary | std::ios::trunc);
  BOOST_TEST_REQUIRE(saved_model.SerializeToOstream(&out));
  return target;
}

tfproto::FunctionDef& function_named(tfproto::SavedModel& saved_model, const std::string& prefix) {
  for (auto& f : *saved_model.mutable_meta_graphs(0)->mutable_graph_def()->mutable_library()->mutable_function())
    if (f.signature().name().rfind(prefix, 0) == 0) return f;
  BOOST_FAIL("no function " << prefix);
  throw;
}

tfproto::NodeDef& node_of_op(tfproto::FunctionDef& f, const std::string& op) {
  for (auto& node : *f.mutable_node_def())
    if (node.op() == op) return node;
  BOOST_FAIL("no " << op << " node in " << f.signature().name());
  throw;
}

// Checks that `message` (shown in the log) contains every part.
void expect_message(const std::string& message, std::initializer_list<std::string> parts) {
  BOOST_TEST_MESSAGE(message);
  for (const auto& part : parts) BOOST_TEST(message.find(part) != std::string::npos, "'" << part << "' not in: " << message);
}

NamedTensors predict_x(const LoadedFunctions& graph, const std::string& signature, const std::string& key, Tensor x) {
  return graph.signature(signature)({{key, std::move(x)}});
}

}  // namespace

BOOST_AUTO_TEST_CASE(tf2_half_plus_two_runs_its_signatures) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  const fs::path folder = fixture_folder(*real, kTf2Case, kTf2Folder), expected = *real / kTf2Case / "expected";
  const LoadedFunctionsPtr graph = load_functions(folder);
  BOOST_TEST(graph->signature_names().size() == 6u);
  const SignatureFunction& serving = graph->signature("serving_default");
  BOOST_TEST(serving.inputs.at("x").tensor_name == "serving_default_x:0");
  BOOST_TEST((serving.inputs.at("x").shape == Shape{1}));
  check_close(serving({{"x", read_npy(expected / "input_0.npy")}}).at("y"), read_npy(expected / "output_0.npy"), 0, 0, "serving_default");
  // SignatureDef.defaults: x = [0.0] when the caller gives none.
  check_close(serving({}).at("y"), read_npy(expected / "output_0_default_input.npy"), 0, 0, "default input");
  check_close(predict_x(*graph, "regress_x2_to_y3", "inputs", floats({2.f}, {1})).at("outputs"),
              read_npy(expected / "output_regress_x2_to_y3.npy"), 0, 0, "regress_x2_to_y3");
  BOOST_TEST(error_of([&] { serving({{"z", floats({1.f}, {1})}}); }).find("has no input 'z'") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(tf1_half_plus_two_runs_its_float_signatures) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  const fs::path folder = fixture_folder(*real, kTf1Case, kTf1Folder), expected = *real / kTf1Case / "expected";
  const LoadedFunctionsPtr graph = load_functions(folder);
  BOOST_TEST(graph->signature_names().size() == 5u);
  const Tensor x = read_npy(expected / "input_0.npy");
  check_close(predict_x(*graph, "serving_default", "x", x).at("y"), read_npy(expected / "output_0.npy"), 0, 0, "serving_default");
  check_close(predict_x(*graph, "regress_x2_to_y3", "inputs", x).at("outputs"), read_npy(expected / "output_y3_regress_x2_to_y3.npy"), 0, 0,
              "regress_x2_to_y3");
  // The repository's serving tests: x = 20 → 12, 80 → 42.
  const Tensor y = predict_x(*graph, "serving_default", "x", floats({20.f, 80.f}, {2, 1})).at("y");
  BOOST_TEST(y.to_vector<float>() == (std::vector<float>{12.f, 42.f}), boost::test_tools::per_element());
}

// The serving signature of tf.keras SavedModels run as graphs (Dense, a custom layer, LSTM's
// While loop over TensorLists), fed and compared by the names in expected.json.
BOOST_AUTO_TEST_CASE(keras_savedmodel_serving_signatures_run_as_graphs) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  const std::vector<std::pair<std::string, std::string>> cases{{kKerasCase, kKerasFolder},
                                                               {"tfnet_kerassm_lstm_from_sequential", "lstm_from_sequential"},
                                                               {"tfrust_keras_single_input_saved_model", "keras_single_input_saved_model"},
                                                               {"tfrust_keras_multiple_inputs_saved_model", "keras_multiple_inputs_saved_model"}};
  for (const auto& [case_name, folder] : cases) {
    const fs::path expected_dir = *real / case_name / "expected";
    const Json expected = read_json(expected_dir / "expected.json");
    NamedTensors inputs;
    for (const auto& input : expected["inputs"]) inputs[input["name"]] = read_npy(expected_dir / input["file"].get<std::string>());
    const NamedTensors outputs = load_functions(fixture_folder(*real, case_name, folder))->signature("serving_default")(inputs);
    for (const auto& output : expected["outputs"])
      check_close(outputs.at(output["name"]), read_npy(expected_dir / output["file"].get<std::string>()), expected["tolerance"]["rtol"],
                  expected["tolerance"]["atol"], case_name + " output " + output["name"].get<std::string>());
  }
}

namespace {

// tf.Example strings with one float feature each, as the serving clients send them.
Tensor examples_with(const std::string& key, const std::vector<float>& values) {
  const auto field = [](char tag, const std::string& bytes) { return std::string(1, tag) + char(bytes.size()) + bytes; };
  std::vector<std::string> out;
  for (float v : values) {
    std::string bits(sizeof v, '\0');
    std::memcpy(bits.data(), &v, sizeof v);
    const std::string feature = field('\x12', field('\x0a', bits));  // Feature.float_list.value (packed)
    out.push_back(field('\x0a', field('\x0a', field('\x0a', key) + field('\x12', feature))));
  }
  return Tensor::strings(out, {static_cast<Dim>(out.size())});
}

}  // namespace

BOOST_AUTO_TEST_CASE(tf_example_signatures_parse_dense_float_features) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  const fs::path tf1_expected = *real / kTf1Case / "expected";
  const LoadedFunctionsPtr tf1 = load_functions(fixture_folder(*real, kTf1Case, kTf1Folder));
  const std::vector<float> x = read_npy(tf1_expected / "input_0.npy").to_vector<float>();
  check_close(predict_x(*tf1, "regress_x_to_y2", "inputs", examples_with("x", x)).at("outputs"),
              read_npy(tf1_expected / "output_y2_regress_x_to_y2.npy"), 0, 0, "TF1 regress_x_to_y2");
  check_close(predict_x(*tf1, "regress_x_to_y", "inputs", examples_with("x", x)).at("outputs"), read_npy(tf1_expected / "output_0.npy"), 0,
              0, "TF1 regress_x_to_y");
  const LoadedFunctionsPtr tf2 = load_functions(fixture_folder(*real, kTf2Case, kTf2Folder));
  const Tensor y = predict_x(*tf2, "regress_x_to_y", "inputs", examples_with("x", {2.f, 20.f})).at("outputs");
  BOOST_TEST(y.to_vector<float>() == (std::vector<float>{3.f, 12.f}), boost::test_tools::per_element());
  BOOST_TEST(error_of([&] { predict_x(*tf1, "regress_x_to_y", "inputs", Tensor::strings({"\x0a\xff"}, {1})); }).find("corrupt") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(unknown_ops_are_listed_in_one_error) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  const fs::path folder = edited_copy(*real, kTf2Case, kTf2Folder, "graph_unknown_ops", [](tfproto::SavedModel& sm) {
    auto& f = function_named(sm, "__inference_predict_");
    node_of_op(f, "Mul").set_op("FancyMul");
    node_of_op(f, "AddV2").set_op("FancyAdd");
  });
  const LoadedFunctionsPtr graph = load_functions(folder);  // the other signatures still run
  BOOST_TEST(predict_x(*graph, "regress_x2_to_y3", "inputs", floats({2.f}, {1})).at("outputs").item() == 4.0);
  expect_message(error_of([&] { graph->signature("serving_default")({}); }), {"FancyMul", "FancyAdd", "__inference_predict_"});
}

BOOST_AUTO_TEST_CASE(damaged_graphs_give_clear_errors) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  const auto serving_error = [](const fs::path& folder, const NamedTensors& inputs = {}) {
    return error_of([&] { load_functions(folder)->signature("serving_default")(inputs); });
  };
  const auto expect = [](const std::string& message, const std::string& part) { expect_message(message, {part}); };
  expect(serving_error(edited_copy(*real, kTf2Case, kTf2Folder, "graph_missing_function", [](tfproto::SavedModel& sm) {
           auto* functions = sm.mutable_meta_graphs(0)->mutable_graph_def()->mutable_library()->mutable_function();
           for (int i = 0; i < functions->size(); ++i)
             if (functions->Get(i).signature().name().rfind("__inference_predict_", 0) == 0) functions->DeleteSubrange(i--, 1);
         })),
         "__inference_predict_");
  expect(serving_error(edited_copy(*real, kTf2Case, kTf2Folder, "graph_cycle", [](tfproto::SavedModel& sm) {
           auto& f = function_named(sm, "__inference_predict_");
           node_of_op(f, "Mul").set_input(0, node_of_op(f, "AddV2").name() + ":z:0");
         })),
         "cycle");
  expect(serving_error(edited_copy(*real, kTf2Case, kTf2Folder, "graph_bad_index", [](tfproto::SavedModel& sm) {
           auto& f = function_named(sm, "__inference_predict_");
           node_of_op(f, "AddV2").set_input(0, node_of_op(f, "Mul").name() + ":z:7");
         })),
         "output 7");
  expect(serving_error(edited_copy(*real, kTf2Case, kTf2Folder, "graph_dangling_input", [](tfproto::SavedModel& sm) {
           node_of_op(function_named(sm, "__inference_predict_"), "Mul").set_input(1, "nowhere:z:0");
         })),
         "nowhere");
  expect(serving_error(edited_copy(*real, kKerasCase, kKerasFolder, "graph_absurd_const", [](tfproto::SavedModel& sm) {
           for (auto& f : *sm.mutable_meta_graphs(0)->mutable_graph_def()->mutable_library()->mutable_function())
             for (auto& node : *f.mutable_node_def())
               if (node.op() == "Const" && node.name().ends_with("add/y")) {
                 auto* shape = (*node.mutable_attr())["value"].mutable_tensor()->mutable_tensor_shape();
                 shape->add_dim()->set_size(1000000);
                 shape->add_dim()->set_size(1000000);
               }
         }), {{"input_1", Tensor::zeros(DType::Float32, {1, 784})}}),
         "asks for more than");
  // A variable whose checkpoint value cannot be found through the object graph.
  expect(serving_error(edited_copy(*real, kTf2Case, kTf2Folder, "graph_missing_variable", [](tfproto::SavedModel& sm) {
           for (auto& child : *sm.mutable_meta_graphs(0)->mutable_object_graph_def()->mutable_nodes(0)->mutable_children())
             if (child.local_name() == "a") child.set_local_name("renamed");
         })),
         "has no value");
  const fs::path corrupt = edited_copy(*real, kTf2Case, kTf2Folder, "graph_corrupt", [](tfproto::SavedModel&) {});
  std::ofstream(corrupt / "saved_model.pb", std::ios::binary | std::ios::trunc) << "\x0a\xff\xff\xff\x0f garbage";
  expect(error_of([&] { load_functions(corrupt); }), "saved_model.pb");
}

// Hostile SavedModels: a function that calls itself, asset names that climb out of the folder,
// and files that are links to places outside it. Each gives a clear error, never a stack
// overflow nor a read of another file of the machine.
BOOST_AUTO_TEST_CASE(hostile_savedmodels_are_refused) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  const auto serving_error = [](const fs::path& folder, const NamedTensors& inputs = {}) {
    return error_of([&] { load_functions(folder)->signature("serving_default")(inputs); });
  };
  expect_message(serving_error(edited_copy(*real, kTf2Case, kTf2Folder, "graph_self_recursive",
                                           [](tfproto::SavedModel& sm) {
                                             auto& f = function_named(sm, "__inference_predict_");
                                             tfproto::NodeDef& mul = node_of_op(f, "Mul");
                                             tfproto::NodeDef& call = *f.add_node_def();
                                             call.set_name("calls_itself");
                                             call.set_op("PartitionedCall");
                                             // Every argument of the function, passed on as it got them.
                                             for (const auto& arg : f.signature().input_arg()) call.add_input(arg.name());
                                             (*call.mutable_attr())["f"].mutable_func()->set_name(f.signature().name());
                                             mul.set_input(0, "calls_itself:output:0");
                                           }),
                               {{"x", floats({1.f}, {1})}}),
                 {"nest deeper than"});
  for (const std::string asset : {"../outside.txt", "/etc/passwd", "a/../../b"})
    expect_message(serving_error(edited_copy(*real, kTf1Case, kTf1Folder, "graph_asset_outside",
                                             [&](tfproto::SavedModel& sm) {
                                               auto* def = sm.mutable_meta_graphs(0)->add_asset_file_def();
                                               def->set_filename(asset);
                                               def->mutable_tensor_info()->set_name("asset_path:0");
                                             }),
                                 {{"x", floats({1.f}, {1, 1})}}),
                   {"outside its folder", asset});
  // Links out of the folder: the variables' index, and saved_model.pb itself.
  const fs::path outside = test::scratch_dir("graph_link_target");
  for (const std::string file : {"variables/variables.index", "saved_model.pb"}) {
    const fs::path folder = edited_copy(*real, kTf2Case, kTf2Folder, "graph_link_out", [](tfproto::SavedModel&) {});
    fs::copy_file(folder / file, outside / "target", fs::copy_options::overwrite_existing);
    fs::remove(folder / file);
    fs::create_symlink(outside / "target", folder / file);
    expect_message(error_of([&] { load_functions(folder); }), {"link leading out of the SavedModel folder", file});
  }
}

BOOST_AUTO_TEST_CASE(unknown_keras_layer_class_revives_from_its_traced_call) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  // No plugin defines the custom layer Transformer: it runs its traced call function.
  ModelPtr model = load_model(fixture_folder(*real, kKerasCase, kKerasFolder));
  BOOST_TEST(model->layers().front()->class_name() == "Transformer");
  BOOST_TEST(model->layers().front()->get_config()["a"] == 784);
  BOOST_TEST_REQUIRE(model->weights().size() == 1u);
  BOOST_TEST((model->weights()[0]->shape() == Shape{784, 10}));
  check_expected_runs(*model, *real / kKerasCase / "expected");
}

BOOST_AUTO_TEST_CASE(unknown_keras_layer_without_traces_is_refused_clearly) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  // As if saved with save_traces=False: the layer's functions are gone.
  const fs::path folder = edited_copy(*real, kKerasCase, kKerasFolder, "revive_no_traces", [](tfproto::SavedModel& sm) {
    auto& objects = *sm.mutable_meta_graphs(0)->mutable_object_graph_def();
    const int layer = [&] {
      for (const auto& child : objects.nodes(0).children())
        if (child.local_name() == "layer_with_weights-0") return child.node_id();
      return -1;
    }();
    BOOST_TEST_REQUIRE(layer > 0);
    for (auto& child : *objects.mutable_nodes(layer)->mutable_children())
      if (child.local_name() == "keras_api" || child.local_name() == "__call__" || child.local_name() == "call_and_return_all_conditional_losses")
        child.set_local_name("gone_" + child.local_name());
  });
  expect_message(error_of([&] { load_model(folder); }), {"Transformer", "no traced call function", "custom_objects"});
}

BOOST_AUTO_TEST_CASE(unknown_subclassed_model_class_revives_from_its_traced_call) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  // The fixture's root relabelled as a subclassed model of a class nothing defines: the whole
  // model runs its own traced call (keras_api.call_and_return_conditional_losses).
  const fs::path folder = edited_copy(*real, kKerasCase, kKerasFolder, "revive_custom_model", [](tfproto::SavedModel&) {});
  tfproto::KerasSavedMetadata metadata;
  {
    std::ifstream in(folder / "keras_metadata.pb", std::ios::binary);
    BOOST_TEST_REQUIRE(metadata.ParseFromIstream(&in));
  }
  for (auto& node : *metadata.mutable_nodes()) {
    if (node.node_id() != 0) continue;
    Json json = Json::parse(node.metadata());
    json["class_name"] = "CustomModel";
    json["model_config"]["class_name"] = "CustomModel";
    node.set_identifier("_tf_keras_model");
    node.set_metadata(json.dump());
  }
  {
    std::ofstream out(folder / "keras_metadata.pb", std::ios::binary | std::ios::trunc);
    BOOST_TEST_REQUIRE(metadata.SerializeToOstream(&out));
  }
  LoadOptions options;
  options.compile = false;
  ModelPtr model = load_model(folder, options);
  BOOST_TEST(model->class_name() == "CustomModel");
  check_expected_runs(*model, *real / kKerasCase / "expected");
}

namespace {

// Inputs of the signature's specs (unknown dims = 2), zeros or empty strings.
NamedTensors inputs_for(const SignatureFunction& f) {
  NamedTensors inputs;
  for (const auto& [key, spec] : f.inputs) {
    Shape shape = spec.shape.value_or(Shape{1});
    for (auto& d : shape) d = d < 0 ? 2 : std::min<Dim>(d, 64);
    inputs[key] = spec.dtype == DType::String ? Tensor::strings(std::vector<std::string>(num_elements(shape)), shape)
                                              : Tensor::zeros(spec.dtype, shape);
  }
  return inputs;
}

// One random damage to a node of a random function: its op, an input name or index, an attr.
void damage_function_node(tfproto::SavedModel& sm, std::mt19937& rng) {
  auto* functions = sm.mutable_meta_graphs(0)->mutable_graph_def()->mutable_library()->mutable_function();
  if (functions->empty()) return;
  auto& f = functions->at(static_cast<int>(rng() % functions->size()));
  if (f.node_def_size() == 0) return;
  auto& node = f.mutable_node_def()->at(static_cast<int>(rng() % f.node_def_size()));
  const std::string other = f.node_def(static_cast<int>(rng() % f.node_def_size())).name();
  switch (rng() % 6) {
    case 0: node.set_op(f.node_def(static_cast<int>(rng() % f.node_def_size())).op()); break;
    case 1: if (node.input_size() > 0) node.set_input(static_cast<int>(rng() % node.input_size()), other + ":output:" + std::to_string(rng() % 4)); break;
    case 2: if (node.input_size() > 0) node.mutable_input()->RemoveLast(); break;
    case 3: node.add_input(other); break;
    case 4: node.mutable_attr()->clear(); break;
    default:
      for (auto& [name, value] : *node.mutable_attr())
        if (value.has_tensor()) value.mutable_tensor()->mutable_tensor_shape()->add_dim()->set_size(static_cast<std::int64_t>(rng() % 5) - 1);
  }
}

// One random damage to the object graph: a bound input, a child edge or a signature spec.
void damage_objects(tfproto::SavedModel& sm, std::mt19937& rng) {
  auto& objects = *sm.mutable_meta_graphs(0)->mutable_object_graph_def();
  const int wild = static_cast<int>(rng() % 64) - 8;
  switch (rng() % 3) {
    case 0:
      for (auto& [name, concrete] : *objects.mutable_concrete_functions())
        if (concrete.bound_inputs_size() > 0 && rng() % 3 == 0) concrete.set_bound_inputs(0, wild);
      break;
    case 1:
      if (objects.nodes_size() > 0)
        for (auto& child : *objects.mutable_nodes(static_cast<int>(rng() % objects.nodes_size()))->mutable_children()) child.set_node_id(wild);
      break;
    default:
      for (auto& [name, concrete] : *objects.mutable_concrete_functions()) concrete.mutable_output_signature()->Clear();
  }
}

}  // namespace

// Randomly damaged graphs (seeded; KSAVE_FUZZ_SEED picks another run): every failure is a
// ksave::Error, never a crash or another exception.
BOOST_AUTO_TEST_CASE(randomly_damaged_graphs_fail_with_errors) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  const char* seed = std::getenv("KSAVE_FUZZ_SEED");
  std::mt19937 rng(seed ? static_cast<unsigned>(std::stoul(seed)) : 20261126u);
  int errors = 0, runs = 0;
  for (const auto& [case_name, folder] : {std::pair<std::string, std::string>{kTf2Case, kTf2Folder}, {kKerasCase, kKerasFolder}, {kTf1Case, kTf1Folder}}) {
    const fs::path copy = edited_copy(*real, case_name, folder, "graph_fuzz", [](tfproto::SavedModel&) {});
    tfproto::SavedModel original;
    {
      std::ifstream in(copy / "saved_model.pb", std::ios::binary);
      BOOST_TEST_REQUIRE(original.ParseFromIstream(&in));
    }
    for (int round = 0; round < 100; ++round) {
      tfproto::SavedModel damaged = original;
      for (int k = 0; k < 1 + static_cast<int>(rng() % 3); ++k) (rng() % 3 ? damage_function_node(damaged, rng) : damage_objects(damaged, rng));
      std::string bytes = damaged.SerializeAsString();
      if (round % 4 == 0) bytes[rng() % bytes.size()] ^= static_cast<char>(1 + rng() % 255);
      std::ofstream(copy / "saved_model.pb", std::ios::binary | std::ios::trunc) << bytes;
      try {
        const LoadedFunctionsPtr graph = load_functions(copy);
        for (const auto& [name, f] : graph->signatures()) {
          try {
            f(inputs_for(f));
            ++runs;
          } catch (const Error&) {
            ++errors;
          }
        }
      } catch (const Error&) {
        ++errors;
      }
      if (case_name != kKerasCase) continue;
      try {  // the revived Keras model of the same damaged graph
        LoadOptions options;
        options.compile = false;
        load_model(copy, options)->predict(Tensor::zeros(DType::Float32, {2, 784}));
        ++runs;
      } catch (const Error&) {
        ++errors;
      }
    }
  }
  BOOST_TEST_MESSAGE("damaged graphs: " << errors << " errors, " << runs << " signature runs that still worked");
  BOOST_TEST(errors > 0);
}
