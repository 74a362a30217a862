// Object-based checkpoints through the format plugin and the Checkpoint API: a ksave model of
// the right architecture loads the TF 2.3 tfrust SavedModel's variables/ bundle (weights, Adam
// slots, optimizer iterations) and predicts its expected outputs; save_weights writes the keys,
// node order and data order TensorFlow writes; Checkpoint/CheckpointManager numbering and state
// files; deferred restoration; TF1 name-based restore; resumed training is bit-identical.
#define BOOST_TEST_MODULE format_tf_checkpoint_object_checkpoints
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <iterator>
#include <set>
#include <cstring>
#include <fstream>
#include <sstream>

#include "ksave/ksave.hpp"
#include "ksave/npy.hpp"
#include "ksave/optimizer.hpp"
#include "ksave/saving.hpp"
#include "ksave/serialization.hpp"
#include "ksave/tf/checkpoint.hpp"
#include "ksave/tf/object_graph.hpp"
#include "support/compare.hpp"
#include "support/test_data.hpp"

namespace fs = std::filesystem;
using namespace ksave;

namespace {

const char* const kCase = "tfrust_keras_single_input_saved_model";

// Sequential Dense(5, relu, name test_in) → Dense(5, relu) → Dense(1, sigmoid, name test_out),
// input (None, 5), compiled with Adam (the fixture's README): TF 2.3's OptimizerV2 Adam, which is
// tf-keras 2.21's legacy Adam (a config without is_legacy_optimizer, as old files have).
std::shared_ptr<Sequential> tfrust_model(bool compile = true) {
  auto model = std::make_shared<Sequential>(std::vector<LayerPtr>{
      make_layer("Dense", {{"units", 5}, {"activation", "relu"}, {"name", "test_in"}, {"batch_input_shape", {nullptr, 5}}}),
      make_layer("Dense", {{"units", 5}, {"activation", "relu"}, {"name", "dense"}}),
      make_layer("Dense", {{"units", 1}, {"activation", "sigmoid"}, {"name", "test_out"}})});
  if (compile) model->compile(Json{{"class_name", "Adam"}, {"config", Json::object()}}, Json("binary_crossentropy"));
  return model;
}

bool bitwise_equal(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() &&
         std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0;
}

fs::path tfrust_prefix(const fs::path& real) { return real / kCase / "keras_single_input_saved_model" / "variables" / "variables"; }

std::vector<std::string> keys_in_data_order(const tf::BundleReader& reader) {
  std::vector<std::string> keys = reader.keys();
  std::stable_sort(keys.begin(), keys.end(), [&](const std::string& a, const std::string& b) {
    return reader.entry(a).offset() < reader.entry(b).offset();
  });
  return keys;
}

// What restoring relies on in an object graph, independent of node numbering: each node's path
// from the root (breadth first, the first name it is reached by), "<path> child <name> -> <path>",
// "<path> attribute <name> = <checkpoint key>" and "<path> slot <name> of <path> -> <path>".
std::set<std::string> graph_facts(const tfproto::TrackableObjectGraph& graph) {
  std::vector<std::string> path(static_cast<std::size_t>(graph.nodes_size()));
  std::vector<bool> seen(path.size(), false);
  std::vector<int> queue{0};
  seen[0] = true;
  path[0] = "(root)";
  for (std::size_t next = 0; next < queue.size(); ++next)
    for (const auto& child : graph.nodes(queue[next]).children())
      if (!seen.at(static_cast<std::size_t>(child.node_id()))) {
        seen[static_cast<std::size_t>(child.node_id())] = true;
        path[static_cast<std::size_t>(child.node_id())] = path[static_cast<std::size_t>(queue[next])] + "/" + child.local_name();
        queue.push_back(child.node_id());
      }
  std::set<std::string> facts;
  for (int id : queue) {
    const auto& node = graph.nodes(id);
    const std::string& at = path[static_cast<std::size_t>(id)];
    for (const auto& child : node.children())
      facts.insert(at + " child " + child.local_name() + " -> " + path[static_cast<std::size_t>(child.node_id())]);
    for (const auto& attribute : node.attributes())
      facts.insert(at + " attribute " + attribute.name() + " = " + attribute.checkpoint_key());
    for (const auto& slot : node.slot_variables())
      facts.insert(at + " slot " + slot.slot_name() + " of " + path[static_cast<std::size_t>(slot.original_variable_node_id())] +
                   " -> " + path[static_cast<std::size_t>(slot.slot_variable_node_id())]);
  }
  return facts;
}

tfproto::TrackableObjectGraph object_graph_of(const tf::BundleReader& bundle) {
  tfproto::TrackableObjectGraph graph;
  BOOST_REQUIRE(graph.ParseFromString(bundle.read(tf::kObjectGraphKey).string_values()[0]));
  return graph;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_ksave_model_loads_the_tf23_savedmodel_variables_with_adam_slots) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  auto model = tfrust_model();
  const fs::path prefix = tfrust_prefix(*real);
  LoadStatus status = load_weights(*model, prefix);
  // Everything of the model matched; only the SavedModel's compiled metrics have no object here.
  BOOST_TEST(status.unmatched_in_model.empty());
  for (const auto& k : status.unmatched_in_model) BOOST_TEST_MESSAGE("unmatched: " << k);
  BOOST_TEST(status.unused_in_file.size() == 4u);
  for (const auto& k : status.unused_in_file) BOOST_TEST(k.rfind("keras_api/metrics/", 0) == 0);
  status.assert_existing_objects_matched();

