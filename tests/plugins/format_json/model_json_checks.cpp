#include "model_json_checks.hpp"

#include <fstream>
#include <iterator>

#include "ksave/error.hpp"

namespace ksave::test {

Json read_json_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open " + path.string());
  return Json::parse(std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()));
}

}  // namespace ksave::test
