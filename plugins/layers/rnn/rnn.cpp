// RNN: Keras's recurrent layer around any cell given in its config (SimpleRNNCell, LSTMCell,
// GRUCell, StackedRNNCells, a third party's), with the fused layers' options (return_sequences,
// return_state, go_backwards, stateful, masks, initial states). The cell is the tracked sublayer
// "cell" (weights "rnn/lstm_cell/kernel:0", "rnn/stacked_rnn_cells/lstm_cell/kernel:0").
#include "../rnn_common/keras3_recurrent_form.hpp"
#include "ksave/config.hpp"
#include "ksave/conformance.hpp"
#include "ksave/plugin.hpp"
#include "ksave/serialization.hpp"
#include "ksave/sublayer_config.hpp"
#include "layer_cell_steps.hpp"
#include "stacked_rnn_cells.hpp"

namespace ksave::plugins {
namespace {

// The config's cell; a list of cells (RNN([cell, cell]) in Keras) is a StackedRNNCells.
LayerPtr cell_from_config(const Json& config) {
  const Json* name = config.is_object() && config.contains("name") ? &config["name"] : nullptr;
  const std::string object = "layer '" + (name && name->is_string() ? name->get<std::string>() : "rnn") + "' (RNN)";
  const Json cell = ConfigReader(config, object).require<Json>("cell");
  if (cell.is_array()) return deserialize_layer(Json{{"class_name", "StackedRNNCells"}, {"config", {{"cells", cell}}}});
  if (!cell.is_object()) throw Error(object + ": config key 'cell' expected a serialized cell, found " + cell.dump());
  return deserialize_layer(cell);
}

class RNN : public rnn::RecurrentLayer {
 public:
  explicit RNN(const Json& config) : RNN(config, cell_from_config(config)) {}

 protected:
  void write_cell_config(Json& c) const override {
    c["cell"] = serialize_sublayer(*cell_layer());
    if (activity_regularizer()) c["activity_regularizer"] = serialize(activity_regularizer());
  }

 private:
  RNN(const Json& config, const LayerPtr& cell) : RNN(config, cell, std::make_shared<rnn::LayerCellSteps>(cell)) {}
  RNN(const Json& config, const LayerPtr& cell, const std::shared_ptr<rnn::LayerCellSteps>& steps)
      : RecurrentLayer(config, "RNN", cell, steps) {
    steps->set_owner("layer '" + name() + "' (RNN)");
  }
};

void register_objects(PluginRegistrar& r) {
  r.layer<RNN>("RNN").keras3_form(
      rnn::keras3_recurrent_layer_form({"cell"}).wrapped_build("cell", Keras3Form::WrappedBuild::PerStep));
  r.layer<rnn::StackedRNNCells>("StackedRNNCells").keras3_form(Keras3Form().keys({"name", "trainable", "dtype", "cells"}));
}

}  // namespace
}  // namespace ksave::plugins

KSAVE_PLUGIN("rnn", "0.1.0", ksave::plugins::register_objects)

// What the conformance kit (ksave conform) builds these classes from where {} builds nothing or
// the inputs are not one float tensor.
namespace {

ksave::Json conformance_samples() {
  return ksave::ConformanceSamples()
      .layer("RNN", {{"cell", {{"class_name", "SimpleRNNCell"}, {"config", {{"units", 3}}}}}}, {{.shape = {3, 4}}})
      .layer("StackedRNNCells", {{"cells", ksave::Json::array({{{"class_name", "SimpleRNNCell"}, {"config", {{"units", 3}}}}})}}, {{.shape = {4}}, {.shape = {3}}})
      .json();
}

}  // namespace

KSAVE_CONFORMANCE_SAMPLES(conformance_samples)
