// How many threads one op may use, like TensorFlow's `intra_op_parallelism_threads`
// (tf.config.threading.set_intra_op_parallelism_threads). Every kernel — ksave's own loops and
// the oneDNN primitives underneath — splits its work over at most this many threads.
#pragma once

namespace ksave {

// 0 restores the default: KSAVE_NUM_THREADS when set, otherwise the machine's cores (at most 8).
// Takes effect for the next op on every thread; a negative count throws ksave::Error.
void set_intra_op_parallelism_threads(int threads);
// The count in force (never 0).
int intra_op_parallelism_threads();

}  // namespace ksave
