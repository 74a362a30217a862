// MPI's lifetime in a ksave process: initialized on first use, finalized at exit, and the
// kernels' thread count set so that the ranks of one machine do not oversubscribe its cores.
#include "environment.hpp"

#include <mpi.h>

#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

#include "ksave/error.hpp"

namespace ksave::mpi {
namespace {

void finalize_at_exit() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

// Ranks that share this machine (MPI-3's shared-memory split).
int local_ranks() {
  MPI_Comm local;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &local);
  int size = 1;
  MPI_Comm_size(local, &size);
  MPI_Comm_free(&local);
  return size;
}

void share_cores_between_local_ranks() {
  if (std::getenv("KSAVE_NUM_THREADS")) return;
  const int hardware = static_cast<int>(std::thread::hardware_concurrency());
  const int threads = std::max(1, hardware / std::max(1, local_ranks()));
  setenv("KSAVE_NUM_THREADS", std::to_string(threads).c_str(), 0);
}

}  // namespace

bool launched_by_mpi() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(name)) return true;
  return false;
}

int ensure_initialized() {
  static std::once_flag once;
  static int provided = MPI_THREAD_SINGLE;
  std::call_once(once, [] {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (initialized) {
      MPI_Query_thread(&provided);
    } else {
      if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS)
        throw Error("MPI_Init_thread failed (is this process started by mpirun?)");
      std::atexit(finalize_at_exit);
    }
    share_cores_between_local_ranks();
  });
  return provided;
}

}  // namespace ksave::mpi
