#include "weights_file.hpp"

#include <algorithm>
#include <functional>
#include <iostream>

#include "ksave/saving.hpp"
#include "weights_store.hpp"

namespace ksave::plugins::keras_zip {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kWeightsSuffix = ".weights.h5";

bool has_weights_suffix(const fs::path& path) {
  const std::string name = path.filename().string();
  return name.ends_with(kWeightsSuffix);
}

}  // namespace

std::vector<VariableOwner> owners_to_save(const Model& model, bool with_optimizer) {
  std::vector<VariableOwner> owners = layer_variable_owners(model);
  if (with_optimizer && model.compiled()) {
    for (VariableOwner& optimizer : optimizer_variable_owners(*model.optimizer()))
      if (optimizer.variables.size() > 1) owners.push_back(std::move(optimizer));
  }
  return owners;
}

std::vector<char> weights_image(const std::vector<VariableOwner>& owners, const fs::path& name) {
  std::size_t data_bytes = 0;
  for (const auto& owner : owners)
    for (const auto& v : owner.variables) data_bytes += v->value().nbytes();
  auto lock = h5::hdf5_lock();
  h5::File weights = h5::File::create_in_memory(name, data_bytes);
  write_owners(weights, owners);
  return weights.image();
}

LoadStatus load_weights_from(const h5::Group& root, Model& model, const fs::path& path, const LoadOptions& options) {
  if (options.by_name)
    throw Error("cannot load '" + path.string() + "' by_name: Keras 3 weights are matched by layer name and path already "
                "(load them without by_name)");
  LoadStatus status = read_owners_for_load_weights(root, layer_variable_owners(model), options.skip_mismatch);
  for (const auto& w : status.warnings) {
    std::string message = "ksave: warning: '";  // built by appending: GCC 12 warns falsely about "'" + temporaries
    message += path.string();
    message += "': ";
    message += w;
    std::cerr << message << "\n";
  }
  return status;
}

void save_weights_file(const Model& model, const fs::path& path, const SaveOptions& options) {
  if (!has_weights_suffix(path))
    throw Error("cannot save weights to '" + path.string() + "' in the keras format: the file name must end in `.weights.h5`, "
                "as Keras 3 requires (use the h5 format for Keras 2 HDF5 weights)");
  if (!options.overwrite && fs::exists(path)) throw Error("cannot save to '" + path.string() + "': the file exists and overwrite is off");
  // Keras 3's save_weights walks the model as the archive does, its optimizer included.
  const std::vector<VariableOwner> owners = owners_to_save(model, options.include_optimizer);
  write_atomically(path, [&](const fs::path& temporary) {
    auto lock = h5::hdf5_lock();
    h5::File file = h5::File::create(temporary);
    write_owners(file, owners);
    file.close();
  });
}

Json describe_weights(const h5::Group& root) {
  // Every vars group and its datasets, as stored (no model is built to describe a file).
  Json groups = Json::array();
  std::int64_t parameters = 0;
  std::function<void(const h5::Group&, const std::string&)> walk = [&](const h5::Group& group, const std::string& at) {
    for (const auto& child : group.children()) {
      const std::string path_here = at.empty() ? child : at + "/" + child;
      if (!group.has_group(child)) continue;
      h5::Group sub = group.group(child);
      if (child != "vars") {
        walk(sub, path_here);
        continue;
      }
      Json variables = Json::array();
      std::vector<std::string> names = sub.children();
      // Numbered datasets in number order ("2" before "10").
      std::stable_sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
        return a.size() != b.size() ? a.size() < b.size() : a < b;
      });
      for (const auto& name : names) {
        if (!sub.has_dataset(name)) continue;
        h5::Dataset d = sub.dataset(name);
        variables.push_back({{"index", name}, {"shape", shape_to_json(d.shape())}, {"dtype", d.type_description()}});
        if (at.rfind("optimizer", 0) != 0) parameters += num_elements(d.shape());
      }
      groups.push_back({{"path", path_here}, {"variables", variables}});
    }
  };
  walk(root, "");
  return {{"variables", groups}, {"parameters", parameters}};
}

Json describe_weights_file(const fs::path& path) {
  auto lock = h5::hdf5_lock();
  Json out = {{"format", "keras"}, {"path", path.string()}, {"kind", "weights"}};
  out.update(describe_weights(h5::File::open(path)));
  return out;
}

LoadStatus load_weights_file(Model& model, const fs::path& path, const LoadOptions& options) {
  auto lock = h5::hdf5_lock();
  h5::File file = h5::File::open(path);
  return load_weights_from(file, model, path, options);
}

}  // namespace ksave::plugins::keras_zip
