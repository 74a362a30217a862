#pragma once

namespace ksave::mpi {

// Initializes MPI once per process (MPI_THREAD_SERIALIZED requested) unless the application
// already did; returns the thread level MPI provides.
int ensure_initialized();

}  // namespace ksave::mpi
