// Model.summary(): Keras's table, in the layout of the guide (tf.keras 2.6).
#include <map>
#include <ostream>
#include <set>

#include "ksave/model.hpp"
#include "network_nodes.hpp"

namespace ksave {
namespace {

std::string with_commas(std::int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return (n < 0 ? "-" : "") + out;
}

// One row: each field cut or padded to end at its column (Keras's print_row).
std::string row(const std::vector<std::string>& fields, const std::vector<std::size_t>& ends) {
  std::string line;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i) line.back() = ' ';  // Keras overwrites the last padding character
    line += fields[i];
    if (line.size() > ends[i]) line.resize(ends[i]);
    line.resize(ends[i], ' ');
  }
  return line;
}

std::string output_shape_text(const Layer& layer) {
  std::vector<std::shared_ptr<Node>> nodes;
  for (const auto& n : layer.inbound_nodes())
    if (n) nodes.push_back(n);
  if (nodes.empty()) return "multiple";
  std::set<std::vector<Shape>> distinct;
  for (const auto& n : nodes) distinct.insert(n->output_shapes);
  if (distinct.size() > 1) return "multiple";
  const auto& shapes = nodes[0]->output_shapes;
  // An InputLayer reports a list of shapes, as tf.keras prints it.
  bool as_list = shapes.size() > 1 || layer.class_name() == "InputLayer";
  std::string text = as_list ? "[" : "";
  for (std::size_t i = 0; i < shapes.size(); ++i) text += (i ? ", " : "") + shape_to_string(shapes[i]);
  return text + (as_list ? "]" : "");
}

// Keras's rule: the simple layout unless a depth holds several calls, a call has several
// inputs, or a layer is called more than once in the model. Sequential and subclassed models
// always get the simple one.
bool sequential_like(const Model& model, const std::map<const Node*, int>& depths) {
  if (model.class_name() == "Sequential" || model.inputs().empty()) return true;
  std::map<int, int> calls_at_depth;
  std::map<const Layer*, int> calls_of_layer;
  for (const auto& [node, depth] : depths) {
    if (++calls_at_depth[depth] > 1 || node->inputs.size() > 1) return false;
    if (++calls_of_layer[node->layer.get()] > 1) return false;
  }
  return true;
}

}  // namespace

void Model::summary(std::ostream& out) const {
  std::map<const Node*, int> network = network_node_depths(*this);
  bool simple = sequential_like(*this, network);
  std::size_t width = simple ? 65 : 98;
  // Keras's positions: int(line_length * p) for p in [.45, .85, 1.] or [.33, .55, .67, 1.].
  // Fix (summary): the first version used column ends 33/55/67 for the connected layout.
  std::vector<std::size_t> ends = simple ? std::vector<std::size_t>{29, 55, 65}
                                         : std::vector<std::size_t>{32, 53, 65, 98};
  std::vector<std::string> header{"Layer (type)", "Output Shape", "Param #"};
  if (!simple) header.push_back("Connected to");
  out << "Model: \"" << name() << "\"\n" << std::string(width, '_') << "\n";
  out << row(header, ends) << "\n" << std::string(width, '=') << "\n";
  auto all = layers();
  for (std::size_t i = 0; i < all.size(); ++i) {
    const Layer& l = *all[i];
    std::vector<std::string> fields{l.name() + " (" + l.class_name() + ")", output_shape_text(l),
                                    std::to_string(l.count_params())};
    std::vector<std::string> connections;
    if (!simple)
      for (const auto& n : l.inbound_nodes()) {
        if (!n || !network.count(n.get())) continue;  // only calls inside this model
        for (const auto& t : n->inputs) {
          auto nodes = t.layer()->inbound_nodes();
          std::size_t index = 0;
          while (index < nodes.size() && nodes[index] != t.node()) ++index;
          connections.push_back(t.layer()->name() + "[" + std::to_string(index) + "][" + std::to_string(t.index()) + "]");
        }
      }
    if (!simple) fields.push_back(connections.empty() ? "" : connections[0]);
    out << row(fields, ends) << "\n";
    for (std::size_t c = 1; c < connections.size(); ++c) out << row({"", "", "", connections[c]}, ends) << "\n";
    out << std::string(width, i + 1 == all.size() ? '=' : '_') << "\n";
  }
  if (all.empty()) out << std::string(width, '=') << "\n";
  std::int64_t trainable = 0, total = count_params();
  for (const auto& v : trainable_weights()) trainable += num_elements(v->shape());
  out << "Total params: " << with_commas(total) << "\n";
  out << "Trainable params: " << with_commas(trainable) << "\n";
  out << "Non-trainable params: " << with_commas(total - trainable) << "\n";
  out << std::string(width, '_') << "\n";
}

}  // namespace ksave
