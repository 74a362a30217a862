// Automatic layer names, as Keras gives them.
#include <map>
#include <mutex>
#include <regex>
#include <string>

#include "ksave/layer.hpp"

namespace ksave {
namespace {

std::mutex g_names_mutex;
std::map<std::string, int>& name_counts() {
  static std::map<std::string, int> counts;
  return counts;
}

}  // namespace

void clear_session() {
  std::lock_guard lock(g_names_mutex);
  name_counts().clear();
}

std::string unique_layer_name(const std::string& prefix, bool zero_based) {
  std::lock_guard lock(g_names_mutex);
  int& count = name_counts()[prefix];
  int number = count++;
  if (zero_based) return number == 0 ? prefix : prefix + "_" + std::to_string(number);
  return prefix + "_" + std::to_string(number + 1);
}

std::string to_snake_case(const std::string& class_name) {
  // tf-keras 2.21's generic_utils.to_snake_case, with the same two substitutions. Its words are
  // letters only ("ConvLSTM2D" -> "conv_lstm2d"); Keras 2.2 counted digits into them ("conv_lst_m2d").
  static const std::regex words("(.)([A-Z][a-z]+)");
  static const std::regex humps("([a-z])([A-Z])");
  std::string s = std::regex_replace(class_name, words, "$1_$2");
  s = std::regex_replace(s, humps, "$1_$2");
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!s.empty() && s[0] == '_') return "private" + s;
  return s;
}

}  // namespace ksave
