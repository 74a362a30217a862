#include "support/in_tree_plugins.hpp"

#include <map>
#include <sstream>

#include "ksave/plugin_loader.hpp"
#include "ksave/registry.hpp"

namespace ksave::test {

// KSAVE_IN_TREE_PLUGINS: the names, comma-separated, compiled in by tests/CMakeLists.txt.
std::vector<std::string> in_tree_plugins() {
  std::vector<std::string> names;
  std::istringstream list(KSAVE_IN_TREE_PLUGINS);
  for (std::string name; std::getline(list, name, ',');)
    if (!name.empty()) names.push_back(name);
  return names;
}

std::vector<std::string> in_tree_plugins_not_loaded() {
  load_plugins();
  std::map<std::string, PluginRecord> by_name;
  for (const PluginRecord& record : Registry::global().plugins().records())
    if (!by_name.count(record.name) || record.loaded) by_name[record.name] = record;
  std::vector<std::string> problems;
  for (const std::string& name : in_tree_plugins()) {
    const auto found = by_name.find(name);
    if (found == by_name.end())
      problems.push_back(name + ": not found (" + Registry::global().plugins().search_summary() + ")");
    else if (!found->second.loaded)
      problems.push_back(name + ": refused (" + found->second.refusal + ")");
  }
  return problems;
}

}  // namespace ksave::test
