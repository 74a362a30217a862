#include "ksave/loaded_functions.hpp"

#include "ksave/format.hpp"
#include "ksave/saving.hpp"

namespace ksave {
namespace {

std::string join_keys(const std::map<std::string, TensorSpec>& specs) {
  std::string out;
  for (const auto& [key, spec] : specs) out += (out.empty() ? "'" : ", '") + key + "'";
  return out.empty() ? "none" : out;
}

void check_input(const SignatureFunction& f, const std::string& key, const TensorSpec& spec, const Tensor& value) {
  const std::string where = "signature '" + f.name + "' input '" + key + "'";
  if (value.dtype() != spec.dtype)
    throw Error(where + " expects " + std::string(dtype_name(spec.dtype)) + ", found " + std::string(dtype_name(value.dtype())));
  if (spec.shape && !shapes_compatible(*spec.shape, value.shape()))
    throw Error(where + " expects shape " + shape_to_string(*spec.shape) + ", found " + shape_to_string(value.shape()));
}

}  // namespace

NamedTensors SignatureFunction::operator()(const NamedTensors& given) const {
  for (const auto& [key, value] : given)
    if (!inputs.count(key)) throw Error("signature '" + name + "' has no input '" + key + "' (its inputs: " + join_keys(inputs) + ")");
  NamedTensors complete;
  for (const auto& [key, spec] : inputs) {
    auto it = given.find(key);
    if (it == given.end()) it = defaults.find(key);
    if (it == defaults.end())
      throw Error("signature '" + name + "' needs input '" + key + "', which was not given and has no default");
    check_input(*this, key, spec, it->second);
    complete.emplace(key, it->second);
  }
  NamedTensors results = run(complete);
  for (const auto& [key, spec] : outputs)
    if (!results.count(key)) throw Error("signature '" + name + "' did not produce its output '" + key + "'");
  return results;
}

std::vector<std::string> LoadedFunctions::signature_names() const {
  std::vector<std::string> names;
  for (const auto& [name, f] : signatures_) names.push_back(name);
  return names;
}

const SignatureFunction& LoadedFunctions::signature(const std::string& name) const {
  auto it = signatures_.find(name);
  if (it != signatures_.end()) return it->second;
  std::string known;
  for (const auto& n : signature_names()) known += (known.empty() ? "'" : ", '") + n + "'";
  throw Error("no signature '" + name + "' (the graph has: " + (known.empty() ? "none" : known) + ")");
}

LoadedFunctionsPtr load_functions(const std::filesystem::path& path) {
  FormatPtr format = detect_format(path);
  if (!format->can(Capability::LoadFunctions))
    throw Error("'" + path.string() + "' is a " + format->name() + " file, which holds no graph to load as functions");
  return format->load_functions(path);
}

}  // namespace ksave
