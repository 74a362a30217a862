// TensorFlow's TensorList ops (the TensorArrays of tf.while_loop, which tf.keras's RNN layers
// trace): a list value flows along graph edges as GraphValue::list and is never changed in
// place — SetItem and PushBack make a new list, as TensorFlow's value semantics require.
#pragma once

#include <string>

#include "graph_executor.hpp"

namespace ksave::plugins::savedmodel {

// Largest list a TensorListReserve may ask for (the count is read from the graph).
inline constexpr std::int64_t kMaxTensorListSize = std::int64_t{1} << 24;

bool is_tensor_list_op(const std::string& op);
GraphValues run_tensor_list_op(const tfproto::NodeDef& node, const GraphValues& inputs, const std::string& where);

}  // namespace ksave::plugins::savedmodel
