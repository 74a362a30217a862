// A small DOT document: graph attributes, node defaults, nodes, edges (each pair once) and
// cluster subgraphs, written in the order they were added, as pydot writes what Keras builds.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace ksave::plot {

class DotGraph {
 public:
  // A top-level digraph, or (cluster = true) a subgraph named "cluster_<name>".
  DotGraph(bool cluster, std::string name);

  void set(const std::string& key, const std::string& value);
  void set_node_default(const std::string& key, const std::string& value);
  void add_node(const std::string& id, const std::string& label);
  // Adds the edge unless it is already in this graph (Keras's add_edge).
  void add_edge(const std::string& from, const std::string& to);
  void add_subgraph(DotGraph subgraph);

  // The ids of the nodes added directly to this graph, in order (pydot's get_nodes()).
  const std::vector<std::string>& node_ids() const { return node_ids_; }
  std::string to_string() const;

 private:
  struct Node {
    std::string id, label;
  };
  struct Edge {
    std::string from, to;
  };
  using Item = std::variant<Node, Edge, std::shared_ptr<DotGraph>>;
  void write(std::string& out) const;

  bool cluster_;
  std::string name_;
  std::vector<std::pair<std::string, std::string>> attributes_;
  std::vector<std::pair<std::string, std::string>> node_defaults_;
  std::vector<Item> items_;
  std::vector<std::string> node_ids_;
  std::vector<std::pair<std::string, std::string>> edges_;
};

// A DOT identifier: kept bare when it is a plain word or number, else double-quoted with its
// quotes escaped (backslashes are left for the label's own escapes, as Graphviz reads them).
std::string dot_id(const std::string& text);

}  // namespace ksave::plot
