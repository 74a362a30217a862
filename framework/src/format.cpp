#include "ksave/format.hpp"

#include <algorithm>

namespace ksave {
namespace {

std::string join(const std::vector<std::string>& items, std::size_t limit = 20) {
  std::string out;
  for (std::size_t i = 0; i < items.size() && i < limit; ++i) out += (i ? ", " : "") + items[i];
  if (items.size() > limit) out += ", ... (" + std::to_string(items.size() - limit) + " more)";
  return out;
}

}  // namespace

void LoadStatus::assert_consumed() const {
  if (unused_in_file.empty() && unmatched_in_model.empty()) return;
  std::string msg = "not everything was matched:";
  if (!unmatched_in_model.empty()) msg += " model values not restored: " + join(unmatched_in_model) + ".";
  if (!unused_in_file.empty()) msg += " saved values not used: " + join(unused_in_file) + ".";
  throw Error(msg);
}

void LoadStatus::assert_existing_objects_matched() const {
  if (unmatched_in_model.empty()) return;
  throw Error("model values not restored: " + join(unmatched_in_model));
}

bool Format::can(Capability capability) const {
  auto caps = capabilities();
  return std::find(caps.begin(), caps.end(), capability) != caps.end();
}

namespace {
[[noreturn]] void unsupported(const Format& f, const std::string& what) {
  throw Error("format '" + f.name() + "' cannot " + what);
}
}  // namespace

void Format::save_model(const Model&, const std::filesystem::path&, const SaveOptions&) {
  unsupported(*this, "save whole models");
}
ModelPtr Format::load_model(const std::filesystem::path&, const LoadOptions&) { unsupported(*this, "load whole models"); }
void Format::save_weights(const Model&, const std::filesystem::path&, const SaveOptions&) {
  unsupported(*this, "save weights");
}
LoadStatus Format::load_weights(Model&, const std::filesystem::path&, const LoadOptions&) {
  unsupported(*this, "load weights");
}
Json Format::inspect(const std::filesystem::path&) const { unsupported(*this, "describe files"); }
LoadedFunctionsPtr Format::load_functions(const std::filesystem::path&) { unsupported(*this, "load graphs as functions"); }

}  // namespace ksave
