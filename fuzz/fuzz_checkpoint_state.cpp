// The `checkpoint` state file of a TF checkpoint folder (text CheckpointState: quoted, escaped
// paths and timestamps), read as load_weights(folder) reads it to find the latest prefix.
#include "fuzz_support.hpp"
#include "ksave/tf/checkpoint.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ksave;
  std::filesystem::create_directories(fuzz::scratch() / "state");
  fuzz::write_input(fuzz::as_text(data, size), "state/checkpoint");
  fuzz::errors_are_answers([&] { tf::resolve_checkpoint_prefix(fuzz::scratch() / "state"); });
  return 0;
}
