#include "cbor_document.hpp"

#include <cstring>
#include <fstream>
#include <iterator>

#include "ksave/error.hpp"
#include "ksave/saving.hpp"

namespace kcbor {
namespace fs = std::filesystem;
using ksave::Error;
using ksave::Json;

namespace {

// CBOR's self-describe tag 55799: the bytes d9 d9 f7 before the document.
constexpr unsigned char kSelfDescribe[] = {0xd9, 0xd9, 0xf7};

Json weight_entry(const ksave::Variable& variable) {
  const ksave::Tensor& value = variable.value();
  if (value.dtype() == ksave::DType::String)
    throw Error("kcbor: weight '" + variable.name() + "' holds strings, which this format does not store");
  const auto* bytes = static_cast<const std::uint8_t*>(value.raw_data());
  return {{"name", variable.name()},
          {"dtype", std::string(ksave::dtype_name(value.dtype()))},
          {"shape", value.shape()},
          {"data", Json::binary(std::vector<std::uint8_t>(bytes, bytes + value.nbytes()))}};
}

std::vector<std::uint8_t> read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("kcbor: cannot open '" + path.string() + "'");
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The value the document holds for weight `i`, checked against what the model expects.
ksave::Tensor stored_value(const Json& entry, const ksave::Variable& expected, const fs::path& path) {
  const std::string where = "kcbor file '" + path.string() + "', weight '" + entry.value("name", std::string("?")) + "'";
  const ksave::DType dtype = ksave::parse_dtype(entry.at("dtype").get<std::string>());
  const ksave::Shape shape = entry.at("shape").get<ksave::Shape>();
  if (dtype != expected.dtype() || shape != expected.shape())
    throw Error(where + ": the model's '" + expected.name() + "' expects " + std::string(ksave::dtype_name(expected.dtype())) +
                " " + ksave::shape_to_string(expected.shape()) + ", the file holds " + std::string(ksave::dtype_name(dtype)) +
                " " + ksave::shape_to_string(shape));
  const auto& data = entry.at("data").get_binary();
  ksave::Tensor value(dtype, shape);
  if (data.size() != value.nbytes())
    throw Error(where + ": expected " + std::to_string(value.nbytes()) + " bytes of data, found " + std::to_string(data.size()));
  if (!data.empty()) std::memcpy(value.raw_data(), data.data(), data.size());
  return value;
}

}  // namespace

void write_document(const ksave::Model& model, bool with_config, const fs::path& path) {
  Json weights = Json::array();
  for (const ksave::VariablePtr& variable : model.weights()) weights.push_back(weight_entry(*variable));
  const Json document{{"kcbor", 1}, {"model", with_config ? Json::parse(model.to_json()) : Json(nullptr)}, {"weights", weights}};
  std::vector<std::uint8_t> bytes(std::begin(kSelfDescribe), std::end(kSelfDescribe));
  Json::to_cbor(document, bytes);
  ksave::write_atomically(path, [&](const fs::path& temporary) {
    std::ofstream out(temporary, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) throw Error("kcbor: cannot write '" + path.string() + "' (disk full?)");
  });
}

Json read_document(const fs::path& path) {
  const std::vector<std::uint8_t> bytes = read_bytes(path);
  if (bytes.size() < sizeof kSelfDescribe || std::memcmp(bytes.data(), kSelfDescribe, sizeof kSelfDescribe) != 0)
    throw Error("kcbor: '" + path.string() + "' does not start with CBOR's self-describe tag (d9 d9 f7)");
  Json document;
  try {
    document = Json::from_cbor(bytes.begin() + sizeof kSelfDescribe, bytes.end());
  } catch (const std::exception& e) {
    throw Error("kcbor: '" + path.string() + "' is no CBOR document: " + e.what());
  }
  if (!document.is_object() || document.value("kcbor", 0) != 1 || !document.contains("weights") || !document["weights"].is_array())
    throw Error("kcbor: '" + path.string() + "' is CBOR but no kcbor document (expected {\"kcbor\": 1, \"weights\": [...]})");
  return document;
}

bool is_document(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return false;
  try {
    read_document(path);
    return true;
  } catch (const Error&) {
    return false;
  }
}

void assign_weights(const Json& document, ksave::Model& model, const fs::path& path) {
  const auto variables = model.weights();
  const Json& stored = document["weights"];
  if (stored.size() != variables.size())
    throw Error("kcbor file '" + path.string() + "' holds " + std::to_string(stored.size()) + " weights, the model has " +
                std::to_string(variables.size()));
  std::vector<ksave::Tensor> values;  // all checked before any is assigned
  for (std::size_t i = 0; i < variables.size(); ++i) values.push_back(stored_value(stored[i], *variables[i], path));
  for (std::size_t i = 0; i < variables.size(); ++i) variables[i]->assign_shared(std::move(values[i]));
}

}  // namespace kcbor