  const fs::path expected = *real / kCase / "expected";
  const Tensor out = model->predict(read_npy(expected / "input_0.npy"));
  BOOST_TEST(test::close(out, read_npy(expected / "output_0.npy"), {.rtol = 1e-4, .atol = 1e-5}));

  tf::CheckpointReader reader(prefix);
  auto optimizer = model->optimizer();
  BOOST_TEST(bitwise_equal(optimizer->iterations()->value(), read_npy(expected / "var_optimizer__iter.npy")));
  const auto kernel0 = model->layers()[0]->weights()[0];
  for (const auto& [slot_name, slot] : optimizer->slots(*kernel0)) {
    BOOST_TEST_CONTEXT(slot_name) {
      BOOST_TEST(bitwise_equal(slot->value(), reader.get_tensor("layer_with_weights-0/kernel/.OPTIMIZER_SLOT/optimizer/" +
                                                                slot_name + "/.ATTRIBUTES/VARIABLE_VALUE")));
    }
  }
}

BOOST_AUTO_TEST_CASE(save_weights_writes_the_keys_and_order_tensorflow_writes) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  auto model = tfrust_model();
  load_weights(*model, tfrust_prefix(*real));
  const fs::path out = test::scratch_dir("save_weights_keys") / "ckpt";
  save_weights(*model, out);
  BOOST_TEST(fs::exists(out.parent_path() / "checkpoint"));
  BOOST_TEST(tf::latest_checkpoint(out.parent_path()).value() == out);

  tf::BundleReader ours(out), theirs(tfrust_prefix(*real));
  std::vector<std::string> expected;
  for (const auto& k : keys_in_data_order(theirs))
    if (k.rfind("keras_api/", 0) != 0) expected.push_back(k);
  // Same keys, and the same order in the data file: layers breadth first, optimizer hypers,
  // then all `m` slots, all `v` slots, the object graph last.
  BOOST_TEST(keys_in_data_order(ours) == expected, boost::test_tools::per_element());
  for (const auto& k : expected)
    if (k != tf::kObjectGraphKey) BOOST_TEST_CONTEXT(k) { BOOST_TEST(bitwise_equal(ours.read(k), theirs.read(k))); }

  // The object graph: TensorFlow's for the same model, node for node (children, attributes and
  // their checkpoint keys, Adam's slot variables), but for what only a SavedModel holds (the
  // extra dependencies Keras lists for serialization, which save_weights leaves out).
  const auto saved_model_only = [](const std::string& fact) {
    for (const char* name : {"keras_api", "signatures", "variables", "trainable_variables", "regularization_losses"})
      if (fact.find(std::string("/") + name) != std::string::npos || fact.find(std::string(" child ") + name + " ") != std::string::npos)
        return true;
    return false;
  };
  std::set<std::string> expected_facts;
  for (const auto& fact : graph_facts(object_graph_of(theirs)))
    if (!saved_model_only(fact)) expected_facts.insert(fact);
  const std::set<std::string> found_facts = graph_facts(object_graph_of(ours));
  std::vector<std::string> missing, extra;
  std::set_difference(expected_facts.begin(), expected_facts.end(), found_facts.begin(), found_facts.end(), std::back_inserter(missing));
  std::set_difference(found_facts.begin(), found_facts.end(), expected_facts.begin(), expected_facts.end(), std::back_inserter(extra));
  BOOST_TEST(expected_facts.size() > 40u);
  for (const auto& fact : missing) BOOST_ERROR("TensorFlow's object graph has, ours has not: " << fact);
  for (const auto& fact : extra) BOOST_ERROR("ours has, TensorFlow's object graph has not: " << fact);
  // A Sequential's weighted layer is reached as layer_with_weights-K first.
  const tfproto::TrackableObjectGraph graph = object_graph_of(ours);
  const auto& root = graph.nodes(0);
  BOOST_TEST(root.children(0).local_name() == "layer_with_weights-0");
  BOOST_TEST(root.children(1).local_name() == "layer-0");
}

