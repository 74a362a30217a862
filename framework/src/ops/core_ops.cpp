#include "core_ops.hpp"

#include "op_groups.hpp"

namespace ksave::detail {

std::vector<OpDef> core_op_defs() {
  std::vector<OpDef> defs;
  for (auto group : {elementwise_unary_ops, elementwise_binary_ops, linalg_ops, reduce_ops, nn_ops,
                     shape_ops, indexing_ops, cast_fill_ops, conv_ops, pool_ops,
                     unpack_ops, fused_lstm_ops, fused_rnn_ops, fused_ops, fused_batch_norm_ops})
    for (OpDef& def : group()) defs.push_back(std::move(def));
  return defs;
}

}  // namespace ksave::detail
