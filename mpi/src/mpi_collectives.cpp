// Collectives over MPI. Sums are a reduce-scatter followed by an allgather (the ring/halving
// algorithms of Open MPI, bandwidth-optimal for large buffers): each element is summed by one
// rank and copied to the others, so every rank holds the same bytes. A plain MPI_Allreduce does
// not promise that (ranks may add in different orders), and replicas whose weights drift apart
// by one ulp would write inconsistent checkpoint shards.
#include <mpi.h>

#include <algorithm>
#include <climits>
#include <vector>

#include "environment.hpp"
#include "ksave/error.hpp"
#include "ksave/mpi.hpp"

namespace ksave::mpi {
namespace {

void check(int code, const char* call) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw Error(std::string("MPI: ") + call + " failed: " + std::string(text, static_cast<std::size_t>(length)));
}

// MPI counts are ints: large buffers travel in pieces of at most this many elements.
constexpr std::size_t kMaxCount = std::size_t{1} << 30;

template <typename T>
MPI_Datatype datatype_of();
template <>
MPI_Datatype datatype_of<float>() { return MPI_FLOAT; }
template <>
MPI_Datatype datatype_of<double>() { return MPI_DOUBLE; }

class MpiCollectives : public Collectives {
 public:
  explicit MpiCollectives(int thread_level) : background_(thread_level >= MPI_THREAD_SERIALIZED) {
    check(MPI_Comm_dup(MPI_COMM_WORLD, &comm_), "MPI_Comm_dup");
    check(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
    check(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
    check(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
  }
  ~MpiCollectives() override {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Comm_free(&comm_);
  }
  MpiCollectives(const MpiCollectives&) = delete;
  MpiCollectives& operator=(const MpiCollectives&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  bool background_reductions() const override { return background_; }

  void barrier() override { check(MPI_Barrier(comm_), "MPI_Barrier"); }

  void broadcast(std::span<std::byte> data, int root) override {
    for (std::size_t at = 0; at < data.size(); at += kMaxCount) {
      const auto count = static_cast<int>(std::min(kMaxCount, data.size() - at));
      check(MPI_Bcast(data.data() + at, count, MPI_BYTE, root, comm_), "MPI_Bcast");
    }
  }

  void allreduce_sum(std::span<float> data) override { sum(data); }
  void allreduce_sum(std::span<double> data) override { sum(data); }

  std::vector<std::string> allgather(const std::string& mine) override {
    const auto length = static_cast<long long>(mine.size());
    std::vector<long long> lengths(static_cast<std::size_t>(size_));
    check(MPI_Allgather(&length, 1, MPI_LONG_LONG, lengths.data(), 1, MPI_LONG_LONG, comm_), "MPI_Allgather");
    std::vector<int> counts, displacements;
    long long total = 0;
    for (long long l : lengths) {
      if (total + l > INT_MAX) throw Error("MPI: allgather of " + std::to_string(total + l) + " bytes exceeds 2 GiB");
      counts.push_back(static_cast<int>(l));
      displacements.push_back(static_cast<int>(total));
      total += l;
    }
    std::string all(static_cast<std::size_t>(total), '\0');
    check(MPI_Allgatherv(mine.data(), static_cast<int>(mine.size()), MPI_BYTE, all.data(), counts.data(),
                         displacements.data(), MPI_BYTE, comm_),
          "MPI_Allgatherv");
    std::vector<std::string> out;
    for (std::size_t r = 0; r < lengths.size(); ++r)
      out.push_back(all.substr(static_cast<std::size_t>(displacements[r]), static_cast<std::size_t>(counts[r])));
    return out;
  }

 private:
  template <typename T>
  void sum(std::span<T> data) {
    if (size_ == 1) return;
    for (std::size_t at = 0; at < data.size(); at += kMaxCount)
      sum_piece(data.subspan(at, std::min(kMaxCount, data.size() - at)));
  }

  // Rank r sums elements [displacement r, + count r) of every rank's piece, then every rank
  // gathers the sums.
  template <typename T>
  void sum_piece(std::span<T> piece) {
    const auto n = static_cast<int>(piece.size());
    std::vector<int> counts(static_cast<std::size_t>(size_)), displacements(static_cast<std::size_t>(size_));
    for (int r = 0; r < size_; ++r) {
      const int begin = static_cast<int>(static_cast<long long>(n) * r / size_);
      const int end = static_cast<int>(static_cast<long long>(n) * (r + 1) / size_);
      counts[static_cast<std::size_t>(r)] = end - begin;
      displacements[static_cast<std::size_t>(r)] = begin;
    }
    const auto mine = static_cast<std::size_t>(rank_);
    scratch_.resize(static_cast<std::size_t>(counts[mine]) * sizeof(T));
    T* owned = reinterpret_cast<T*>(scratch_.data());
    check(MPI_Reduce_scatter(piece.data(), owned, counts.data(), datatype_of<T>(), MPI_SUM, comm_), "MPI_Reduce_scatter");
    std::copy(owned, owned + counts[mine], piece.data() + displacements[mine]);
    check(MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, piece.data(), counts.data(), displacements.data(),
                         datatype_of<T>(), comm_),
          "MPI_Allgatherv");
  }

  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1;
  bool background_;
  std::vector<std::byte> scratch_;
};

}  // namespace

std::shared_ptr<Collectives> world() {
  static std::shared_ptr<Collectives> instance = std::make_shared<MpiCollectives>(ensure_initialized());
  return instance;
}

std::shared_ptr<DataParallelStrategy> strategy(DataParallelOptions options) {
  return std::make_shared<DataParallelStrategy>(world(), options);
}

}  // namespace ksave::mpi