BOOST_AUTO_TEST_CASE(save_and_load_weights_round_trip_with_optimizer_state) {
  auto a = tfrust_model();
  const Tensor x = Tensor::from_vector<float>({0.1f, 0.2f, 0.3f, 0.4f, 0.5f, -1, 2, 0, 1, -0.5f}, {2, 5});
  const Tensor y = Tensor::from_vector<float>({1, 0}, {2, 1});
  a->train_on_batch({x}, {y});
  const fs::path out = test::scratch_dir("round_trip") / "weights";
  save_weights(*a, out);
  auto b = tfrust_model();
  LoadStatus status = load_weights(*b, out);
  status.assert_consumed();
  BOOST_TEST(bitwise_equal(a->predict(x), b->predict(x)));
  BOOST_TEST(bitwise_equal(a->optimizer()->iterations()->value(), b->optimizer()->iterations()->value()));

  // include_optimizer=false leaves the optimizer out: a compiled model then misses its state.
  SaveOptions no_optimizer;
  no_optimizer.include_optimizer = false;
  const fs::path weights_only = test::scratch_dir("weights_only") / "w";
  save_weights(*a, weights_only, no_optimizer);
  tf::CheckpointReader reader(weights_only);
  for (const auto& [key, shape] : reader.variable_to_shape_map()) BOOST_TEST(key.find("optimizer") == std::string::npos);
  auto c = tfrust_model(false);
  load_weights(*c, weights_only).assert_consumed();
}

BOOST_AUTO_TEST_CASE(resumed_training_is_bit_identical) {
  const Tensor x = Tensor::from_vector<float>({0.1f, 0.2f, 0.3f, 0.4f, 0.5f, -1, 2, 0, 1, -0.5f}, {2, 5});
  const Tensor y = Tensor::from_vector<float>({1, 0}, {2, 1});
  auto a = tfrust_model();
  for (int i = 0; i < 3; ++i) a->train_on_batch({x}, {y});
  const fs::path out = test::scratch_dir("resume") / "ckpt";
  save_weights(*a, out);
  for (int i = 0; i < 3; ++i) a->train_on_batch({x}, {y});

  auto b = tfrust_model();
  load_weights(*b, out).assert_consumed();
  for (int i = 0; i < 3; ++i) b->train_on_batch({x}, {y});
  const auto wa = a->weights(), wb = b->weights();
  BOOST_REQUIRE(wa.size() == wb.size());
  for (std::size_t i = 0; i < wa.size(); ++i) BOOST_TEST(bitwise_equal(wa[i]->value(), wb[i]->value()));
  const auto oa = a->optimizer()->variables(), ob = b->optimizer()->variables();
  BOOST_REQUIRE(oa.size() == ob.size());
  for (std::size_t i = 0; i < oa.size(); ++i) BOOST_TEST(bitwise_equal(oa[i]->value(), ob[i]->value()));
}

