// Model::predict under a data-parallel strategy: each rank predicts a contiguous slice of the
// rows, then every rank gathers every slice, so all ranks return the whole result.
#include <cstring>

#include "../concat_outputs.hpp"
#include "ksave/data_parallel.hpp"
#include "ksave/model.hpp"

namespace ksave {
namespace {

// A rank's outputs as one message: per output its dtype, rank, dims, then its bytes.
std::string pack(const Tensors& outputs) {
  std::string out;
  auto put = [&out](std::int64_t v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); };
  for (const Tensor& t : outputs) {
    if (t.dtype() == DType::String) throw Error("data-parallel predict: string outputs cannot be gathered");
    put(static_cast<std::int64_t>(t.dtype()));
    put(t.rank());
    for (Dim d : t.shape()) put(d);
    out.append(static_cast<const char*>(t.raw_data()), t.nbytes());
  }
  return out;
}

Tensors unpack(const std::string& message) {
  Tensors out;
  std::size_t at = 0;
  auto get = [&]() {
    std::int64_t v;
    std::memcpy(&v, message.data() + at, sizeof v);
    at += sizeof v;
    return v;
  };
  while (at < message.size()) {
    const auto dtype = static_cast<DType>(get());
    Shape shape(static_cast<std::size_t>(get()));
    for (Dim& d : shape) d = get();
    Tensor t(dtype, shape);
    std::memcpy(t.raw_data(), message.data() + at, t.nbytes());
    at += t.nbytes();
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace

Tensors Model::predict(const Tensors& inputs, std::int64_t batch_size, const DataParallelStrategy& strategy) {
  if (inputs.empty() || inputs[0].rank() == 0) return predict(inputs, batch_size);  // predict's own errors
  const auto [begin, end] = strategy.local_rows(inputs[0].shape()[0]);
  Tensors mine;
  if (end > begin) {
    Tensors slice;
    for (const auto& t : inputs) slice.push_back(t.slice_rows(begin, end));
    mine = predict(slice, batch_size);
  }
  std::vector<Tensors> parts;
  for (const std::string& message : strategy.collectives().allgather(pack(mine)))
    if (!message.empty()) parts.push_back(unpack(message));
  if (parts.empty()) throw Error("data-parallel predict on model '" + name() + "': no rows to predict");
  return detail::concat_outputs(parts);
}

}  // namespace ksave
