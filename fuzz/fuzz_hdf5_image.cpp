// HDF5 from a file image in memory (how model.weights.h5 is read out of a .keras archive): every
// group, attribute and numeric dataset read through ksave's HDF5 wrapper, which checks what
// libhdf5 1.10.8 would otherwise trust (declared sizes, global-heap references).
#include <functional>

#include "fuzz_support.hpp"
#include "hdf5_handle.hpp"
#include "string_attributes.hpp"

namespace {

using namespace ksave::plugins::h5;

void read_everything(const Group& group, int depth) {
  if (depth > 32) return;
  for (const auto& name : group.attribute_names()) ksave::fuzz::errors_are_answers([&] { read_string_list(group, name); });
  for (const auto& child : group.children()) {
    ksave::fuzz::errors_are_answers([&] {
      if (group.has_group(child)) read_everything(group.group(child), depth + 1);
      else if (group.has_dataset(child)) {
        const Dataset dataset = group.dataset(child);
        for (const auto& name : dataset.attribute_names()) ksave::fuzz::errors_are_answers([&] { read_string_list(dataset, name); });
        if (dataset.is_numeric()) dataset.read();
      }
    });
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ksave::fuzz::scratch();  // plugins loaded, as in the other harnesses
  const auto lock = hdf5_lock();
  ksave::fuzz::errors_are_answers([&] {
    const File file = File::open_image(std::vector<char>(data, data + size), "fuzz.h5");
    read_everything(file, 0);
  });
  return 0;
}