BOOST_AUTO_TEST_CASE(checkpoint_save_restore_and_manager) {
  auto model = tfrust_model();
  const fs::path dir = test::scratch_dir("checkpoint_api");
  auto ckpt = std::make_shared<tf::Checkpoint>(tf::Checkpoint::Objects{{"optimizer", model->optimizer()}, {"model", model}});
  const std::string first = ckpt->save(dir / "ckpt");
  BOOST_TEST(first == (dir / "ckpt-1").string());
  BOOST_TEST(ckpt->save(dir / "ckpt") == (dir / "ckpt-2").string());
  const auto state = tf::read_checkpoint_state(dir).value();
  BOOST_TEST(state.model_checkpoint_path == "ckpt-2");
  BOOST_TEST(state.all_model_checkpoint_paths == std::vector<std::string>{"ckpt-2"});

  tf::CheckpointReader reader(dir);  // the directory's latest
  const auto shapes = reader.variable_to_shape_map();
  BOOST_TEST(shapes.count("save_counter/.ATTRIBUTES/VARIABLE_VALUE"));
  BOOST_TEST(shapes.count("model/layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE"));
  BOOST_TEST(shapes.count("optimizer/iter/.ATTRIBUTES/VARIABLE_VALUE"));
  BOOST_TEST(reader.variable_to_dtype_map().at("save_counter/.ATTRIBUTES/VARIABLE_VALUE") == "int64");
  BOOST_TEST(reader.get_tensor("save_counter/.ATTRIBUTES/VARIABLE_VALUE").item() == 2);

  auto other = tfrust_model();
  auto restored = std::make_shared<tf::Checkpoint>(tf::Checkpoint::Objects{{"model", other}, {"optimizer", other->optimizer()}});
  restored->restore(dir).assert_consumed();
  BOOST_TEST(restored->save_counter()->value().item() == 2);

  // write() neither counts nor touches the state file.
  ckpt->write(dir / "plain");
  BOOST_TEST(tf::read_checkpoint_state(dir)->model_checkpoint_path == "ckpt-2");

  const fs::path managed = test::scratch_dir("checkpoint_manager");
  tf::CheckpointManager manager(std::make_shared<tf::Checkpoint>(tf::Checkpoint::Objects{{"model", model}}), managed, 2);
  for (int i = 0; i < 3; ++i) manager.save();
  BOOST_TEST(manager.latest_checkpoint().value() == (managed / "ckpt-3").string());
  BOOST_TEST(!fs::exists(managed / "ckpt-1.index"));
  BOOST_TEST(!fs::exists(managed / "ckpt-1.data-00000-of-00001"));
  const auto kept = tf::read_checkpoint_state(managed).value();
  BOOST_TEST(kept.all_model_checkpoint_paths == (std::vector<std::string>{"ckpt-2", "ckpt-3"}));
  BOOST_TEST(kept.all_model_checkpoint_timestamps.size() == 2u);

  // A new manager with a fresh Checkpoint over that directory writes ckpt-1 again; as
  // TensorFlow's manager (measured: tf.train.CheckpointManager gives ["ckpt-2", "ckpt-1"] and
  // keeps both files), the path moves to the end and nothing just written is deleted.
  const fs::path reused = test::scratch_dir("checkpoint_manager_reused");
  for (int run = 0; run < 2; ++run) {
    tf::CheckpointManager again(std::make_shared<tf::Checkpoint>(tf::Checkpoint::Objects{{"model", model}}), reused, 2);
    again.save();
    if (run == 0) again.save();
  }
  BOOST_TEST(tf::read_checkpoint_state(reused)->all_model_checkpoint_paths == (std::vector<std::string>{"ckpt-2", "ckpt-1"}));
  BOOST_TEST(tf::read_checkpoint_state(reused)->model_checkpoint_path == "ckpt-1");
  BOOST_TEST(fs::exists(reused / "ckpt-1.index"));
  BOOST_TEST(fs::exists(reused / "ckpt-2.index"));
}

