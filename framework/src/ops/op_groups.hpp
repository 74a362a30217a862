// One function per kernel file, each returning that file's OpDefs; core_ops.cpp concatenates
// them. Internal to framework/src/ops.
#pragma once

#include <vector>

#include "ksave/op.hpp"

namespace ksave::detail {

std::vector<OpDef> elementwise_unary_ops();
std::vector<OpDef> elementwise_binary_ops();
std::vector<OpDef> linalg_ops();
std::vector<OpDef> reduce_ops();
std::vector<OpDef> nn_ops();
std::vector<OpDef> shape_ops();
std::vector<OpDef> indexing_ops();
std::vector<OpDef> cast_fill_ops();
std::vector<OpDef> conv_ops();  // conv.cpp: Conv2D, its gradients, DepthwiseConv2dNative
std::vector<OpDef> pool_ops();  // pool.cpp: MaxPool, AvgPool and their gradients
std::vector<OpDef> unpack_ops();  // unpack.cpp: Unpack (tf.unstack)
std::vector<OpDef> fused_lstm_ops();  // fused_lstm.cpp: FusedLSTM (internal)
std::vector<OpDef> fused_rnn_ops();  // fused_rnn.cpp: FusedGRU, FusedSimpleRNN (internal, inference)
std::vector<OpDef> fused_ops();  // fused_ops.cpp: FusedMatMul, FusedConv2D (internal, inference)
std::vector<OpDef> fused_batch_norm_ops();  // fused_batch_norm.cpp: FusedBatchNormTraining, FusedBatchNormReluTraining (internal)

}  // namespace ksave::detail
