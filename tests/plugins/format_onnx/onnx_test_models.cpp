#include "onnx_test_models.hpp"

namespace ksave::test::onnx {

ModelPtr mlp() {
  return stack({4}, {{"Dense", {{"units", 5}, {"activation", "relu"}}}, {"Dense", {{"units", 3}, {"activation", "softmax"}}}});
}

ModelPtr stack(const Shape& shape, const std::vector<std::pair<std::string, Json>>& layers, DType dtype) {
  std::vector<LayerPtr> list{make_layer("InputLayer", {{"name", "features"}, {"batch_input_shape", shape_to_json([&] {
                                                          Shape s{kUnknown};
                                                          s.insert(s.end(), shape.begin(), shape.end());
                                                          return s;
                                                        }())},
                                                       {"dtype", std::string(dtype_name(dtype))}})};
  for (const auto& [cls, config] : layers) list.push_back(make_layer(cls, config));
  return std::make_shared<Sequential>(list, "stack");
}

void save_onnx(const Model& model, const std::filesystem::path& path, const Json& options) {
  SaveOptions save;
  save.format_options = options;
  save_model(model, path, save);
}

Json describe(const std::filesystem::path& path) { return get_format("onnx")->inspect(path); }

int operator_count(const Json& description, const std::string& op) {
  for (const Json& row : description.at("operators"))
    if (row.at("operator") == op) return row.at("count").get<int>();
  return 0;
}

}  // namespace ksave::test::onnx
