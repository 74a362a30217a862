// ResNet's last convolution of a block — 1x1, stride 1 — with the block's residual Add inside it
// (oneDNN's sum post-op: the output is added to what the destination holds), run as a matrix
// product over chunks of rows, each chunk's addend read ahead just before its product.
//
// Why: oneDNN 2.6 reads the addend at the end of each output tile, one cold line after another;
// at batch 8 the 56x56x256 output of ResNet50's conv2 blocks took 8.0 ms with the Add against
// 4.8 ms without it (1 thread, ~8 GB/s for the addend). Read as one sequential pass over a chunk
// that fits in L2 (a few hundred KiB), the addend comes from the cache when the product needs it:
// 5.0 ms. It pays where the product does little work per output (k up to a few hundred) and the
// outputs are wide; with k = 512 the chunks' extra calls cost more than they save (measured
// 4.2 -> 4.9 ms for ResNet50's 7x7x2048 outputs), so those run as one product.
#include <algorithm>

#include "epilogue.hpp"
#include "parallel.hpp"

namespace ksave::detail {

namespace {

using Index = std::int64_t;

constexpr Index kChunkAddendBytes = 256 << 10;  // one chunk's addend: well inside a 1 MiB L2
constexpr Index kSmallestChunkRows = 64;        // fewer rows make the product's tiles inefficient
constexpr Index kAddendWorthChunking = 2 << 20;  // beyond L2: the addend comes from L3 or memory
constexpr Index kWidestChunkedK = 256;
constexpr Index kNarrowestChunkedN = 256;

// Reads one float per 64-byte line of `count` floats, so that they are in the cache when the
// product adds them. The sum is returned so that the reads cannot be dropped.
float read_ahead(const float* values, Index count) {
  float sum = 0.0f;
  for (Index i = 0; i < count; i += 16) sum += values[i];
  return sum;
}

}  // namespace

bool residual_pointwise_conv(const float* x, Index rows, const Tensor& filter, Index k, Index n, float* out,
                             const Epilogue& epilogue) {
  const Index row_bytes = n * static_cast<Index>(sizeof(float));
  if (!epilogue.sum || k > kWidestChunkedK || n < kNarrowestChunkedN || rows * row_bytes < kAddendWorthChunking)
    return false;
  const Index chunk_rows = std::max(kSmallestChunkRows, kChunkAddendBytes / row_bytes);
  const Index chunks = (rows + chunk_rows - 1) / chunk_rows;
  const double flops = 2.0 * static_cast<double>(rows) * static_cast<double>(k) * static_cast<double>(n);
  // A thread takes a contiguous run of chunks; each chunk's product runs on that thread alone.
  parallel_chunks(chunks, flops, [&](Index first, Index last) {
    volatile float sink = 0.0f;
    for (Index c = first; c < last; ++c) {
      const Index begin = c * chunk_rows, count = std::min(chunk_rows, rows - begin);
      sink = sink + read_ahead(out + begin * n, count * n);
      kernel_product(x + begin * k, count, filter, k, n, out + begin * n, epilogue);
    }
  });
  return true;
}

}  // namespace ksave::detail
