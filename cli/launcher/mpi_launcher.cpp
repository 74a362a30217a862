// `ksave fit` built with ksave_mpi.
#include "launcher.hpp"

#include "ksave/mpi.hpp"

namespace ksave::cli {

std::shared_ptr<DataParallelStrategy> strategy_from_launcher() {
  if (!mpi::launched_by_mpi()) return nullptr;
  auto strategy = mpi::strategy();
  return strategy->num_replicas() > 1 ? strategy : nullptr;
}

}  // namespace ksave::cli
