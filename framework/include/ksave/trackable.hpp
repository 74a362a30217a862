// The trackable object graph: every saveable object (layer, model, variable, optimizer, metric)
// is a node whose children are named by the attribute that holds them ("kernel",
// "layer_with_weights-0", "optimizer"). TF checkpoints and SavedModels store this graph, and
// restoring walks it by these names, as TensorFlow does.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace ksave {

class Trackable;

struct TrackableChild {
  std::string name;
  std::shared_ptr<Trackable> object;
};

class Trackable {
 public:
  virtual ~Trackable() = default;
  // Children in a stable order; the same object may appear under several names.
  virtual std::vector<TrackableChild> trackable_children() const { return {}; }
  // What kind of node this is ("layer", "model", "variable", "optimizer", ...).
  virtual std::string trackable_kind() const = 0;
};

}  // namespace ksave
