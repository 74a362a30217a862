// A small SavedModel written by ksave for tests that need one on disk (Keras 3's TFSMLayer loads
// the SavedModel its config names): Dense(3, tanh) on 4 features, with fixed weights, and its
// serving_default signature (one input, one output).
#pragma once

#include <filesystem>
#include <map>
#include <mutex>
#include <string>

#include "ksave/ksave.hpp"
#include "support/test_data.hpp"

namespace ksave::test {

// Writes the SavedModel once per process under scratch folder `scratch_name` and returns its path.
// (Header-only: three suites use it, and ksave_test_support stays as every test links it.)
inline std::filesystem::path small_saved_model(const std::string& scratch_name = "small_saved_model") {
  static std::mutex mutex;
  static std::map<std::string, std::filesystem::path> written;
  std::lock_guard lock(mutex);
  if (auto it = written.find(scratch_name); it != written.end()) return it->second;
  const KerasTensor x = Input({4}, "input_x");
  const LayerPtr dense = make_layer("Dense", {{"units", 3}, {"activation", "tanh"}, {"name", "dense"}});
  const KerasTensor y = (*dense)(x);
  const auto model = std::make_shared<Functional>(KerasTensors{x}, KerasTensors{y}, "small");
  std::vector<float> kernel(12);
  for (std::size_t i = 0; i < kernel.size(); ++i) kernel[i] = 0.1f * static_cast<float>(i) - 0.5f;
  dense->set_weights({Tensor::from_vector<float>(kernel, {4, 3}), Tensor::from_vector<float>({0.25f, -0.5f, 0.125f}, {3})});
  const std::filesystem::path folder = scratch_dir(scratch_name) / "saved_model";
  SaveOptions options;
  options.format = "savedmodel";
  save_model(*model, folder, options);
  return written[scratch_name] = folder;
}


}  // namespace ksave::test
