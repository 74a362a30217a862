// ksave convert: reads a model in one format and writes it in another. The target format comes
// from --to or from DST's extension, as Keras picks one; any registered format works.
#include <iostream>

#include "commands.hpp"
#include "ksave/saving.hpp"

namespace ksave::cli {
namespace {

int run(const Args& args);

const Command kConvert{"convert", "convert SRC DST [--to h5|keras|savedmodel|tf-checkpoint|json|onnx] [--weights W] [--option KEY=VALUE ...]",
                       "Writes the model in SRC (with the weights in W, if given) to DST in another format.", run};

std::string target_format(const std::string& to, const std::filesystem::path& dst) {
  return to.empty() ? format_for_model_path(dst) : to;
}

// --option KEY=VALUE, repeated: the target format's own options. VALUE is read as JSON when it
// is JSON (17, true, "auto") and as a string otherwise.
Json format_options(const std::vector<std::string>& given) {
  Json options = Json::object();
  for (const std::string& option : given) {
    const auto equals = option.find('=');
    if (equals == std::string::npos || equals == 0)
      throw CommandLineError("--option takes KEY=VALUE, found '" + option + "'");
    const std::string value = option.substr(equals + 1);
    options[option.substr(0, equals)] = Json::accept(value) ? Json::parse(value) : Json(value);
  }
  return options;
}

int run(const Args& args) {
  po::options_description visible("options");
  visible.add_options()
      ("to", po::value<std::string>()->default_value(""), "target format (default: from DST's ending, as each format declares it: .h5 → h5, .keras → keras (Keras 3 zip), .json → json, .onnx → onnx, else savedmodel)")
      ("weights", po::value<std::string>()->default_value(""), "weights for SRC (when SRC is an architecture JSON)")
      ("option", po::value<std::vector<std::string>>()->composing(), "KEY=VALUE: an option of the target format (onnx: opset=13..17, external_data=true|false|auto)");
  po::options_description hidden;
  hidden.add_options()("SRC", po::value<std::string>())("DST", po::value<std::string>());
  po::positional_options_description positional;
  positional.add("SRC", 1).add("DST", 1);
  po::variables_map vm;
  if (!parse_command_line(kConvert, args, visible, hidden, positional, vm)) return 0;
  require_option(vm, "SRC");
  require_option(vm, "DST");
  const std::filesystem::path src = vm["SRC"].as<std::string>();
  const std::filesystem::path dst = vm["DST"].as<std::string>();

  FormatPtr target = get_format(target_format(vm["to"].as<std::string>(), dst));
  // Writing random initial values as if they were the model's would be a silent lie. Compiled,
  // so that a whole-model target keeps the optimizer and its state.
  ModelPtr model = load_model_and_weights(src, vm["weights"].as<std::string>(), target->traits().holds_values, true);
  SaveOptions options;
  options.format = target->name();
  if (vm.count("option")) options.format_options = format_options(vm["option"].as<std::vector<std::string>>());
  if (target->can(Capability::SaveModel)) {
    save_model(*model, dst, options);
  } else if (target->can(Capability::SaveWeights)) {
    save_weights(*model, dst, options);
  } else {
    throw Error("format '" + target->name() + "' can save neither models nor weights");
  }
  std::cout << "wrote " << dst.string() << " (" << target->name()
            << (target->can(Capability::SaveModel) ? "" : ", weights only") << ")\n";
  return 0;
}

[[maybe_unused]] const bool registered = register_command(kConvert);

}  // namespace
}  // namespace ksave::cli
