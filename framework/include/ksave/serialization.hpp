// serialize / deserialize of registered objects, and model configs in every Keras generation's
// form (Keras 1 lists, Keras 2 / tf.keras, tfjs, Keras 3's module/registered_name dicts).
#pragma once

#include <string>
#include <vector>

#include "ksave/custom_objects.hpp"
#include "ksave/json.hpp"
#include "ksave/model.hpp"

namespace ksave {

// The forms tf-keras 2.21 writes configs in (what its loaders expect in each place):
//   Current      get_config, to_json: layer entries {"module", "class_name", "config",
//                "registered_name", "build_config"}; nested objects (initializers, ...) as
//                {"module", "class_name", "config", "registered_name"}; a function other than
//                Keras's own as {"module": "builtins", "class_name": "function", "config": name, ...}.
//   HDF5         the HDF5 saver's model_config: layer entries {"class_name", "config"} (class_name
//                "Package>Name" for a registered class), nested objects as Current.
//   SavedModel   keras_metadata.pb: layer entries and nested objects {"class_name", "config"},
//                functions by name.
enum class ConfigDialect { Current, HDF5, SavedModel };

// Makes serialize() (and the serialize functions of objects.hpp) write `dialect` on this thread
// while it lives.
class ConfigDialectScope {
 public:
  explicit ConfigDialectScope(ConfigDialect dialect);
  ~ConfigDialectScope();
  ConfigDialectScope(const ConfigDialectScope&) = delete;
  ConfigDialectScope& operator=(const ConfigDialectScope&) = delete;

 private:
  ConfigDialect previous_;
};
ConfigDialect current_config_dialect();

// A layer or model as an entry of a model config, in the current dialect. In Current, module is
// null and registered_name "Package>Name" for a class registered with a package (the class name
// for a custom object known only through custom_objects or a scope); build_config is written
// when the layer was built.
Json serialize(const Layer& layer);

// Builds a layer or model from {"class_name", "config"} (any generation's form). Before building,
// every class named anywhere in `value` is resolved; unknown ones are reported together in one
// error with the plugin paths searched.
LayerPtr deserialize_layer(const Json& value, const CustomObjects& custom_objects = {});
// A layer of a registered class from its config (Keras's `keras.layers.Dense(**config)`):
// make_layer("Dense", {{"units", 64}, {"activation", "relu"}}).
LayerPtr make_layer(const std::string& class_name, const Json& config = Json::object());
ModelPtr model_from_config(const Json& value, const CustomObjects& custom_objects = {});
ModelPtr model_from_json(const std::string& json_text, const CustomObjects& custom_objects = {});

// The classes named in a config (any generation's form) that do not resolve, as
// "kind 'Name'" strings (deduplicated).
std::vector<std::string> unknown_classes(const Json& value);

// Rewrites older or newer config forms into the tf.keras 2.x form that from_config reads:
// Keras 3 / tf.keras >= 2.13 dicts (module, registered_name, build_config), Keras 1 Sequential
// lists, tfjs's model.json wrapper. Returns the value unchanged when it already has that form.
Json normalize_config(const Json& value);

// The version strings ksave writes, matching the tf.keras generation it emulates.
inline constexpr const char* kKerasVersion = "2.21.0";
inline constexpr const char* kBackend = "tensorflow";

}  // namespace ksave
