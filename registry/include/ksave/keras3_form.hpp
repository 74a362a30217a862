// How Keras 3 writes a class into a `.keras` archive's config.json, declared by the class's own
// registration (PluginRegistrar: `r.layer<MyLayer>("MyLayer").keras3_form(Keras3Form()...)`).
// ksave's configs are tf-keras 2.x's (get_config); Keras 3 spells some classes otherwise: another
// module, keys in another order, keys renamed, added or gone, no build_config. The keras format
// applies the form when it writes an archive (and undoes the wrapper rewrite when it reads one);
// a class without a form is written as its get_config says, under the module of its kind
// (keras.layers, keras.initializers, ...), as Keras 3 writes a class registered without a module.
//
// Every setter returns the form, so a registration reads as one expression:
//
//   r.layer<LeakyReLU>("LeakyReLU").keras3_form(Keras3Form()
//       .keys({"name", "trainable", "dtype", "negative_slope"})
//       .renamed("alpha", "negative_slope")
//       .no_build_config());
//
// The form is plain data (fields(): one JSON object, the field names below), so a format or a
// tool can read it without linking a plugin.
#pragma once

#include <string>
#include <vector>

#include "ksave/json.hpp"

namespace ksave {

class Keras3Form {
 public:
  // How a wrapper's wrapped layer is built by Keras 3: with the wrapper's own input shape
  // (Bidirectional's layers), or with it per step, without axis 1 (TimeDistributed's layer,
  // RNN's cell).
  enum class WrappedBuild { SameShape, PerStep };

  // Keras 3's module, when not the module of the class's kind ("keras.src.applications.convnext").
  Keras3Form& module(const std::string& module) { return set("module", module); }
  // What Keras 3 writes as registered_name (null when never set): the name of a class Keras 3
  // does not export under its module ("Functional", "LayerScale").
  Keras3Form& registered_name(const std::string& name) { return set("registered_name", name); }
  // A model class: Keras 3 writes its build_config (a Sequential's input shape, else null) and
  // its compile_config.
  Keras3Form& model() { return set("model", true); }

  // Keras 3's config keys in its order. A listed key that ksave's config lacks takes the value
  // given by default_value, or is left out; a key of ksave's that is not listed stays, after them.
  Keras3Form& keys(std::vector<std::string> keys) { return set("keys", std::move(keys)); }
  // The value Keras 3 writes for `key` when ksave's config has none (Dense's quantization_config).
  Keras3Form& default_value(const std::string& key, Json value) { return set_in("defaults", key, std::move(value)); }
  // ksave's key `ours` is spelled `theirs` by Keras 3 (LeakyReLU's alpha, negative_slope).
  Keras3Form& renamed(const std::string& ours, const std::string& theirs) { return set_in("renamed", ours, theirs); }
  // Keys Keras 3 does not take: tf-keras's, on which no number depends.
  Keras3Form& dropped(std::vector<std::string> keys) { return set("dropped", std::move(keys)); }
  // A key Keras 3 does not have, dropped when it holds `value` (any other value changes numbers,
  // so it stays for Keras 3 to refuse loudly).
  Keras3Form& dropped_when(const std::string& key, Json value) { return set_in("dropped_when", key, std::move(value)); }
  // Keys whose one-element list Keras 3 writes as the element (BatchNormalization's axis).
  Keras3Form& scalar_when_single(std::vector<std::string> keys) { return set("scalar_when_single", std::move(keys)); }
  // The dtype stays the policy's name (Keras 3 writes a DTypePolicy object for layers otherwise).
  Keras3Form& plain_dtype() { return set("plain_dtype", true); }

  // Keras 3's class has no build() of its own, so Keras 3 records no build shapes.
  Keras3Form& no_build_config() { return set("no_build_config", true); }
  // Keras 3 builds the layer on its first call, from the shapes of these call arguments in this
  // order (MultiHeadAttention's build(query_shape, value_shape, key_shape)): its build_config is
  // {"shapes_dict": {"<argument>_shape": ...}} for the arguments of the first call, and a call's
  // several tensors are these arguments, not one list argument (as Add's or Concatenate's).
  Keras3Form& build_from_call_shapes(std::vector<std::string> arguments) {
    return set("build_from_call_shapes", std::move(arguments));
  }
  // Tensor arguments Keras 3 records as positional: one that a call passed by keyword (tf-keras's
  // form of MultiHeadAttention(query, value=...)) moves to its position after the positional ones.
  Keras3Form& positional_call_tensors(std::vector<std::string> arguments) {
    return set("positional_call_tensors", std::move(arguments));
  }
  // A keyword argument Keras 3 records on every call of the class in a graph, before the call's
  // own (the training=False its call signature defaults to).
  Keras3Form& call_kwarg(const std::string& key, Json value) { return set_in("call_kwargs", key, std::move(value)); }
  // The module of Keras 3's operation of the same name (keras.src.ops.numpy's add): a call of the
  // class with a constant argument (x + 3.0) is that operation's, written as Keras 3 writes one.
  Keras3Form& op_module(const std::string& module) { return set("op_module", module); }

  // The build_config Keras 3 writes for the layer held under `key` of a wrapper's config (the
  // wrapper's own build shape is the writer's).
  Keras3Form& wrapped_build(const std::string& key, WrappedBuild how) {
    return set_in("wrapped_build", key, how == WrappedBuild::PerStep ? "per_step" : "same");
  }
  // Keys holding recurrent layers that Keras 3 wraps: their zero_output_for_mask is their
  // return_sequences (Keras 3's Bidirectional sets it so).
  Keras3Form& wrapped_rnn_keys(std::vector<std::string> keys) { return set("wrapped_rnn_keys", std::move(keys)); }

  // Keras 3 saves the layer's sublayers under its public properties, where ksave tracks them
  // under tf-keras's private attributes: "_query_dense" is saved as "query_dense".
  Keras3Form& sublayers_saved_under_public_names() { return set("sublayers_saved_under_public_names", true); }

  // The form as data: an object with the fields set above (empty: written as get_config says).
  const Json& fields() const { return fields_; }
  bool empty() const { return fields_.empty(); }

 private:
  Keras3Form& set(const char* field, Json value) {
    fields_[field] = std::move(value);
    return *this;
  }
  Keras3Form& set_in(const char* field, const std::string& key, Json value) {
    fields_[field][key] = std::move(value);
    return *this;
  }
  Json fields_ = Json::object();
};

}  // namespace ksave