// tf-keras 2.21's own Adam ("adam"): its state sits under optimizer/_variables/N, restored into
// an optimizer built for the model's variables, as TensorFlow restores it.
BOOST_AUTO_TEST_CASE(new_generation_optimizer_state_through_the_checkpoint_api) {
  const Tensor x = Tensor::from_vector<float>({0.1f, 0.2f, 0.3f, 0.4f, 0.5f, -1, 2, 0, 1, -0.5f}, {2, 5});
  const Tensor y = Tensor::from_vector<float>({1, 0}, {2, 1});
  auto model = tfrust_model(false);
  model->compile(Json("adam"), Json("binary_crossentropy"));
  model->train_on_batch({x}, {y});
  const fs::path dir = test::scratch_dir("checkpoint_new_optimizer");
  std::make_shared<tf::Checkpoint>(tf::Checkpoint::Objects{{"optimizer", model->optimizer()}, {"model", model}})->save(dir / "ckpt");
  const auto keys = tf::CheckpointReader(dir).variable_to_shape_map();
  BOOST_TEST(keys.count("optimizer/_iterations/.ATTRIBUTES/VARIABLE_VALUE"));
  BOOST_TEST(keys.count("optimizer/_variables/1/.ATTRIBUTES/VARIABLE_VALUE"));

  auto other = tfrust_model(false);
  other->compile(Json("adam"), Json("binary_crossentropy"));
  other->optimizer()->build(other->trainable_weights());
  std::make_shared<tf::Checkpoint>(tf::Checkpoint::Objects{{"model", other}, {"optimizer", other->optimizer()}})
      ->restore(dir)
      .assert_consumed();
  const auto ours = model->optimizer()->variables(), theirs = other->optimizer()->variables();
  BOOST_REQUIRE(ours.size() == theirs.size());
  for (std::size_t i = 0; i < ours.size(); ++i) BOOST_TEST(bitwise_equal(ours[i]->value(), theirs[i]->value()), ours[i]->name());
}

BOOST_AUTO_TEST_CASE(deferred_restoration_after_build) {
  auto source = tfrust_model(false);
  const fs::path out = test::scratch_dir("deferred") / "w";
  save_weights(*source, out);
  // A layer not built yet, held as the checkpoint's first weighted layer: its kernel and bias
  // do not exist at restore time.
  struct Holder : Trackable {
    LayerPtr layer;
    std::vector<TrackableChild> trackable_children() const override { return {{"layer_with_weights-0", layer}}; }
    std::string trackable_kind() const override { return "holder"; }
  };
  auto dense = make_layer("Dense", {{"units", 5}, {"name", "late"}});
  auto root = std::make_shared<Holder>();
  root->layer = dense;
  auto status = tf::restore_checkpoint(root, out);
  BOOST_TEST(!status.status().unused_in_file.empty());
  dense->build(Shape{kUnknown, 5});
  std::size_t restored = status.restore_deferred();
  BOOST_TEST_MESSAGE("deferred restore assigned " << restored << " variables");
  BOOST_TEST(restored == 2u);
  BOOST_TEST(bitwise_equal(dense->weights()[0]->value(), source->layers()[0]->weights()[0]->value()));
}

BOOST_AUTO_TEST_CASE(tf1_name_based_checkpoint_restores_by_variable_name) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  const fs::path dir = *real / "tf2onnx_tf1_ckpt_regression" / "checkpoint";
  tf::CheckpointReader reader(dir);
  // A trackable holding two variables named as the TF1 graph named them.
  struct Holder : Trackable {
    VariablePtr w, b;
    std::vector<TrackableChild> trackable_children() const override { return {{"W", w}, {"b", b}}; }
    std::string trackable_kind() const override { return "holder"; }
  };
  auto holder = std::make_shared<Holder>();
  holder->w = std::make_shared<Variable>("W:0", Tensor::zeros(DType::Float32, reader.variable_to_shape_map().at("W")));
  holder->b = std::make_shared<Variable>("b:0", Tensor::zeros(DType::Float32, reader.variable_to_shape_map().at("b")));
  auto status = tf::restore_checkpoint(holder, tf::resolve_checkpoint_prefix(dir));
  status.assert_consumed();
  BOOST_TEST(bitwise_equal(holder->w->value(), read_npy(*real / "tf2onnx_tf1_ckpt_regression" / "expected" / "var_W.npy")));
  BOOST_TEST(bitwise_equal(holder->b->value(), read_npy(*real / "tf2onnx_tf1_ckpt_regression" / "expected" / "var_b.npy")));
}
