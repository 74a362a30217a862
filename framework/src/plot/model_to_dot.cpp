// model_to_dot with tf.keras 2.x's rules (keras/utils/vis_utils.py): which layers are nodes,
// their record labels, and which calls give edges.
#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "dot_graph.hpp"
#include "ksave/plot.hpp"
#include "network_nodes.hpp"

namespace ksave {
namespace {

using plot::DotGraph;

// A model with a functional graph (Functional, or Sequential with a known input): what Keras's
// isinstance(layer, Functional) selects for expansion.
const Model* graph_model(const Layer& layer) {
  const auto* model = dynamic_cast<const Model*>(&layer);
  return model && !model->inputs().empty() ? model : nullptr;
}

// The layer's config, or an empty one for a layer that has none to give (a subclassed model's
// get_config throws, as Keras's raises NotImplementedError; its plot needs no config).
Json config_of(const Layer& layer) {
  try {
    return layer.get_config();
  } catch (const Error&) {
    return Json::object();
  }
}

// A Keras Wrapper (TimeDistributed, Bidirectional, ...): its config holds the wrapped layer.
struct Wrapped {
  std::string name, class_name;
  const Model* model = nullptr;  // the wrapped layer when it is a graph model (TimeDistributed(model))
};

std::optional<Wrapped> wrapped_layer(const Layer& layer) {
  const Json config = config_of(layer);
  if (!config.is_object() || !config.contains("layer")) return std::nullopt;
  const Json& inner = config["layer"];
  if (!inner.is_object() || !inner.contains("class_name") || !inner.contains("config")) return std::nullopt;
  Wrapped w;
  w.class_name = inner["class_name"].get<std::string>();
  w.name = inner["config"].value("name", "");
  for (const auto& [attribute, sublayer] : layer.tracked_layers())
    if (attribute == "layer") w.model = graph_model(*sublayer);
  return w;
}

// The name of a layer's activation from its config, as Keras prints layer.activation.__name__.
std::optional<std::string> activation_name(const Layer& layer) {
  const Json config = config_of(layer);
  if (!config.is_object() || !config.contains("activation") || config["activation"].is_null()) return std::nullopt;
  const Json& a = config["activation"];
  if (a.is_string()) return a.get<std::string>();
  if (a.is_object() && a.contains("config") && a["config"].is_string()) return a["config"].get<std::string>();
  if (a.is_object() && a.contains("class_name")) return a["class_name"].get<std::string>();
  return std::nullopt;
}

// Characters a record label gives a meaning to, escaped so that names show as written. Keras
// escapes only the braces of shapes; its names never hold the others.
std::string record_text(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '{' || c == '}' || c == '|' || c == '<' || c == '>') out += '\\';
    out += c;
  }
  return out;
}

std::string shapes_text(const std::vector<Shape>& shapes, bool as_list) {
  if (shapes.size() == 1 && !as_list) return shape_to_string(shapes[0]);
  std::string text = "[";
  for (std::size_t i = 0; i < shapes.size(); ++i) text += (i ? ", " : "") + shape_to_string(shapes[i]);
  return text + "]";
}

// Keras's layer.input_shape / layer.output_shape as str(): one call's shapes (a tuple for one
// tensor, a list for several, always a list for an InputLayer's own call), or "?" when the
// layer's calls disagree.
std::string call_shapes_text(const Layer& layer, bool inputs) {
  std::set<std::string> texts;
  for (const auto& node : layer.inbound_nodes()) {
    if (!node) continue;
    const bool input_node = node->inputs.empty();
    std::vector<Shape> shapes;
    if (inputs && !input_node)
      for (const auto& t : node->inputs) shapes.push_back(t.shape());
    else
      shapes = node->output_shapes;
    texts.insert(shapes_text(shapes, input_node));
  }
  return texts.size() == 1 ? *texts.begin() : "?";
}

class DotBuilder {
 public:
  explicit DotBuilder(const PlotOptions& options) : options_(options) {}

  // Keras's model_to_dot(model, subgraph=...); `path` prefixes the node ids of nested layers.
  DotGraph build(const Model& model, bool subgraph, const std::string& path) {
    DotGraph dot(subgraph, subgraph ? model.name() : "G");  // pydot's default graph name
    if (subgraph) {
      dot.set("style", "dashed");
      dot.set("label", model.name());
      dot.set("labeljust", "l");
    } else {
      dot.set("rankdir", options_.rankdir);
      dot.set("concentrate", "true");
      dot.set("dpi", std::to_string(options_.dpi));
      dot.set_node_default("shape", "record");
    }
    if (model.inputs().empty()) {  // a subclassed model: one node
      dot.add_node(id_of(model, path), model.name());
      return dot;
    }
    const std::vector<LayerPtr> layers = plotted_layers(model);
    std::map<const Model*, std::pair<std::string, std::string>> ends;  // first and last node of a cluster
    for (const auto& layer : layers) add_layer(dot, *layer, path, ends);
    const auto network = network_node_depths(model);
    for (const auto& layer : layers)
      for (const auto& node : layer->inbound_nodes())
        if (node && network.count(node.get()))
          for (const auto& input : node->inputs) add_call_edge(dot, *input.layer(), *layer, path, ends);
    return dot;
  }

