// ksave_mpi: data-parallel training and sharded checkpoints over MPI (Debian's OpenMPI). A
// library of its own, so that libksave and its plugins never depend on MPI; link it where
// distributed training is wanted and launch the program with mpirun:
//
//   #include <ksave/mpi.hpp>
//   auto strategy = ksave::mpi::strategy();          // MPI_Init on first use, MPI_Finalize at exit
//   model->fit(x, y, {.batch_size = 256, .strategy = strategy});
//   ksave::CollectiveScope sharded(strategy->collectives());
//   ksave::save_weights(*model, "ckpt/weights");     // one data shard per rank, rank 0's index
//
//   mpirun -np 4 --hostfile hosts ./train
#pragma once

#include <memory>

#include "ksave/collectives.hpp"
#include "ksave/data_parallel.hpp"

namespace ksave::mpi {

// True when this process was started by an MPI launcher (mpirun/mpiexec of OpenMPI, or a PMI
// launcher such as srun), judged from the environment it sets, without initializing MPI.
bool launched_by_mpi();

// MPI_COMM_WORLD's processes (a duplicate communicator, errors returned as ksave::Error).
// Initializes MPI with MPI_THREAD_SERIALIZED on first use, so gradient buckets can be reduced
// on a background thread, and finalizes it at exit. When KSAVE_NUM_THREADS is unset, it is set
// so the ranks on one machine share its cores (hardware threads / local ranks, at least 1); the
// kernels read it once, so create this before the first op runs.
std::shared_ptr<Collectives> world();

// A data-parallel strategy over world().
std::shared_ptr<DataParallelStrategy> strategy(DataParallelOptions options = {});

}  // namespace ksave::mpi
