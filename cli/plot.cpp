// ksave plot: draws a saved model as Keras's plot_model does (Graphviz's dot for svg/png/...).
#include <iostream>

#include "commands.hpp"
#include "ksave/plot.hpp"

namespace ksave::cli {
namespace {

int run(const Args& args);

const Command kPlot{"plot",
                    "plot MODEL -o OUT.svg|png|pdf|dot [--show-shapes] [--show-dtype] [--hide-layer-names] "
                    "[--expand-nested] [--show-layer-activations] [--show-trainable] [--rankdir TB|LR|BT|RL] [--dpi N]",
                    "Draws MODEL's layers and connections (Keras's plot_model); .dot writes the Graphviz source.", run};

int run(const Args& args) {
  po::options_description visible("options");
  visible.add_options()
      ("output,o", po::value<std::string>(), "the picture; its extension chooses the format (none: png)")
      ("show-shapes", "each layer's input and output shapes")
      ("show-dtype", "each layer's dtype")
      ("hide-layer-names", "class names only")
      ("expand-nested", "nested models as clusters of their layers")
      ("show-layer-activations", "the activation of layers that have one")
      ("show-trainable", "T or NT: whether each layer is trainable")
      ("rankdir", po::value<std::string>()->default_value("TB"), "TB (top to bottom), LR, BT or RL")
      ("dpi", po::value<int>()->default_value(96), "resolution of bitmap formats");
  po::options_description hidden;
  hidden.add_options()("MODEL", po::value<std::string>());
  po::positional_options_description positional;
  positional.add("MODEL", 1);
  po::variables_map vm;
  if (!parse_command_line(kPlot, args, visible, hidden, positional, vm)) return 0;
  for (const char* name : {"MODEL", "output"}) require_option(vm, name);
  PlotOptions options;
  options.show_shapes = vm.count("show-shapes") > 0;
  options.show_dtype = vm.count("show-dtype") > 0;
  options.show_layer_names = vm.count("hide-layer-names") == 0;
  options.expand_nested = vm.count("expand-nested") > 0;
  options.show_layer_activations = vm.count("show-layer-activations") > 0;
  options.show_trainable = vm.count("show-trainable") > 0;
  options.rankdir = vm["rankdir"].as<std::string>();
  options.dpi = vm["dpi"].as<int>();
  if (options.rankdir != "TB" && options.rankdir != "LR" && options.rankdir != "BT" && options.rankdir != "RL")
    throw CommandLineError("--rankdir must be TB, LR, BT or RL");
  if (options.dpi <= 0) throw CommandLineError("--dpi must be positive");

  // The architecture is enough: no weights, no optimizer.
  const ModelPtr model = load_model_and_weights(vm["MODEL"].as<std::string>(), "", false, false);
  const std::string output = vm["output"].as<std::string>();
  plot_model(*model, output, options);
  std::cout << "wrote " << output << "\n";
  return 0;
}

[[maybe_unused]] const bool registered = register_command(kPlot);

}  // namespace
}  // namespace ksave::cli
