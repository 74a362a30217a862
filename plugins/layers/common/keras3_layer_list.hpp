// A list of sublayers held by a layer (StackedRNNCells' cells, Pipeline's layers), named as each
// format files it: Keras 3's saving_lib puts a list's layers in model.weights.h5 under
// "<list>/<snake_case class>[_N]" (named after their classes, repeats counted: Keras 3 does not
// trust automatic layer names to be reproducible), while TensorFlow's object graph holds the list
// as a node of its own whose children are the positions "0", "1", ...
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ksave/layer.hpp"

namespace ksave::plugins {

// The attributes the layers of `list` are tracked under, "<list>/lstm_cell", "<list>/lstm_cell_1",
// ...: the keras format joins them onto the holder's path. A package-registered class
// ("Pkg>Name") counts by its own name, as Keras 3's naming.to_snake_case sees its Python class.
inline std::vector<std::string> keras3_list_attributes(const std::string& list, const std::vector<LayerPtr>& layers) {
  std::map<std::string, int> used;
  std::vector<std::string> attributes;
  for (const LayerPtr& layer : layers) {
    const std::string& class_name = layer->class_name();
    const std::string snake = to_snake_case(class_name.substr(class_name.find('>') == std::string::npos ? 0 : class_name.find('>') + 1));
    // Built by appending: GCC 12 warns falsely about "literal" + std::string temporaries.
    std::string attribute = list;
    attribute += '/';
    attribute += snake;
    if (auto [it, fresh] = used.emplace(snake, 0); !fresh) {
      attribute += '_';
      attribute += std::to_string(++it->second);
    }
    attributes.push_back(std::move(attribute));
  }
  return attributes;
}

// A tracked Python list, as the TF object graph records one.
class TrackedList : public Trackable {
 public:
  explicit TrackedList(std::vector<TrackableChild> children) : children_(std::move(children)) {}
  std::vector<TrackableChild> trackable_children() const override { return children_; }
  std::string trackable_kind() const override { return "list"; }

 private:
  std::vector<TrackableChild> children_;
};

// The child `list` of a layer's object graph: its layers by position.
inline TrackableChild tracked_layer_list(const std::string& list, const std::vector<LayerPtr>& layers) {
  std::vector<TrackableChild> children;
  for (std::size_t i = 0; i < layers.size(); ++i) children.push_back({std::to_string(i), layers[i]});
  return {list, std::make_shared<TrackedList>(std::move(children))};
}

}  // namespace ksave::plugins
