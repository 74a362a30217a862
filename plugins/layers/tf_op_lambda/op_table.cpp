#include "op_table.hpp"

#include <algorithm>
#include <map>

#include "ksave/tf_function_names.hpp"

namespace ksave::plugins::tf_op {
namespace {

const std::map<std::string, OpFunction>& table() {
  static const std::map<std::string, OpFunction> ops = [] {
    std::map<std::string, OpFunction> all;
    for (auto part : {elementwise_ops(), shape_ops(), reduction_ops()})
      for (const auto& [name, fn] : part) all.emplace(name, fn);
    return all;
  }();
  return ops;
}

}  // namespace

OpFunction find_op(const std::string& function) {
  auto it = table().find(tf_function_names::canonical_tf_function(function));
  return it == table().end() ? nullptr : it->second;
}

std::vector<std::string> supported_ops() {
  std::vector<std::string> names;
  for (const auto& [name, fn] : table()) names.push_back(name);
  return tf_function_names::recorded_names(names);
}

}  // namespace ksave::plugins::tf_op
