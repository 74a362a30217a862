// keras.utils.plot_model and model_to_dot: a model's layers as a Graphviz graph, drawn as
// tf.keras 2.x draws it (record-shaped nodes "name|Class", optional shapes, dtypes, activations
// and trainable flags; nested models as dashed clusters when expanded; a shared layer is one
// node with an edge from each of its callers).
#pragma once

#include <filesystem>
#include <string>

#include "ksave/model.hpp"

namespace ksave {

struct PlotOptions {
  bool show_shapes = false;
  bool show_dtype = false;
  bool show_layer_names = true;
  std::string rankdir = "TB";          // TB (top to bottom), LR, BT or RL
  bool expand_nested = false;          // nested graph models as clusters of their layers
  int dpi = 96;
  bool show_layer_activations = false;
  bool show_trainable = false;         // "T" / "NT" in front of each node
};

// The graph in Graphviz's DOT language. Node ids are the layers' paths ("pretrained/dense_1").
// Throws when the model has no graph yet (a Sequential without a known input).
std::string model_to_dot(const Model& model, const PlotOptions& options = {});

// Writes the picture to `to_file`, its format from the extension as Keras takes it (none: png):
// ".dot" and ".gv" get the DOT text itself; any other extension (svg, png, pdf, ...) is drawn by
// Graphviz's `dot` program, found on PATH (Debian package graphviz). The file is replaced
// atomically: a failed plot leaves what was there.
void plot_model(const Model& model, const std::filesystem::path& to_file, const PlotOptions& options = {});

// Runs Graphviz's `dot` on `dot_text` and writes `format` ("svg", "png", ...) to `to_file`
// (atomically). Throws naming the Debian package when `dot` is not on PATH, and with dot's own
// message when it fails.
void render_dot(const std::string& dot_text, const std::string& format, const std::filesystem::path& to_file);

}  // namespace ksave
