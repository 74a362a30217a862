// ksave demo: builds a small MLP on generated data, saves it in every format this build has,
// reloads each file and reports size, save and load times, and how far the reloaded model's
// predictions are from the original's.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <random>

#include "commands.hpp"
#include "ksave/plugin_loader.hpp"
#include "ksave/registry.hpp"
#include "ksave/saving.hpp"
#include "ksave/serialization.hpp"

namespace ksave::cli {
namespace {
namespace fs = std::filesystem;

int run(const Args& args);

const Command kDemo{"demo", "demo [--dir DIR] [--epochs N]",
                    "Builds an MLP, trains it on generated data, saves it in every available format, reloads "
                    "each file and compares predictions, sizes and times.",
                    run};

constexpr std::int64_t kFeatures = 8;
constexpr std::int64_t kRows = 256;

// x uniform in [-1, 1); y a smooth function of x, so that a trained MLP has something to fit.
std::pair<Tensor, Tensor> generate_data() {
  std::mt19937 random(20261126);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> x(kRows * kFeatures), y(kRows);
  for (std::int64_t r = 0; r < kRows; ++r) {
    float target = 0;
    for (std::int64_t f = 0; f < kFeatures; ++f) {
      x[r * kFeatures + f] = uniform(random);
      target += std::sin(x[r * kFeatures + f] * static_cast<float>(f + 1)) / static_cast<float>(kFeatures);
    }
    y[r] = target;
  }
  return {Tensor::from_vector(x, {kRows, kFeatures}), Tensor::from_vector(y, {kRows, 1})};
}

// Seeded initializers make every run print the same training losses.
Json seeded_glorot(int seed) { return {{"class_name", "GlorotUniform"}, {"config", {{"seed", seed}}}}; }

ModelPtr build_model() {
  return std::make_shared<Sequential>(
      std::vector<LayerPtr>{
          make_layer("Dense", {{"name", "hidden_1"}, {"units", 32}, {"activation", "relu"},
                               {"kernel_initializer", seeded_glorot(1)}, {"batch_input_shape", {nullptr, kFeatures}}}),
          make_layer("Dense", {{"name", "hidden_2"}, {"units", 32}, {"activation", "tanh"},
                               {"kernel_initializer", seeded_glorot(2)}}),
          make_layer("Dense", {{"name", "prediction"}, {"units", 1}, {"kernel_initializer", seeded_glorot(3)}}),
      },
      "demo_mlp");
}

std::string fixed(double value, const char* format) {
  char text[32];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

// Adam on the mean squared error, as a Keras user would compile it; the optimizer state and
// training_config are then part of what the whole-model formats save. Training needs the
// optimizer and loss plugins: without them the demo goes on with the initial weights.
void train(Model& model, const Tensor& x, const Tensor& y, int epochs) {
  if (epochs == 0) {
    std::cout << "training: skipped (--epochs 0); the model keeps its initial weights\n";
    return;
  }
  try {
    model.compile("adam", "mse");
  } catch (const Error& e) {
    std::cout << "training: skipped (" << e.what() << ")\n";
    return;
  }
  FitOptions options;
  options.epochs = epochs;
  options.batch_size = 32;
  options.verbose = 0;
  options.seed = 7;
  const double before = model.evaluate({x}, {y}).at("loss");
  const History history = model.fit({x}, {y}, options);
  std::cout << "training: adam, mse, " << epochs << " epochs of batches of 32: loss " << fixed(before, "%.5f")
            << " -> " << fixed(history.history.at("loss").back(), "%.5f") << "\n";
}

// Bytes on disk of a file, a folder (recursively) or a checkpoint prefix (its files).
std::uintmax_t size_on_disk(const fs::path& path) {
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) return fs::file_size(path, ec);
  std::uintmax_t total = 0;
  if (fs::is_directory(path, ec)) {
    for (const auto& e : fs::recursive_directory_iterator(path, ec))
      if (e.is_regular_file(ec)) total += e.file_size(ec);
    return total;
  }
  const std::string prefix = path.filename().string() + ".";
  for (const auto& e : fs::directory_iterator(path.parent_path(), ec))
    if (e.is_regular_file(ec) && e.path().filename().string().rfind(prefix, 0) == 0) total += e.file_size(ec);
  return total;
}

// The largest |difference| over every output; a NaN on either side makes it infinite (ksave's
// max_abs_difference), so a reload that computes NaN never shows as 0.
double max_difference(const Tensors& a, const Tensors& b) {
  if (a.size() != b.size()) throw Error("the reloaded model has " + std::to_string(b.size()) + " outputs, not " + std::to_string(a.size()));
  double worst = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].shape() != b[i].shape()) throw Error("output " + std::to_string(i) + " changed shape after reloading");
    worst = std::max(worst, max_abs_difference(a[i], b[i]));
  }
  return worst;
}

