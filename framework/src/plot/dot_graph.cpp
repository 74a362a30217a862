#include "dot_graph.hpp"

#include <algorithm>
#include <cctype>

namespace ksave::plot {

std::string dot_id(const std::string& text) {
  const bool word = !text.empty() && !std::isdigit(static_cast<unsigned char>(text[0])) &&
                    std::all_of(text.begin(), text.end(), [](char c) {
                      return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
                    });
  const bool number = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
  if (word || number) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '\\';
    quoted += c;
  }
  return quoted + "\"";
}

DotGraph::DotGraph(bool cluster, std::string name) : cluster_(cluster), name_(std::move(name)) {}

void DotGraph::set(const std::string& key, const std::string& value) { attributes_.emplace_back(key, value); }

void DotGraph::set_node_default(const std::string& key, const std::string& value) {
  node_defaults_.emplace_back(key, value);
}

void DotGraph::add_node(const std::string& id, const std::string& label) {
  items_.emplace_back(Node{id, label});
  node_ids_.push_back(id);
}

void DotGraph::add_edge(const std::string& from, const std::string& to) {
  const std::pair<std::string, std::string> edge{from, to};
  if (std::find(edges_.begin(), edges_.end(), edge) != edges_.end()) return;
  edges_.push_back(edge);
  items_.emplace_back(Edge{from, to});
}

void DotGraph::add_subgraph(DotGraph subgraph) { items_.emplace_back(std::make_shared<DotGraph>(std::move(subgraph))); }

std::string DotGraph::to_string() const {
  std::string out;
  write(out);
  return out;
}

void DotGraph::write(std::string& out) const {
  out += cluster_ ? "subgraph " + dot_id("cluster_" + name_) + " {\n" : "digraph " + dot_id(name_) + " {\n";
  for (const auto& [key, value] : attributes_) out += key + "=" + dot_id(value) + ";\n";
  if (!node_defaults_.empty()) {
    out += "node [";
    for (std::size_t i = 0; i < node_defaults_.size(); ++i)
      out += (i ? ", " : "") + node_defaults_[i].first + "=" + dot_id(node_defaults_[i].second);
    out += "];\n";
  }
  for (const Item& item : items_) {
    if (const auto* node = std::get_if<Node>(&item)) {
      out += dot_id(node->id) + " [label=" + dot_id(node->label) + "];\n";
    } else if (const auto* edge = std::get_if<Edge>(&item)) {
      out += dot_id(edge->from) + " -> " + dot_id(edge->to) + ";\n";
    } else {
      std::get<std::shared_ptr<DotGraph>>(item)->write(out);
    }
  }
  out += "}\n";
}

}  // namespace ksave::plot
