// The plugins this build tree makes, as CMake lists them, and whether each one loaded: a suite
// that uses a plugin of the tree must fail when it is absent, not pass without it.
#pragma once

#include <string>
#include <vector>

namespace ksave::test {

// The names of the tree's plugins (ksave-plugin-<name>.so), sorted.
std::vector<std::string> in_tree_plugins();
// One line for each in-tree plugin that the process's registry did not load: "<name>: not found"
// or "<name>: refused (<reason>)". Empty when all loaded.
std::vector<std::string> in_tree_plugins_not_loaded();

}  // namespace ksave::test
