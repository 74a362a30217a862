#include "keras3_weights_layout.hpp"

#include "hdf5_handle.hpp"

namespace ksave::plugins::h5 {

bool has_keras3_weights_layout(const std::filesystem::path& path) {
  if (!has_hdf5_signature(path)) return false;
  try {
    auto lock = hdf5_lock();
    File file = File::open(path);
    return !file.has_attribute("layer_names") && (file.has_group("layers") || file.has_group("vars"));
  } catch (const Error&) {
    return false;
  }
}

}  // namespace ksave::plugins::h5
