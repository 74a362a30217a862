// ksave fit: trains a saved model with the optimizer, loss and metrics its file records
// (Keras's training_config) and saves the result. Started by mpirun, every process trains its
// slice of each batch (data-parallel, launcher/) and the weights are saved in shards.
#include <iostream>
#include <optional>

#include "commands.hpp"
#include "ksave/collectives.hpp"
#include "ksave/saving.hpp"
#include "launcher.hpp"
#include "ksave/tensorboard.hpp"

namespace ksave::cli {
namespace {

int run(const Args& args);

const Command kFit{"fit",
                   "fit MODEL [--weights W] --x X.npy [--x ...] --y Y.npy [--y ...] --epochs N --batch-size B "
                   "[--no-shuffle] [--seed S] [--validation-split F] [--verbose 0|1|2] [--tensorboard DIR "
                   "[--histogram-freq N] [--update-freq epoch|batch|N]] [--history FILE.csv] [--save OUT [--format FMT]] "
                   "[--save-weights W]",
                   "Trains MODEL as its saved training configuration says and saves it to OUT and/or its weights "
                   "to W (under mpirun: every process trains a slice of each batch; a TF checkpoint W is "
                   "written in one shard per process).",
                   run};

int run(const Args& args) {
  po::options_description visible("options");
  visible.add_options()
      ("weights", po::value<std::string>()->default_value(""), "initial weights (file or checkpoint prefix)")
      ("x", po::value<std::vector<std::string>>(), "input .npy, one per model input, in order")
      ("y", po::value<std::vector<std::string>>(), "target .npy, one per model output, in order")
      ("epochs", po::value<int>(), "passes over the data")
      ("batch-size", po::value<std::int64_t>(), "rows per step")
      ("no-shuffle", "keep the rows in order")
      ("seed", po::value<std::uint64_t>()->default_value(0), "shuffling seed (0: random)")
      ("validation-split", po::value<double>()->default_value(0.0), "last fraction of the rows kept for validation")
      ("verbose", po::value<int>()->default_value(1), "0 silent, 1 progress bar, 2 one line per epoch")
      ("tensorboard", po::value<std::string>(), "TensorBoard log folder (Keras's TensorBoard callback)")
      ("histogram-freq", po::value<int>()->default_value(0), "with --tensorboard: weight histograms every N epochs")
      ("update-freq", po::value<std::string>()->default_value("epoch"), "with --tensorboard: epoch, batch or N batches")
      ("history", po::value<std::string>(), "CSV file of the per-epoch logs (Keras's CSVLogger)")
      ("save", po::value<std::string>(), "where the trained model goes")
      ("format", po::value<std::string>()->default_value(""), "its format (default: from OUT's extension)")
      ("save-weights", po::value<std::string>(), "where the trained weights go (.h5, or a TF checkpoint prefix)");
  po::options_description hidden;
  hidden.add_options()("MODEL", po::value<std::string>());
  po::positional_options_description positional;
  positional.add("MODEL", 1);
  po::variables_map vm;
  if (!parse_command_line(kFit, args, visible, hidden, positional, vm)) return 0;
  for (const char* name : {"MODEL", "x", "y", "epochs", "batch-size"}) require_option(vm, name);
  if (!vm.count("save") && !vm.count("save-weights")) throw CommandLineError("give --save, --save-weights or both");
  // First, before any op runs: under mpirun this sets the kernels' threads per process.
  FitOptions options;
  options.strategy = strategy_from_launcher();
  options.seed = vm["seed"].as<std::uint64_t>();
  options.epochs = vm["epochs"].as<int>();
  options.batch_size = vm["batch-size"].as<std::int64_t>();
  options.shuffle = !vm.count("no-shuffle");
  options.verbose = vm["verbose"].as<int>();
  if (options.epochs < 0) throw CommandLineError("--epochs must be 0 or more");
  if (options.batch_size <= 0) throw CommandLineError("--batch-size must be positive");
  if (options.verbose < 0 || options.verbose > 2) throw CommandLineError("--verbose must be 0, 1 or 2");
  options.validation_split = vm["validation-split"].as<double>();
  if (options.validation_split < 0 || options.validation_split >= 1)
    throw CommandLineError("--validation-split must be in [0, 1)");
  if (vm.count("tensorboard")) {
    tensorboard::TensorBoardOptions board;
    board.histogram_freq = vm["histogram-freq"].as<int>();
    if (board.histogram_freq < 0) throw CommandLineError("--histogram-freq must be 0 or more");
    try {
      board.update_freq = tensorboard::parse_update_freq(vm["update-freq"].as<std::string>());
    } catch (const UsageError& e) {
      throw CommandLineError(std::string("--update-freq: ") + e.what());
    }
    options.callbacks.push_back(std::make_shared<tensorboard::TensorBoard>(vm["tensorboard"].as<std::string>(), board));
  } else if (!vm["histogram-freq"].defaulted() || !vm["update-freq"].defaulted()) {
    throw CommandLineError("--histogram-freq and --update-freq need --tensorboard DIR");
  }
  if (vm.count("history")) options.callbacks.push_back(std::make_shared<CSVLogger>(vm["history"].as<std::string>()));

  const std::string model_path = vm["MODEL"].as<std::string>();
  // An architecture without weights trains from its initial values, as Keras would.
  ModelPtr model = load_model_and_weights(model_path, vm["weights"].as<std::string>(), false, true);
  // A loader that compiled the model also restored the optimizer's state: training resumes.
  if (!model->compiled()) {
    if (!model->training_config().is_object() || model->training_config().empty())
      throw Error("'" + model_path + "' has no training configuration (it was saved without compile), so "
                  "there is no optimizer or loss to train with");
    model->compile_from_training_config(model->training_config());
  }
  const History history = model->fit(Tensors(read_npy_files(vm["x"].as<std::vector<std::string>>())),
                                     Tensors(read_npy_files(vm["y"].as<std::vector<std::string>>())), options);

  // Every process saves: rank 0 writes whole files, each rank its shard of a TF checkpoint.
  std::optional<CollectiveScope> collective;
  if (options.strategy) collective.emplace(options.strategy->collectives());
  std::string saved;
  if (vm.count("save")) {
    SaveOptions save;
    save.format = vm["format"].as<std::string>();
    save_model(*model, vm["save"].as<std::string>(), save);
    saved = vm["save"].as<std::string>();
  }
  if (vm.count("save-weights")) {
    save_weights(*model, vm["save-weights"].as<std::string>());
    saved += (saved.empty() ? "" : " and ") + vm["save-weights"].as<std::string>();
  }
  if (options.strategy && !options.strategy->is_chief()) return 0;
  auto loss = history.history.find("loss");
  if (loss != history.history.end() && !loss->second.empty())
    std::cout << "trained " << loss->second.size() << " epochs, final loss " << loss->second.back() << "; ";
  if (options.strategy) std::cout << "on " << options.strategy->num_replicas() << " processes; ";
  std::cout << "saved " << saved << "\n";
  return 0;
}

[[maybe_unused]] const bool registered = register_command(kFit);

}  // namespace
}  // namespace ksave::cli