template <typename F>
double milliseconds(F&& body) {
  const auto start = std::chrono::steady_clock::now();
  body();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

struct Trial {
  std::string format;
  std::string contents;  // "whole model", "architecture only", "weights"
  fs::path path;
  std::function<void()> save;
  std::function<ModelPtr()> load;
};

// One table row: saves, reloads, predicts, compares; a failure fills the row with its reason.
std::vector<std::string> run_trial(const Trial& trial, const Tensor& x, const Tensors& expected, bool& failed) {
  try {
    ModelPtr reloaded;
    const double save_ms = milliseconds(trial.save);
    const double load_ms = milliseconds([&] { reloaded = trial.load(); });
    const double difference = max_difference(expected, reloaded->predict(Tensors{x}));
    return {trial.format, trial.contents, human_size(size_on_disk(trial.path)), fixed(save_ms, "%.2f"),
            fixed(load_ms, "%.2f"), fixed(difference, "%.3g")};
  } catch (const std::exception& e) {
    failed = true;
    std::string reason = e.what();
    for (char& c : reason)
      if (c == '\n') c = ' ';
    return {trial.format, trial.contents, "-", "-", "-", "error: " + reason};
  }
}

// "<stem><the format's first ending>", or "<stem>_<format>" for a format that declares none (a
// SavedModel folder, a checkpoint prefix): a path the format would be chosen for.
fs::path demo_path(const fs::path& dir, const std::string& stem, const Format& format,
                   const std::vector<std::string>& endings) {
  if (!endings.empty()) return dir / (stem + endings.front());
  std::string name = format.name();
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return dir / (stem + "_" + name);
}

// The trials a format supports: whole model and/or weights only.
std::vector<Trial> trials_for(const FormatPtr& format, const ModelPtr& model, const fs::path& dir) {
  std::vector<Trial> trials;
  const std::string name = format->name();
  const FormatTraits traits = format->traits();
  if (format->can(Capability::SaveModel) && format->can(Capability::LoadModel)) {
    const fs::path path = demo_path(dir, "demo_model", *format, traits.model_endings);
    const bool weights = traits.holds_values;
    trials.push_back({name, weights ? "whole model" : "architecture only (weights copied)", path,
                      [=] {
                        SaveOptions options;
                        options.format = name;
                        save_model(*model, path, options);
                      },
                      [=] {
                        ModelPtr loaded = load_model(path);
                        // An architecture file holds no values: give the original's, so the
                        // comparison checks that the architecture computes the same function.
                        if (!weights) loaded->set_weights(model->get_weights());
                        return loaded;
                      }});
  }
  if (format->can(Capability::SaveWeights) && format->can(Capability::LoadWeights)) {
    // Each format's own ending: Keras 3 (the keras format) only takes weights named `*.weights.h5`.
    const fs::path path = demo_path(dir, "demo_weights", *format, traits.weights_endings);
    trials.push_back({name, "weights only", path,
                      [=] {
                        SaveOptions options;
                        options.format = name;
                        save_weights(*model, path, options);
                      },
                      [=] {
                        ModelPtr fresh = clone_model(*model);
                        load_weights(*fresh, path).assert_existing_objects_matched();
                        return fresh;
                      }});
  }
  return trials;
}

fs::path prepare_directory(const po::variables_map& vm, bool& temporary) {
  temporary = !vm.count("dir");
  fs::path dir;
  if (temporary) {
    std::random_device rd;
    dir = fs::temp_directory_path() / ("ksave-demo-" + std::to_string(rd()));
  } else {
    dir = vm["dir"].as<std::string>();
  }
  fs::create_directories(dir);
  return dir;
}

int run(const Args& args) {
  po::options_description visible("options");
  visible.add_options()
      ("dir", po::value<std::string>(), "keep the saved files in DIR (default: a temporary folder, removed)")
      ("epochs", po::value<int>()->default_value(20), "training epochs (0: no training)");
  po::options_description hidden;
  po::positional_options_description positional;
  po::variables_map vm;
  if (!parse_command_line(kDemo, args, visible, hidden, positional, vm)) return 0;

  const auto [x, y] = generate_data();
  ModelPtr model = build_model();
  std::cout << "model: " << model->name() << ", " << model->layers().size() << " Dense layers, "
            << model->count_params() << " parameters; data: " << kRows << " rows of " << kFeatures
            << " features, y = mean_j sin((j+1)·x_j)\n";
  const int epochs = vm["epochs"].as<int>();
  if (epochs < 0) throw CommandLineError("--epochs must be 0 or more");
  train(*model, x, y, epochs);
  const Tensors expected = model->predict(Tensors{x});

  bool temporary = false;
  const fs::path dir = prepare_directory(vm, temporary);
  std::vector<std::vector<std::string>> rows;
  bool failed = false;
  // Every registered format, by name: the demo names none itself, so a format plugin added to
  // the build (or to KSAVE_PLUGIN_PATH) gets its rows.
  std::vector<FormatPtr> formats;
  for (const auto& entry : Registry::global().entries(Kind::Format)) formats.push_back(entry->as<FormatFactory>()());
  std::sort(formats.begin(), formats.end(), [](const FormatPtr& a, const FormatPtr& b) { return a->name() < b->name(); });
  for (const FormatPtr& format : formats)
    for (const Trial& trial : trials_for(format, model, dir)) rows.push_back(run_trial(trial, x, expected, failed));
  std::cout << "\n";
  print_table(std::cout, {"format", "contents", "size", "save ms", "load ms", "max |diff|"}, rows);
  for (const auto& record : Registry::global().plugins().records())
    if (!record.loaded) std::cout << "\nnot in this build: " << record.refusal << "\n";
  if (temporary) fs::remove_all(dir);
  else std::cout << "files kept in " << dir.string() << "\n";
  if (rows.empty()) throw Error("no format plugin is available (`ksave plugins` shows where they are looked for)");
  if (failed) throw Error("some formats failed to save or reload the model (see the table)");
  return 0;
}

[[maybe_unused]] const bool registered = register_command(kDemo);

}  // namespace
}  // namespace ksave::cli
