#include "keras3_weights_layout.hpp"

#include "hdf5_handle.hpp"

namespace ksave::plugins::h5 {

bool has_keras3_weights_layout(const std::filesystem::path& path) {
  if (!has_hdf5_signature(path)) return false;
  try {
    auto lock = hdf5_lock();
    File file = File::open(path);
    if (file.has_attribute("layer_names")) return false;
    if (file.has_group("layers") || file.has_group("vars")) return true;
    // Keras 2.15 on Windows: "layers\\dense" groups at the root instead of "layers/dense".
    for (const auto& child : file.children())
      if (child.rfind("layers\\", 0) == 0 && file.has_group(child)) return true;
    return false;
  } catch (const Error&) {
    return false;
  }
}

}  // namespace ksave::plugins::h5
