#include "revive_layer.hpp"

#include <map>
#include <set>

#include "keras_metadata.hpp"
#include "ksave/error.hpp"
#include "ksave/layer.hpp"
#include "ksave/model.hpp"
#include "ksave/registry.hpp"
#include "revive_call.hpp"
#include "saved_model_file.hpp"

namespace ksave::plugins::savedmodel {
namespace fs = std::filesystem;
namespace {

// Where tf.keras keeps a layer's traced call, most specific first.
const std::vector<std::vector<std::string>> kCallPaths{
    {"keras_api", "call_and_return_conditional_losses"}, {"call_and_return_all_conditional_losses"}, {"__call__"}};

bool is_revivable_layer(const std::string& identifier) {
  return identifier == "_tf_keras_layer" || identifier == "_tf_keras_rnn_layer" || identifier == "_tf_keras_model";
}

struct RevivableNode {
  Json metadata;
  bool model = false;  // a subclassed model (_tf_keras_model)
};

// node id → metadata of every Keras layer or subclassed-model node of the SavedModel.
using RevivableNodes = std::map<int, RevivableNode>;

LayerPtr revive_node(const std::shared_ptr<SavedModelGraph>& graph, const std::shared_ptr<const RevivableNodes>& nodes, int id,
                     const Json& config, const std::string& class_name);

// A layer (Base = Layer) or subclassed model (Base = Model) whose call is its traced function.
// Its sublayers (the Keras layer nodes among its children) are revived too and tracked under
// their attribute names, so that its weights list, restore and save every variable it owns, as
// tf.keras's revived layers and networks do; the traced call reads the same variables.
template <typename Base>
class Revived : public Base, public RevivedCall {
 public:
  Revived(const Json& config, std::string class_name, const std::shared_ptr<SavedModelGraph>& graph,
          const std::shared_ptr<const RevivableNodes>& nodes, int node)
      : Base(config, class_name),
        class_name_(std::move(class_name)),
        config_(without_shared_object_ids(config)),
        graph_(graph),
        call_(graph, node, kCallPaths,
              "revived " + std::string(std::is_same_v<Base, Model> ? "model" : "layer") + " '" + this->name() + "' (" + class_name_ +
                  ", object graph node " + std::to_string(node) + ")") {
    // The node's own variables, under their attribute names (the checkpoint path of each);
    // a variable reachable under two names keeps the first. The call finds any other variable it
    // captures (its sublayers') by node id, as the same shared Variable objects.
    for (const auto& child : graph->objects().nodes(node).children()) {
      const int id = child.node_id();
      if (id < 0 || id >= graph->objects().nodes_size() || !graph->objects().nodes(id).has_variable() || variables_.count(id)) continue;
      VariablePtr variable = graph->variables->variable(id);
      variables_[id] = variable;
      this->track_variable(child.local_name(), variable);
    }
    std::set<int> revived{node};  // a sublayer reachable under two names ("layer-1", "layer_with_weights-0") is revived once
    for (const auto& child : graph->objects().nodes(node).children()) {
      const auto sublayer = nodes->find(child.node_id());
      if (sublayer == nodes->end() || !revived.insert(child.node_id()).second) continue;
      const Json& metadata = sublayer->second.metadata;
      Json sub_config = metadata.value("config", Json::object());
      if (!sub_config.is_object() || !sub_config.contains("name")) sub_config = Json{{"name", metadata.value("name", child.local_name())}};
      this->track_layer(child.local_name(), revive_node(graph, nodes, child.node_id(), sub_config, metadata.value("class_name", "")));
    }
    this->set_built(true);
  }

  std::string class_name() const override { return class_name_; }
  Json get_config() const override { return config_; }
  const std::vector<FlatSpec>& traced_inputs() const override { return call_.inference_inputs(); }
  bool takes_training() const override { return call_.takes_training(); }

 protected:
  Tensors call(const Tensors& inputs, const CallContext& ctx) override {
    return call_(inputs, ctx.training, [this](int id) -> GraphValue {
      auto it = variables_.find(id);
      return variable_value(it != variables_.end() ? it->second : graph_->variables->variable(id));
    });
  }
  // Shapes from running the traced call (its sublayers cannot say how the call combines them).
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& input_shapes) override {
    return Layer::compute_output_shape(input_shapes);
  }

