#include "ksave/model.hpp"
#include "ksave/serialization.hpp"

namespace ksave {

ModelPtr clone_model(const Model& model) {
  if (model.class_name() != "Sequential" && model.class_name() != "Functional")
    throw Error("clone_model needs a Functional or Sequential model; '" + model.name() + "' is a subclassed " +
                model.class_name() + ", whose architecture only its own code knows");
  // Keras clones by rebuilding every layer from its config: same architecture and names, fresh
  // weights, no compile state.
  return model_from_config(serialize(model));
}

}  // namespace ksave