 private:
  // model.layers, with a Sequential's InputLayer in front, as Keras's plot takes them.
  static std::vector<LayerPtr> plotted_layers(const Model& model) {
    std::vector<LayerPtr> layers = model.layers();
    if (model.class_name() == "Sequential") {
      const LayerPtr& input = model.inputs()[0].layer();
      if (input && input->class_name() == "InputLayer" &&
          std::find(layers.begin(), layers.end(), input) == layers.end())
        layers.insert(layers.begin(), input);
    }
    return layers;
  }

  std::string id_of(const Layer& layer, const std::string& path) {
    auto [it, inserted] = ids_.try_emplace(&layer, path + layer.name());
    return it->second;
  }

  // Keras's label, field by field. Built by appending: GCC 12 reports false -Wrestrict
  // warnings on chains of "literal" + std::string.
  std::string label_of(const Layer& layer, const std::optional<Wrapped>& wrapped) const {
    std::string name = record_text(layer.name()), class_name = record_text(layer.class_name());
    if (wrapped && !(options_.expand_nested && wrapped->model)) {
      name.append("(").append(record_text(wrapped->name)).append(")");
      class_name.append("(").append(record_text(wrapped->class_name)).append(")");
    }
    std::string label = class_name;
    if (options_.show_layer_activations)
      if (auto activation = activation_name(layer)) label = fields({label, record_text(*activation)}, true);
    if (options_.show_layer_names) label = fields({name, label}, false);
    if (options_.show_dtype) label = fields({label, std::string(dtype_name(layer.dtype()))}, false);
    if (options_.show_shapes) {
      const std::string shapes = fields({fields({record_text(call_shapes_text(layer, true))}, true),
                                         fields({record_text(call_shapes_text(layer, false))}, true)},
                                        true);
      label = fields({fields({label}, true), "{input:|output:}", shapes}, false);
    }
    if (options_.show_trainable) label = fields({layer.trainable() ? "T" : "NT", label}, false);
    return label;
  }

  // Record fields "a|b|c", in braces when `grouped` ("{a|b}": a nested row or column).
  static std::string fields(const std::vector<std::string>& parts, bool grouped) {
    std::string out = grouped ? "{" : "";
    for (std::size_t i = 0; i < parts.size(); ++i) {
      if (i) out += '|';
      out += parts[i];
    }
    if (grouped) out += '}';
    return out;
  }

  void add_layer(DotGraph& dot, const Layer& layer, const std::string& path,
                 std::map<const Model*, std::pair<std::string, std::string>>& ends) {
    const std::optional<Wrapped> wrapped = wrapped_layer(layer);
    auto expand = [&](const Model& nested) {
      DotGraph cluster = build(nested, true, path + layer.name() + "/");
      if (!cluster.node_ids().empty()) ends[&nested] = {cluster.node_ids().front(), cluster.node_ids().back()};
      dot.add_subgraph(std::move(cluster));
    };
    if (options_.expand_nested && wrapped && wrapped->model) expand(*wrapped->model);
    const Model* nested = options_.expand_nested ? graph_model(layer) : nullptr;
    if (nested) {
      expand(*nested);
      return;
    }
    dot.add_node(id_of(layer, path), label_of(layer, wrapped));
  }

  // The edge of one call input, from `source` to `target`: to and from the first and last nodes
  // of expanded clusters, and through a wrapper node into the model it wraps.
  void add_call_edge(DotGraph& dot, const Layer& source, const Layer& target, const std::string& path,
                     const std::map<const Model*, std::pair<std::string, std::string>>& ends) {
    if (!options_.expand_nested) {
      dot.add_edge(id_of(source, path), id_of(target, path));
      return;
    }
    auto cluster_of = [&](const Layer& layer) -> const std::pair<std::string, std::string>* {
      const Model* model = graph_model(layer);
      auto it = model ? ends.find(model) : ends.end();
      return it == ends.end() ? nullptr : &it->second;
    };
    auto wrapped_cluster_of = [&](const Layer& layer) -> const std::pair<std::string, std::string>* {
      const std::optional<Wrapped> w = wrapped_layer(layer);
      auto it = w && w->model ? ends.find(w->model) : ends.end();
      return it == ends.end() ? nullptr : &it->second;
    };
    std::string from = id_of(source, path);
    if (const auto* c = cluster_of(source)) from = c->second;
    else if (const auto* w = wrapped_cluster_of(source)) from = w->second;
    if (const auto* c = cluster_of(target)) {
      dot.add_edge(from, c->first);
    } else if (const auto* w = wrapped_cluster_of(target)) {
      dot.add_edge(from, id_of(target, path));
      dot.add_edge(id_of(target, path), w->first);
    } else {
      dot.add_edge(from, id_of(target, path));
    }
  }

  const PlotOptions& options_;
  std::map<const Layer*, std::string> ids_;
};

}  // namespace

std::string model_to_dot(const Model& model, const PlotOptions& options) {
  if (model.class_name() == "Sequential" && model.inputs().empty())
    throw Error("model_to_dot: model '" + model.name() +
                "' has not yet been built (a Sequential needs its input shape: an Input layer or input_shape)");
  if (!model.built() && model.inputs().empty())
    throw Error("model_to_dot: model '" + model.name() + "' has not yet been built (call it on data first)");
  static const std::set<std::string> directions{"TB", "LR", "BT", "RL"};
  if (!directions.count(options.rankdir))
    throw UsageError("model_to_dot: rankdir must be TB, LR, BT or RL, found '" + options.rankdir + "'");
  if (options.dpi <= 0) throw UsageError("model_to_dot: dpi must be positive, found " + std::to_string(options.dpi));
  return DotBuilder(options).build(model, false, "").to_string();
}

}  // namespace ksave
