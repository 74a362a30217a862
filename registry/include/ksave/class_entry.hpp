// One registered class or function: what kind of object it is, the name configs use for it,
// and a factory that builds it from a config.
#pragma once

#include <any>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ksave/json.hpp"
#include "ksave/error.hpp"
#include "ksave/keras3_form.hpp"

namespace ksave {

enum class Kind {
  Layer, Model, Activation, Initializer, Regularizer, Constraint,
  Optimizer, Loss, Metric, Format, Op,
};
std::string_view kind_name(Kind kind);  // "layer", "model", ...

class Layer;
class Initializer;
class Regularizer;
class Constraint;
class Optimizer;
class Loss;
class Metric;
class Format;
class Tensor;
struct OpDef;

// Factories by kind. Layers and models take their config; activations are plain functions.
using LayerFactory = std::function<std::shared_ptr<Layer>(const Json& config)>;
using ActivationFunction = std::function<Tensor(const Tensor&)>;
using InitializerFactory = std::function<std::shared_ptr<Initializer>(const Json& config)>;
using RegularizerFactory = std::function<std::shared_ptr<Regularizer>(const Json& config)>;
using ConstraintFactory = std::function<std::shared_ptr<Constraint>(const Json& config)>;
using OptimizerFactory = std::function<std::shared_ptr<Optimizer>(const Json& config)>;
using LossFactory = std::function<std::shared_ptr<Loss>(const Json& config)>;
using MetricFactory = std::function<std::shared_ptr<Metric>(const Json& config)>;
using FormatFactory = std::function<std::shared_ptr<Format>()>;

struct ClassEntry {
  Kind kind = Kind::Layer;
  std::string class_name;  // the plain name ("Dense", "relu", "CustomLayer")
  // Set for objects registered with a package (Keras's register_keras_serializable): the
  // config name is then "Package>Name" and only that name resolves through registration.
  std::string package;
  std::vector<std::string> aliases;  // older spellings that also resolve ("Convolution2D")
  std::string plugin;                // file that registered it (empty: the core or user code)
  std::any factory;                  // one of the factory types above, or OpDef for Kind::Op
  // How Keras 3 writes the class (keras3_form.hpp); empty: as its get_config says. It belongs to
  // class_name: an alias is another class's spelling, written under the module of its kind.
  Keras3Form keras3_form;

  // "Package>Name" or the plain name.
  std::string registered_name() const {
    return package.empty() ? class_name : package + ">" + class_name;
  }
  template <typename F>
  const F& as() const {
    if (const F* f = std::any_cast<F>(&factory)) return *f;
    throw Error("registry entry '" + registered_name() + "' (" + std::string(kind_name(kind)) +
                ") holds another factory type than requested");
  }
};

using ClassRef = std::shared_ptr<const ClassEntry>;

}  // namespace ksave
