#include "support/oracle_case.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <set>

#include "ksave/error.hpp"
#include "ksave/shape.hpp"

namespace ksave::test {
namespace fs = std::filesystem;
namespace {

// The oracle writes little-endian float32; reading it with memcpy needs a little-endian host.
static_assert(std::endian::native == std::endian::little, "oracle .bin files are little-endian");

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("oracle case: cannot open " + path.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

Json read_json(const fs::path& path) {
  try {
    return Json::parse(read_text(path));
  } catch (const Json::exception& e) {
    throw Error("oracle case: " + path.string() + " is not valid JSON: " + e.what());
  }
}

// The float32 tensor of `shape` stored at `offset` of `bytes`; checked before allocating.
Tensor float32_tensor(const std::string& bytes, std::size_t offset, const Shape& shape,
                      const std::string& what) {
  const auto count = static_cast<std::uint64_t>(num_elements(shape));
  const std::size_t available = offset > bytes.size() ? 0 : bytes.size() - offset;
  if (count > available / sizeof(float))
    throw Error("oracle case: " + what + " needs " + std::to_string(count) + " floats at offset " +
                std::to_string(offset) + ", the file has " + std::to_string(bytes.size()) + " bytes");
  Tensor t(DType::Float32, shape);
  if (count) std::memcpy(t.raw_data(), bytes.data() + offset, t.nbytes());
  return t;
}

Tensors read_tensors(const OracleCase& c, const Json& list, const std::string& key) {
  Tensors out;
  for (const Json& entry : list) {
    const std::string file = entry.at("file").get<std::string>();
    out.push_back(c.read_bin(file, shape_from_json(entry.at("shape"), key + " " + file)));
  }
  return out;
}

std::string join(const std::vector<std::string>& parts, const std::string& separator) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : separator) + p;
  return out;
}

// The variable of `layer` that an oracle weight names: by short name, or by its position among
// the layer's oracle weights when the layer has several weights of that short name (the
// forward_/backward_ halves of a Bidirectional). Returns null after recording the problem.
VariablePtr find_variable(const Layer& layer, const OracleWeight& w, std::size_t position,
                          std::vector<std::string>& problems) {
  const std::vector<VariablePtr> vars = layer.weights();
  std::vector<std::string> names;
  for (const auto& v : vars) names.push_back(v->short_name());
  const auto first = std::find(names.begin(), names.end(), w.name);
  const auto matches = std::count(first, names.end(), w.name);
  if (matches == 1) return vars[static_cast<std::size_t>(first - names.begin())];
  if (matches > 1 && position < vars.size() && names[position] == w.name) return vars[position];
  std::string where = matches ? " at position " + std::to_string(position) : "";
  problems.push_back("layer '" + w.layer + "' has no weight '" + w.name + "'" + where +
                     " (its weights: " + join(names, ", ") + ")");
  return nullptr;
}

}  // namespace

OracleCase OracleCase::load(const fs::path& dir) {
  OracleCase c;
  c.dir = dir;
  c.info = read_json(dir / "case.json");
  if (c.info.value("format", "") != "keras-oracle-case/1")
    throw Error("oracle case: " + (dir / "case.json").string() + " has format '" +
                c.info.value("format", "") + "', expected keras-oracle-case/1");
  c.model_json = read_text(dir / c.info.value("model_json", "model.json"));
  c.inputs = read_tensors(c, c.info.at("inputs"), "input");
  c.outputs = read_tensors(c, c.info.at("outputs"), "output");
  if (c.info.contains("tolerance")) {
    c.rtol = c.info["tolerance"].value("rtol", c.rtol);
    c.atol = c.info["tolerance"].value("atol", c.atol);
  }
  return c;
}

std::vector<OracleWeight> OracleCase::weights(const std::string& data_file) const {
  const fs::path index_path = dir / info.value("weights_index", "weights.json");
  const Json index = read_json(index_path);
  if (index.value("byte_order", "little") != "little" || index.value("dtype", "float32") != "float32")
    throw Error("oracle case: " + index_path.string() + " is not little-endian float32");
  const std::string file = data_file.empty() ? index.at("data_file").get<std::string>() : data_file;
  const std::string bytes = read_text(dir / file);

  std::vector<OracleWeight> out;
  for (const Json& entry : index.at("weights")) {
    OracleWeight w;
    w.layer = entry.at("layer").get<std::string>();
    w.name = entry.at("name").get<std::string>();
    w.trainable = entry.value("trainable", true);
    const std::string what = file + " " + w.layer + "/" + w.name;
    const Shape shape = shape_from_json(entry.at("shape"), what);
    if (entry.value("num_elements", num_elements(shape)) != num_elements(shape))
      throw Error("oracle case: " + index_path.string() + ": " + w.layer + "/" + w.name +
                  " has num_elements " + entry.at("num_elements").dump() + " but shape " +
                  shape_to_string(shape));
    w.value = float32_tensor(bytes, entry.at("offset_bytes").get<std::size_t>(), shape, what);
    out.push_back(std::move(w));
  }
  return out;
}

Tensor OracleCase::read_bin(const std::string& file, const Shape& shape) const {
  const std::string bytes = read_text(dir / file);
  const auto need = static_cast<std::size_t>(num_elements(shape)) * sizeof(float);
  if (bytes.size() != need)
    throw Error("oracle case: " + (dir / file).string() + " has " + std::to_string(bytes.size()) +
                " bytes, float32 shape " + shape_to_string(shape) + " needs " + std::to_string(need));
  return float32_tensor(bytes, 0, shape, (dir / file).string());
}

// Checks everything before assigning anything, so a failure leaves the model as it was and
// reports every problem at once.
void OracleCase::assign_weights(Model& model, const std::string& data_file) const {
  std::vector<std::string> problems;
  std::vector<std::pair<VariablePtr, Tensor>> plan;
  std::set<const Variable*> assigned;
  std::map<std::string, std::size_t> seen_in_layer;  // oracle weights met so far per layer

  for (const OracleWeight& w : weights(data_file)) {
    const std::size_t position = seen_in_layer[w.layer]++;
    LayerPtr layer;
    try {
      layer = model.get_layer(w.layer);
    } catch (const Error& e) {
      problems.push_back(e.what());
      continue;
    }
    VariablePtr var = find_variable(*layer, w, position, problems);
    if (!var) continue;
    if (!assigned.insert(var.get()).second) {
      problems.push_back(var->name() + " is given twice");
    } else if (var->shape() != w.value.shape()) {
      problems.push_back(var->name() + " has shape " + shape_to_string(var->shape()) +
                         ", the oracle gives " + shape_to_string(w.value.shape()));
    } else {
      plan.emplace_back(var, var->dtype() == DType::Float32 ? w.value : w.value.cast(var->dtype()));
    }
  }
  for (const VariablePtr& var : model.weights())
    if (!assigned.count(var.get())) problems.push_back("no oracle value for " + var->name());
  if (!problems.empty())
    throw Error("oracle case " + dir.string() + ": cannot set the weights of model '" + model.name() +
                "': " + join(problems, "; "));
  for (auto& [var, value] : plan) var->assign(value);
}

std::vector<fs::path> oracle_cases(const fs::path& oracle_dir) {
  std::vector<fs::path> cases;
  const fs::path root = oracle_dir / "cases-sample";
  if (!fs::is_directory(root)) return cases;
  for (const auto& entry : fs::directory_iterator(root))
    if (entry.is_directory() && fs::is_regular_file(entry.path() / "case.json"))
      cases.push_back(entry.path());
  std::sort(cases.begin(), cases.end());
  return cases;
}

}  // namespace ksave::test
