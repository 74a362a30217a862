// Reads back the DOT text that model_to_dot writes (one statement per line) into nodes with
// their labels, edges, and the cluster each node sits in, so tests check the graph's structure
// rather than its spelling.
#pragma once

#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <utility>

namespace plot_test {

struct DotStructure {
  std::map<std::string, std::string> labels;             // node id → label
  std::map<std::string, std::string> cluster_of;         // node id → innermost cluster ("" at top)
  std::set<std::pair<std::string, std::string>> edges;
  std::map<std::string, std::string> attributes;         // top-level graph attributes
  std::vector<std::string> clusters;                     // names, in order of appearance
};

inline std::string unquote(const std::string& id) {
  if (id.size() < 2 || id.front() != '"') return id;
  std::string out;
  for (std::size_t i = 1; i + 1 < id.size(); ++i) {
    if (id[i] == '\\' && id[i + 1] == '"') ++i;
    out += id[i];
  }
  return out;
}

inline DotStructure parse_dot(const std::string& text) {
  static const std::string id = R"(("(?:[^"\\]|\\.)*"|[A-Za-z0-9_]+))";
  static const std::regex node_line("^" + id + R"( \[label=)" + id + R"(\];$)");
  static const std::regex edge_line("^" + id + " -> " + id + ";$");
  static const std::regex cluster_line("^subgraph " + id + " \\{$");
  static const std::regex attribute_line("^([a-z]+)=" + id + ";$");
  DotStructure dot;
  std::vector<std::string> open;  // clusters being read
  std::istringstream lines(text);
  std::string line;
  std::smatch m;
  while (std::getline(lines, line)) {
    if (std::regex_match(line, m, node_line)) {
      dot.labels[unquote(m[1])] = unquote(m[2]);
      dot.cluster_of[unquote(m[1])] = open.empty() ? "" : open.back();
    } else if (std::regex_match(line, m, edge_line)) {
      dot.edges.insert({unquote(m[1]), unquote(m[2])});
    } else if (std::regex_match(line, m, cluster_line)) {
      open.push_back(unquote(m[1]));
      dot.clusters.push_back(open.back());
    } else if (line == "}") {
      if (!open.empty()) open.pop_back();
    } else if (open.empty() && std::regex_match(line, m, attribute_line)) {
      dot.attributes[m[1]] = unquote(m[2]);
    }
  }
  return dot;
}

}  // namespace plot_test
