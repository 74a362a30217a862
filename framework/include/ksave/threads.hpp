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

// On a busy machine, threads that meet at barriers wait for each other to get a core: two threads
// beside two busy processes on two cores ran 3-45x slower than one, an LSTM 80-250x
// (benchmarks/README.md). With adaptation on (the default), an op outside training (no
// GradientTape or tracer watching) runs on no more threads than the cores other processes leave
// idle (one at least), from the kernel's count of runnable tasks, sampled at most every 100 ms.
// Training keeps the set count, so its numbers stay the same run to run. Turn it off where two
// predictions must agree to the last bit whatever the machine runs (a product split over another
// thread count may round differently): set_adapt_threads_to_load(false), or KSAVE_ADAPT_THREADS=0
// in the environment at start-up. Linux only (/proc); elsewhere it changes nothing.
void set_adapt_threads_to_load(bool on);
bool adapt_threads_to_load();
// The count an op outside training uses now: intra_op_parallelism_threads(), or fewer while
// adaptation finds the machine busy.
int inference_threads();

namespace detail {

// The rule adaptation follows. Each sample is the number of runnable tasks that are not this
// process's; the count becomes the cores they leave idle (1 to `cores`) once two samples in a row
// agree, so one short-lived task does not halve a quiet machine's speed.
class IdleCoreRule {
 public:
  explicit IdleCoreRule(int cores);
  int update(int others);  // the count after this sample
  int threads() const { return threads_; }

 private:
  int cores_, threads_, pending_ = 0;
};

}  // namespace detail

}  // namespace ksave