 private:
  std::string class_name_;
  Json config_;
  std::shared_ptr<SavedModelGraph> graph_;
  TracedCall call_;
  std::map<int, VariablePtr> variables_;
};

LayerPtr revive_node(const std::shared_ptr<SavedModelGraph>& graph, const std::shared_ptr<const RevivableNodes>& nodes, int id,
                     const Json& config, const std::string& class_name) {
  if (nodes->at(id).model) return std::make_shared<Revived<Model>>(config, class_name, graph, nodes, id);
  return std::make_shared<Revived<Layer>>(config, class_name, graph, nodes, id);
}

// node id → metadata of every Keras layer or subclassed-model node (keras_metadata.pb, else the
// legacy strings).
RevivableNodes layer_metadata(const tfproto::MetaGraphDef& meta_graph, const std::optional<tfproto::KerasSavedMetadata>& keras_metadata) {
  RevivableNodes out;
  const auto parse = [&](int id, const std::string& identifier, const std::string& text) {
    if (!is_revivable_layer(identifier) || text.empty()) return;
    Json json;
    try {
      json = parse_json(text, "the metadata of node " + std::to_string(id));
    } catch (const Error&) {
      return;  // unreadable metadata: the node is revived from its traced call alone
    }
    if (json.is_object()) out[id] = {untuple(json), identifier == "_tf_keras_model"};
  };
  if (keras_metadata) {
    for (const auto& node : keras_metadata->nodes()) parse(node.node_id(), node.identifier(), node.metadata());
  } else {
    const auto& nodes = meta_graph.object_graph_def().nodes();
    for (int id = 0; id < nodes.size(); ++id)
      if (nodes[id].has_user_object()) parse(id, nodes[id].user_object().identifier(), nodes[id].user_object().metadata());
  }
  return out;
}

}  // namespace

RevivedLayers revived_layer_classes(const std::shared_ptr<const tfproto::SavedModel>& saved_model, const tfproto::MetaGraphDef& meta_graph,
                                    const std::optional<tfproto::KerasSavedMetadata>& keras_metadata, const fs::path& directory,
                                    const CustomObjects& given) {
  // class name → layer name → node, for the classes nothing resolves.
  auto nodes = std::make_shared<const RevivableNodes>(layer_metadata(meta_graph, keras_metadata));
  std::map<std::string, std::map<std::string, int>> unknown;
  for (const auto& [id, node] : *nodes) {
    const std::string class_name = node.metadata.value("class_name", "");
    const std::string layer_name = node.metadata.value("name", "");
    if (class_name.empty() || given.count(class_name) || Registry::global().resolve(Kind::Layer, class_name)) continue;
    unknown[class_name].emplace(layer_name, id);
  }
  RevivedLayers out{{}, std::make_shared<RevivedConfigs>()};
  if (unknown.empty()) return out;
  auto graph = SavedModelGraph::open(saved_model, meta_graph, directory);
  for (const auto& [class_name, nodes_of_class] : unknown) {
    auto entry = std::make_shared<ClassEntry>();
    entry->kind = Kind::Layer;
    entry->class_name = class_name;
    // (bound by copy: a structured binding cannot be captured by name before clang 16)
    entry->factory = LayerFactory([graph, nodes, class_name = class_name, by_name = nodes_of_class,
                                   configs = std::shared_ptr<const RevivedConfigs>(out.configs)](const Json& config) -> LayerPtr {
      const std::string name = config.is_object() ? config.value("name", "") : "";
      auto it = by_name.find(name);
      if (it == by_name.end())
        throw Error("SavedModel " + quoted(graph->directory) + ": no saved layer '" + name + "' of class " + class_name +
                    " to revive from its traced functions");
      return revive_node(graph, nodes, it->second, configs->full(class_name, config), class_name);
    });
    out.classes.emplace(class_name, std::move(entry));
  }
  return out;
}

}  // namespace ksave::plugins::savedmodel
