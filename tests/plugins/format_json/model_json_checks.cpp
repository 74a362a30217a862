#include "model_json_checks.hpp"

#include <fstream>
#include <iterator>

#include <boost/test/unit_test.hpp>

#include "ksave/registry.hpp"
#include "ksave/saving.hpp"

namespace ksave::test {
namespace {

void collect(const Json& value, std::set<std::string>& classes) {
  if (value.is_array()) {
    for (const Json& item : value) collect(item, classes);
    return;
  }
  if (!value.is_object()) return;
  if (value.contains("modelTopology")) return collect(value["modelTopology"], classes);
  if (value.contains("model_config")) return collect(value["model_config"], classes);
  if (!value.contains("class_name") || !value.contains("config")) return;
  classes.insert(value["class_name"].get<std::string>());
  const Json& config = value["config"];
  if (config.is_array()) return collect(config, classes);  // Keras 1 Sequential
  if (!config.is_object()) return;
  for (const char* key : {"layers", "layer", "forward_layer", "backward_layer"})
    if (config.contains(key)) collect(config[key], classes);
}

}  // namespace

std::set<std::string> layer_classes(const Json& model_json) {
  std::set<std::string> classes;
  collect(model_json, classes);
  return classes;
}

std::set<std::string> unregistered_layers(const std::set<std::string>& classes) {
  std::set<std::string> missing;
  for (const auto& c : classes)
    if (!Registry::global().resolve(Kind::Layer, c)) missing.insert(c);
  return missing;
}

ModelPtr load_or_check_missing(const std::filesystem::path& path) {
  const std::set<std::string> missing = unregistered_layers(layer_classes(read_json_file(path)));
  try {
    ModelPtr model = load_model(path);
    BOOST_TEST(missing.empty(), path << " loaded although these classes are not registered: " << missing.size());
    return model;
  } catch (const Error& e) {
    const std::string message = e.what();
    BOOST_TEST_MESSAGE(path.filename() << ": " << message.substr(0, 300));
    BOOST_TEST(!missing.empty(), path << " failed to load although all its layer classes are registered: " << message);
    BOOST_TEST(message.find(path.string()) != std::string::npos, "the error names the file: " << message);
    for (const auto& c : missing)
      BOOST_TEST(message.find("'" + c + "'") != std::string::npos, "the error names " << c << ": " << message);
    return nullptr;
  }
}

Json read_json_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open " + path.string());
  return Json::parse(std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()));
}

}  // namespace ksave::test
