// Guide, "Exemple d'apprentissage de transfert": the summaries of the pretrained sub-model
// (Model(functional_model.inputs, functional_model.layers[-1].input)), of the new model, of a
// Sequential holding the pretrained model and of a Sequential made of extracted layers, compared
// line by line with the tables printed in the guide (read in place from ../shared/seed).
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "guide_support.hpp"

using ksave::KerasTensors;
using ksave::LayerPtr;

namespace {

namespace fs = std::filesystem;

LayerPtr dense(std::int64_t units, const std::string& name, const std::string& activation = "linear") {
  return ksave::make_layer("Dense", {{"units", units}, {"activation", activation}, {"name", name}});
}

// digits → dense_1 → dense_2 → predictions(`outputs`), named `name`.
ksave::ModelPtr mlp(std::int64_t outputs, const std::string& name) {
  auto inputs = ksave::Input({784}, "digits");
  auto x = (*dense(64, "dense_1", "relu"))(inputs);
  x = (*dense(64, "dense_2", "relu"))(x);
  auto y = (*dense(outputs, "predictions"))(x);
  return std::make_shared<ksave::Functional>(KerasTensors{inputs}, KerasTensors{y}, name);
}

std::string rstrip(std::string line) {
  while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
  return line;
}

// The guide's summary tables by model name, from the `Model: "..."` line to the
// "Non-trainable params" line, trailing blanks removed.
std::map<std::string, std::vector<std::string>> guide_tables(const fs::path& guide) {
  std::ifstream in(guide);
  std::map<std::string, std::vector<std::string>> tables;
  std::string line, current;
  while (std::getline(in, line)) {
    line = rstrip(line);
    if (line.rfind("Model: \"", 0) == 0) current = line.substr(8, line.size() - 9);
    if (current.empty()) continue;
    tables[current].push_back(line);
    if (line.rfind("Non-trainable params:", 0) == 0) current.clear();
  }
  return tables;
}

std::vector<std::string> summary_lines(const ksave::Model& model) {
  std::istringstream in(model.summary());
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(rstrip(line));
    if (line.rfind("Non-trainable params:", 0) == 0) break;
  }
  return lines;
}

// The summary, compared with the guide's table, is also handed to the real-Keras twin (in `dir`).
void compare(const ksave::Model& model, const std::map<std::string, std::vector<std::string>>& tables,
             const fs::path& dir) {
  std::cout << model.summary();
  guide::twin_json(dir, model.name(), summary_lines(model));
  auto it = tables.find(model.name());
  guide::check(it != tables.end(), "the guide prints a summary of '" + model.name() + "'");
  auto ours = summary_lines(model);
  const auto& theirs = it->second;
  for (std::size_t i = 0; i < std::max(ours.size(), theirs.size()); ++i) {
    std::string a = i < ours.size() ? ours[i] : "<missing>", b = i < theirs.size() ? theirs[i] : "<missing>";
    guide::check(a == b, "summary of '" + model.name() + "', line " + std::to_string(i + 1) + ":\n  ours:  '" + a +
                             "'\n  guide: '" + b + "'");
  }
}

fs::path guide_path() {
  if (const char* env = std::getenv("KSAVE_GUIDE")) return env;
  const fs::path name = "keras-save-and-load-guide.fr.txt";
  // Beside the fixtures the tests read: $KSAVE_FIXTURES, else the checkout's sibling ../shared.
  if (const char* fixtures = std::getenv("KSAVE_FIXTURES")) {
    fs::path folder(fixtures);
    if (!folder.has_filename()) folder = folder.parent_path();  // "…/fixtures/"
    return folder.parent_path() / "seed" / name;
  }
  return fs::path(KSAVE_CHECKOUT_DIR).parent_path() / "shared" / "seed" / name;
}

}  // namespace

int main() {
  fs::path guide = guide_path();
  if (!fs::exists(guide)) {
    // A user's fresh clone has no ../shared: nothing to compare. CI has it, and must compare.
    const char* ci = std::getenv("CI");
    const bool in_ci = ci && std::string(ci) == "true";
    std::cout << "pretrained_summary: " << (in_ci ? "FAILED" : "SKIPPED") << ", the guide is not at " << guide
              << " (set KSAVE_GUIDE)\n";
    return in_ci ? EXIT_FAILURE : EXIT_SUCCESS;
  }
  return guide::run("pretrained_summary", [&] {
    auto tables = guide_tables(guide);
    const auto dir = guide::work_dir("pretrained_summary");
    auto functional_model = mlp(10, "3_layer_mlp");
    // pretrained = keras.Model(functional_model.inputs, functional_model.layers[-1].input,
    //                          name="pretrained_model")
    auto pretrained = std::make_shared<ksave::Functional>(functional_model->inputs(),
                                                          KerasTensors{functional_model->get_layer(-1)->input()},
                                                          "pretrained_model");
    compare(*pretrained, tables, dir);

    // A new model with another output size takes the pretrained weights layer by layer.
    auto model = mlp(5, "new_model");
    for (const char* name : {"dense_1", "dense_2"})
      model->get_layer(name)->set_weights(pretrained->get_layer(name)->get_weights());
    for (std::size_t i = 0; i < pretrained->weights().size(); ++i)
      guide::check(ksave::allclose(pretrained->weights()[i]->value(), model->weights()[i]->value()),
                   "pretrained weight " + std::to_string(i) + " is in the new model");
    compare(*model, tables, dir);

    // model = keras.Sequential([pretrained_model, keras.layers.Dense(5, name="predictions")])
    // (the guide's session had made three Sequential models before: its automatic name was
    // "sequential_3"; here the name is given).
    auto inputs = ksave::Input({784}, "digits");
    auto x = (*dense(64, "dense_1", "relu"))(inputs);
    x = (*dense(64, "dense_2", "relu"))(x);
    auto pretrained_model = std::make_shared<ksave::Functional>(KerasTensors{inputs}, KerasTensors{x}, "pretrained");
    auto sequential = std::make_shared<ksave::Sequential>(std::vector<LayerPtr>{pretrained_model, dense(5, "predictions")},
                                                          "sequential_3");
    compare(*sequential, tables, dir);

    // extracted_layers = pretrained_model.layers[:-1] + [Dense(5, name="dense_3")]
    auto pretrained_again = mlp(10, "3_layer_mlp");
    auto extracted_layers = pretrained_again->layers();
    extracted_layers.pop_back();
    extracted_layers.push_back(dense(5, "dense_3"));
    auto extracted = std::make_shared<ksave::Sequential>(extracted_layers, "sequential_6");
    compare(*extracted, tables, dir);
  });
}
