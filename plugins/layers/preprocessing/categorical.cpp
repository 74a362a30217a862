#include "categorical.hpp"

#include "ksave/error.hpp"
#include "ksave/ops.hpp"

namespace ksave::plugins::preprocessing {

bool is_encoding_mode(const std::string& mode) { return mode == "one_hot" || mode == "multi_hot" || mode == "count"; }

Tensor encode_categorical(Tensor ids, const std::string& mode, std::int64_t depth, const std::string& object) {
  // Keras: one_hot adds an axis unless the last one is already 1; outputs are (batch, depth).
  if (mode == "one_hot" && ids.rank() == 1) ids = ops::expand_dims(ids, -1);
  if (ids.rank() != 2 || (mode == "one_hot" && ids.dim(1) != 1))
    throw Error(object + ": expected ids of shape (batch, " + (mode == "one_hot" ? "1" : "n") + ") for output_mode '" + mode +
                "', found " + shape_to_string(ids.shape()));
  const Tensor hot = ops::one_hot(ids, depth);  // (batch, n, depth)
  return mode == "count" ? ops::sum(hot, {1}) : ops::max(hot, {1});
}

}  // namespace ksave::plugins::preprocessing
