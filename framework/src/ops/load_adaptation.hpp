// The thread count of ops outside training on a busy machine (ksave/threads.hpp,
// set_adapt_threads_to_load).
#pragma once

namespace ksave::detail {

// `configured`, or fewer while adaptation is on and finds the machine busy; samples the machine
// when the last sample is 100 ms old.
int adapted_to_load(int configured);

}  // namespace ksave::detail
