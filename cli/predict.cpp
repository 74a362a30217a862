// ksave predict: runs a saved model on .npy inputs and writes its outputs as .npy.
#include <algorithm>
#include <iostream>

#include "commands.hpp"
#include "ksave/loaded_functions.hpp"
#include "ksave/npy.hpp"
#include "ksave/saving.hpp"
#include "ksave/shape.hpp"

namespace ksave::cli {
namespace {

int run(const Args& args);

const Command kPredict{"predict",
                       "predict MODEL [--weights W] --input X.npy [--input X2.npy ...] --output Y.npy "
                       "[--output Y2.npy ...] [--batch-size N]",
                       "Runs MODEL (a saved model, or an architecture JSON with --weights) on the inputs, "
                       "in the model's input order, and writes the outputs in its output order. A SavedModel that is not a Keras "
                       "model runs its serving_default signature (inputs and outputs in sorted key order).",
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

// True when `path` is something whose graph loads as signatures (a SavedModel folder).
bool holds_signatures(const std::string& path) {
  try {
    return read_untrusted(path, [&] { return detect_format(path)->can(Capability::LoadFunctions); });
  } catch (const Error&) {
    return false;
  }
}

// A SavedModel that is not a Keras model (a tf.Module, a TF1 graph) runs its serving_default
// signature: inputs and outputs in the signature's sorted key order; inputs left out at the
// end take the signature's defaults.
void predict_with_serving_signature(const std::string& path, const std::vector<std::string>& input_paths,
                                    const std::vector<std::string>& output_paths) {
  const LoadedFunctionsPtr graph = read_untrusted(path, [&] { return load_functions(path); });
  const SignatureFunction& serving = graph->signature("serving_default");
  std::vector<std::string> input_keys, output_keys;
  for (const auto& [key, spec] : serving.inputs) input_keys.push_back(key);
  for (const auto& [key, spec] : serving.outputs) output_keys.push_back(key);
  if (input_paths.size() > input_keys.size() || output_paths.size() != output_keys.size())
    throw Error("signature serving_default of '" + path + "' takes " + std::to_string(input_keys.size()) + " inputs and gives " +
                std::to_string(output_keys.size()) + " outputs; " + std::to_string(input_paths.size()) + " --input and " +
                std::to_string(output_paths.size()) + " --output were given");
  NamedTensors inputs;
  const std::vector<Tensor> values = read_npy_files(input_paths);
  for (std::size_t i = 0; i < values.size(); ++i) {
    // Numbers are cast to the signature's dtype, as Keras's predict casts its inputs.
    const DType wanted = serving.inputs.at(input_keys[i]).dtype;
    const bool numeric = values[i].dtype() != DType::String && wanted != DType::String;
    inputs[input_keys[i]] = numeric && values[i].dtype() != wanted ? values[i].cast(wanted) : values[i];
  }
  const NamedTensors outputs = serving(inputs);
  for (std::size_t i = 0; i < output_keys.size(); ++i) write_npy(output_paths[i], outputs.at(output_keys[i]));
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
  const std::string model_path = vm["MODEL"].as<std::string>(), weights = vm["weights"].as<std::string>();
  ModelPtr model;
  try {
    model = load_model_and_weights(model_path, weights, true, false);
  } catch (const Error& keras_error) {
    if (!weights.empty() || !holds_signatures(model_path)) throw;
    // The command's contract is one stderr line per outcome: a fallback that fails too reports
    // both reasons in the one error line; one that works says once what it did.
    const std::string why = "'" + model_path + "' does not load as a Keras model (" + keras_error.what() + ")";
    try {
      predict_with_serving_signature(model_path, input_paths, output_paths);
    } catch (const Error& signature_error) {
      throw Error(why + ", and its serving_default signature failed too: " + signature_error.what());
    }
    std::string note = "ksave: note: " + why + "; ran its serving_default signature";
    std::replace_if(note.begin(), note.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
    std::cerr << note << "\n";
    return 0;
  }
  check_count("input", input_paths.size(), model->input_names(), model->inputs());
  check_count("output", output_paths.size(), model->output_names(), model->outputs());

  const Tensors outputs = model->predict(Tensors(read_npy_files(input_paths)), batch_size);
  if (outputs.size() != output_paths.size())
    throw Error("the model produced " + std::to_string(outputs.size()) + " outputs, " +
                std::to_string(output_paths.size()) + " --output were given");
  for (std::size_t i = 0; i < outputs.size(); ++i) write_npy(output_paths[i], outputs[i]);
  return 0;
}

[[maybe_unused]] const bool registered = register_command(kPredict);

}  // namespace

}  // namespace ksave::cli
