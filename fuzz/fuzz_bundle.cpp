// A TensorFlow tensor bundle: the input holds the .index and the data shard (fuzz_support.hpp's
// split_two); every listed tensor is read, and the checkpoint is described as `ksave ckpt` does.
#include "fuzz_support.hpp"
#include "ksave/tf/checkpoint.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ksave;
  const auto [index, shard] = fuzz::split_two(fuzz::as_text(data, size));
  fuzz::write_input(index, "ckpt.index");
  fuzz::write_input(shard, "ckpt.data-00000-of-00001");
  const auto prefix = fuzz::scratch() / "ckpt";
  fuzz::errors_are_answers([&] {
    const tf::CheckpointReader reader(prefix);
    for (const auto& entry : reader.variable_to_shape_map()) fuzz::errors_are_answers([&] { reader.get_tensor(entry.first); });
  });
  fuzz::errors_are_answers([&] { tf::describe_checkpoint(prefix); });
  return 0;
}
