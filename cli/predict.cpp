// ksave predict: runs a saved model on .npy inputs and writes its outputs as .npy.
#include <iostream>

#include "commands.hpp"
#include "ksave/npy.hpp"
#include "ksave/shape.hpp"

namespace ksave::cli {
namespace {

int run(const Args& args);

const Command kPredict{"predict",
                       "predict MODEL [--weights W] --input X.npy [--input X2.npy ...] --output Y.npy "
                       "[--output Y2.npy ...] [--batch-size N]",
                       "Runs MODEL (a saved model, or an architecture JSON with --weights) on the inputs, "
                       "in the model's input order, and writes the outputs in its output order.",
                       run};

// "input 'x' (None, 4)" for messages.
std::string describe_endpoints(const std::vector<std::string>& names, const KerasTensors& tensors) {
  std::string text;
  for (std::size_t i = 0; i < names.size(); ++i) {
    text += (i ? ", " : "") + std::string("'") + names[i] + "'";
    if (i < tensors.size()) text += " " + shape_to_string(tensors[i].shape());
  }
  return text;
}

void check_count(const char* what, std::size_t given, const std::vector<std::string>& names,
                 const KerasTensors& tensors) {
  if (given == names.size() || names.empty()) return;
  throw Error("the model has " + std::to_string(names.size()) + " " + what + (names.size() == 1 ? "" : "s") +
              " (" + describe_endpoints(names, tensors) + "), " + std::to_string(given) + " --" + what +
              (given == 1 ? " was" : "s were") + " given");
}

int run(const Args& args) {
  po::options_description visible("options");
  visible.add_options()
      ("weights", po::value<std::string>()->default_value(""), "weights file or checkpoint prefix (for an architecture JSON, or to replace a model's weights)")
      ("input", po::value<std::vector<std::string>>(), "input .npy, one per model input, in order")
      ("output", po::value<std::vector<std::string>>(), "output .npy, one per model output, in order")
      ("batch-size", po::value<std::int64_t>()->default_value(32), "rows per batch");
  po::options_description hidden;
  hidden.add_options()("MODEL", po::value<std::string>());
  po::positional_options_description positional;
  positional.add("MODEL", 1);
  po::variables_map vm;
  if (!parse_command_line(kPredict, args, visible, hidden, positional, vm)) return 0;
  for (const char* name : {"MODEL", "input", "output"}) require_option(vm, name);
  const auto batch_size = vm["batch-size"].as<std::int64_t>();
  if (batch_size <= 0) throw CommandLineError("--batch-size must be positive, found " + std::to_string(batch_size));

  const auto input_paths = vm["input"].as<std::vector<std::string>>();
  const auto output_paths = vm["output"].as<std::vector<std::string>>();
  ModelPtr model = load_model_and_weights(vm["MODEL"].as<std::string>(), vm["weights"].as<std::string>(), true, false);
  check_count("input", input_paths.size(), model->input_names(), model->inputs());
  check_count("output", output_paths.size(), model->output_names(), model->outputs());

  const Tensors outputs = model->predict(read_npy_files(input_paths), batch_size);
  if (outputs.size() != output_paths.size())
    throw Error("the model produced " + std::to_string(outputs.size()) + " outputs, " +
                std::to_string(output_paths.size()) + " --output were given");
  for (std::size_t i = 0; i < outputs.size(); ++i) write_npy(output_paths[i], outputs[i]);
  return 0;
}

[[maybe_unused]] const bool registered = register_command(kPredict);

}  // namespace

}  // namespace ksave::cli
