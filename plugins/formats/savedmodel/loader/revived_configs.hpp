// The configs of revived layers. A revived layer runs its traced call, so of its config it needs
// only the keys the Layer base reads; the others may name classes nothing here defines (the
// custom activation or initializer of the same package as the layer), which would refuse the
// whole model. The model is built from a config where revived layers keep only the base keys,
// and each revived layer gets its full saved config back for get_config.
#pragma once

#include <map>
#include <string>
#include <utility>

#include "ksave/custom_objects.hpp"
#include "ksave/json.hpp"

namespace ksave::plugins::savedmodel {

class RevivedConfigs {
 public:
  // `model_config` with the config of every layer of a `revived` class (by class_name or
  // registered_name) reduced to the base keys; the full configs are kept here.
  Json reduce(const Json& model_config, const CustomObjects& revived);
  // The full saved config of the layer `reduced` names, of class `class_name`; `reduced`
  // itself when this layer was not reduced.
  Json full(const std::string& class_name, const Json& reduced) const;

 private:
  Json reduce_value(const Json& value, const CustomObjects& revived);
  std::map<std::pair<std::string, std::string>, Json> full_;  // (class, layer name) → config
};

// `config` without its "shared_object_id" keys, at any depth. tf.keras numbers the objects of one
// file with them (a layer's, its initializers'); carried into a file ksave writes, they would
// collide with the ids ksave gives its layers there, and tf.keras would revive a layer as the
// initializer that shares its id.
Json without_shared_object_ids(Json config);

}  // namespace ksave::plugins::savedmodel
