// `ksave fit` built without MPI: refuses to run as one of several mpirun processes, which would
// each train alone and overwrite each other's output.
#include <cstdlib>
#include <string>

#include "ksave/error.hpp"
#include "launcher.hpp"

namespace ksave::cli {

std::shared_ptr<DataParallelStrategy> strategy_from_launcher() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"}) {
    const char* size = std::getenv(name);
    if (size && std::atoi(size) > 1)
      throw Error("ksave was built without MPI (Debian package libopenmpi-dev), so it cannot train across the " +
                  std::string(size) + " processes mpirun started; rebuild with MPI installed");
  }
  return nullptr;
}

}  // namespace ksave::cli
